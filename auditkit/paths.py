"""Where the top-level resource folders live, however auditkit was installed.

A checkout (or `pip install -e .`) keeps templates/, static/ and checklists/ beside the
package; a wheel carries copies under auditkit/_resources/. An editable install also leaves
stale copies in site-packages, so the checkout always wins when it exists.
"""

from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
RESOURCE_NAMES = ("templates", "static", "checklists")


@cache
def resource_dir(name: str) -> Path:
    if name not in RESOURCE_NAMES:
        raise ValueError(f"unknown resource folder {name!r}")
    checkout = PACKAGE_DIR.parent / name
    if checkout.is_dir() and (PACKAGE_DIR.parent / "pyproject.toml").is_file():
        return checkout
    installed = PACKAGE_DIR / "_resources" / name
    if installed.is_dir():
        return installed
    raise FileNotFoundError(f"auditkit resource folder {name!r} not found (looked in "
                            f"{checkout} and {installed})")

"""The wheel carries what auditkit needs at run time, and auditkit finds it either way.

Building the wheel with build isolation fetches hatchling from PyPI (measured 1.9 s here, pip's
cache warm); when the index cannot be reached the test retries with --no-isolation, using the
hatchling of this virtual environment if there is one.
"""

import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from auditkit import paths

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = (ROOT / "pyproject.toml").is_file() and (ROOT / "auditkit").is_dir()
needs_checkout = pytest.mark.skipif(not CHECKOUT, reason="needs the source checkout")

RESOURCES = (
    "auditkit/_resources/templates/base.html",
    "auditkit/_resources/static/js/htmx-2.0.11.min.js",
    "auditkit/_resources/static/js/htmx-2.0.11.LICENSE",
    "auditkit/_resources/checklists/iso42001-2023.yaml",
    "auditkit/_resources/checklists/iso27001-2022.yaml",
    "auditkit/_resources/checklists/iso9001-2015.yaml",
    "auditkit/migrations/env.py",
    "auditkit/migrations/script.py.mako",
)


def _build(outdir: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    outdir = tmp_path_factory.mktemp("wheel")
    started = time.monotonic()
    result = _build(outdir)
    if result.returncode != 0:
        print(f"isolated build failed, retrying with --no-isolation:\n{result.stderr[-2000:]}")
        result = _build(outdir, "--no-isolation")
    print(f"wheel built in {time.monotonic() - started:.1f} s")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    wheels = list(outdir.glob("auditkit-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@needs_checkout
@pytest.mark.slow
def test_wheel_carries_templates_static_checklists_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in RESOURCES if name not in names]
    assert not missing, f"missing from {wheel.name}: {missing}"

    versions = sorted(p.name for p in (ROOT / "auditkit/migrations/versions").glob("*.py"))
    assert versions, "no migration versions in the checkout"
    missing = [v for v in versions if f"auditkit/migrations/versions/{v}" not in names]
    assert not missing, f"migration versions missing from the wheel: {missing}"

    for folder in paths.RESOURCE_NAMES:
        in_checkout = {p.relative_to(ROOT / folder).as_posix()
                       for p in (ROOT / folder).rglob("*") if p.is_file()}
        in_wheel = {n.removeprefix(f"auditkit/_resources/{folder}/") for n in names
                    if n.startswith(f"auditkit/_resources/{folder}/")}
        assert in_checkout <= in_wheel, f"{folder}/ files not in the wheel: " \
                                        f"{sorted(in_checkout - in_wheel)}"

    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "auditkit = auditkit.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


@needs_checkout
@pytest.mark.slow
def test_unpacked_wheel_finds_its_own_resources(wheel, tmp_path):
    """Installed from the wheel (no checkout around it), resource_dir uses _resources/."""
    zipfile.ZipFile(wheel).extractall(tmp_path)
    probe = ("import auditkit.paths as p; "
             "print(p.PACKAGE_DIR); "
             "print(*(p.resource_dir(n) for n in p.RESOURCE_NAMES), sep='\\n')")
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, env={"PYTHONPATH": str(tmp_path)},
                            check=False)
    assert result.returncode == 0, result.stderr
    package_dir, *folders = result.stdout.split()
    assert Path(package_dir) == tmp_path / "auditkit", "the checkout's package was imported"
    assert folders == [str(tmp_path / "auditkit/_resources" / n) for n in paths.RESOURCE_NAMES]
    assert (Path(folders[0]) / "base.html").is_file()


@needs_checkout
def test_resource_dir_uses_the_checkout_folders_when_run_from_the_checkout():
    if paths.PACKAGE_DIR != ROOT / "auditkit":
        pytest.skip(f"auditkit is imported from {paths.PACKAGE_DIR}, not from this checkout")
    for name in paths.RESOURCE_NAMES:
        assert paths.resource_dir(name) == ROOT / name
    assert (paths.resource_dir("templates") / "base.html").is_file()
    assert (paths.resource_dir("static") / "js" / "htmx-2.0.11.min.js").is_file()
    assert (paths.resource_dir("checklists") / "iso42001-2023.yaml").is_file()


def test_resource_dir_refuses_unknown_folders():
    with pytest.raises(ValueError, match="unknown resource folder"):
        paths.resource_dir("../etc")


def test_the_app_serves_templates_and_static_files_from_resource_dir(tmp_path):
    from auditkit import create_app
    from auditkit.config import Config

    app = create_app(Config(instance_dir=tmp_path, secret_key="x", testing=True))
    assert Path(app.template_folder) == paths.resource_dir("templates")
    assert Path(app.static_folder) == paths.resource_dir("static")
    app.extensions["auditkit.engine"].dispose()

"""Every checklist this installation knows: the shipped ones and the body's own.

Shipped files are found with `resource_dir("checklists")` however auditkit was installed; they
are read once per process. A body's own files live in its data folder,
`<instance folder>/checklists/`, never inside the installed package.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from auditkit.paths import resource_dir
from auditkit.standards.loader import LoadResult, checklist_files, load_checklist
from auditkit.standards.mapping import ChecklistMapping, load_mapping
from auditkit.standards.model import Checklist, Problem, Source

HARMONIZED_MAPPING = "mapping-harmonized-structure.yaml"


def shipped_dir() -> Path:
    return resource_dir("checklists")


def body_dir(instance_dir: Path) -> Path:
    """Where a certification body keeps its own checklist files (its data folder)."""
    return Path(instance_dir) / "checklists"


@dataclass(frozen=True)
class Catalogue:
    results: tuple[LoadResult, ...]
    mapping: ChecklistMapping | None = None
    mapping_problems: tuple[Problem, ...] = ()

    @property
    def checklists(self) -> tuple[Checklist, ...]:
        return tuple(r.checklist for r in self.results if r.checklist is not None)

    def get(self, key: str) -> Checklist | None:
        return next((c for c in self.checklists if c.key == key), None)

    @property
    def problems(self) -> tuple[Problem, ...]:
        return (*(p for r in self.results for p in r.problems), *self.mapping_problems)

    @property
    def rejected(self) -> tuple[LoadResult, ...]:
        """Files that could not be loaded at all."""
        return tuple(r for r in self.results if r.checklist is None)


def read_folder(folder: Path, source: Source) -> tuple[LoadResult, ...]:
    return tuple(load_checklist(path, source) for path in checklist_files(folder))


def scan(shipped_folder: Path, body_folder: Path | None) -> Catalogue:
    """Read and check every file now (what `auditkit checklists validate` reports)."""
    shipped = read_folder(shipped_folder, Source.SHIPPED)
    mapping, problems = _mapping(shipped_folder, shipped)
    body = read_folder(body_folder, Source.BODY) if body_folder else ()
    return Catalogue(shipped + without_clashes(body, shipped), mapping, problems)


@cache
def _shipped() -> tuple[tuple[LoadResult, ...], ChecklistMapping | None, tuple[Problem, ...]]:
    results = read_folder(shipped_dir(), Source.SHIPPED)
    return (results, *_mapping(shipped_dir(), results))


def shipped_checklists() -> tuple[Checklist, ...]:
    """The shipped checklists, read and checked once per process."""
    return tuple(r.checklist for r in _shipped()[0] if r.checklist is not None)


def load_catalogue(instance_dir: Path) -> Catalogue:
    """The shipped checklists (cached) and the body's own (read now): call once at start-up."""
    shipped, mapping, problems = _shipped()
    body = read_folder(body_dir(instance_dir), Source.BODY)
    return Catalogue(shipped + without_clashes(body, shipped), mapping, problems)


def _mapping(folder: Path, results: Iterable[LoadResult]):
    path = folder / HARMONIZED_MAPPING
    if not path.is_file():
        return None, ()
    loaded = {r.checklist.key: r.checklist for r in results if r.checklist is not None}
    return load_mapping(path, loaded)


def without_clashes(body: tuple[LoadResult, ...], shipped: tuple[LoadResult, ...]):
    """A body file cannot replace a shipped checklist: same key means it is not loaded."""
    taken = {r.path.stem for r in shipped}
    kept = []
    for result in body:
        if result.path.stem in taken:
            clash = Problem(str(result.path), f"has the same name as the shipped checklist "
                                              f"{result.path.stem}; rename the file")
            result = replace(result, checklist=None, problems=(*result.problems, clash))
        kept.append(result)
    return tuple(kept)

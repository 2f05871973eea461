"""Checklists as immutable objects.

A checklist is one edition of one framework (`iso42001-2023`): its clauses and Annex A controls
in file order, each with its parent, whether it gets a checklist row (`assessable`) and the
auditor's guidance. An item is identified by its checklist and its id together: A.6.1 is a
heading in ISO/IEC 42001 and a control in ISO/IEC 27001.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType


class Kind(StrEnum):
    CLAUSE = "clause"
    CONTROL = "control"


class Source(StrEnum):
    """Where a checklist file comes from; shipped files must carry guidance, others may not."""

    SHIPPED = "shipped"
    BODY = "body"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class Guidance:
    """What the auditor must establish and how: evidence to ask for, what to sample, whom to
    interview, and for ISO/IEC 42001 the AI-specific angles."""

    question: str
    evidence: tuple[str, ...]
    sample: tuple[str, ...]
    interview: tuple[str, ...]
    ai_focus: tuple[str, ...] = ()

    def texts(self) -> tuple[str, ...]:
        return (self.question, *self.evidence, *self.sample, *self.interview, *self.ai_focus)


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    title: str
    kind: Kind
    parent: str | None
    assessable: bool
    untitled: bool = False
    guidance: Guidance | None = None
    depth: int = 0
    children: tuple[str, ...] = ()

    @property
    def soa_applicable(self) -> bool:
        """True when the Statement of Applicability decides whether this item applies: every
        assessable Annex A control. Clauses always apply; headings are never assessed."""
        return self.kind is Kind.CONTROL and self.assessable


@dataclass(frozen=True)
class Checklist:
    key: str
    framework: str
    edition: str
    source: Source
    path: Path
    items: tuple[Item, ...]
    _by_id: MappingProxyType = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", MappingProxyType({i.id: i for i in self.items}))

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._by_id

    def __len__(self) -> int:
        return len(self.items)

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError names the checklist when there is none."""
        try:
            return self._by_id[item_id]
        except KeyError:
            raise KeyError(f"{self.key} has no item {item_id!r}") from None

    def get(self, item_id: str) -> Item | None:
        return self._by_id.get(item_id)

    @property
    def roots(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.parent is None)

    def children_of(self, item: Item) -> tuple[Item, ...]:
        return tuple(self._by_id[child] for child in item.children)

    def ancestors(self, item: Item) -> tuple[Item, ...]:
        """Parent, grandparent, ... up to the top-level heading, nearest first."""
        found = []
        while item.parent is not None:
            item = self._by_id[item.parent]
            found.append(item)
        return tuple(found)

    @property
    def assessable_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.assessable)

    @property
    def soa_items(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.soa_applicable)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file: where (file, line, item) and what.

    A blocking problem makes the file unusable (it is not loaded); the others (missing guidance
    in a shipped file) still fail `auditkit checklists validate` but leave the checklist usable.
    """

    file: str
    message: str
    item: str | None = None
    line: int | None = None
    blocking: bool = True

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f"item {self.item}: " if self.item else ""
        return f"{where}: {what}{self.message}"

"""Mapping between checklists for integrated audits (domain.md 2.5, IAF MD 11).

ISO/IEC 42001 and 27001 share the harmonized-structure clause numbers 4.1-10.2, and ISO 9001
covers the same topics under partly different numbers. The mapping says, for each pair of
items, whether one question serves both (asked once in an integrated audit and recorded
against every scheme) or only the clause number is the same (asked separately).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations
from pathlib import Path

from auditkit.standards.model import Checklist, Kind, Problem
from auditkit.standards.reading import ReadFailed, read_yaml_bytes
from auditkit.standards.schema import MappingFile, describe, validation_errors


class Relation(StrEnum):
    SHARED = "shared"          # one question, recorded against each scheme
    NUMBER_ONLY = "number_only"  # same clause number, different question: asked separately


@dataclass(frozen=True, order=True)
class ItemRef:
    checklist: str
    item: str

    def __str__(self) -> str:
        return f"{self.checklist} {self.item}"


@dataclass(frozen=True)
class MappedQuestion:
    topic: str
    items: tuple[ItemRef, ...]
    reason: str = ""

    @property
    def checklists(self) -> frozenset[str]:
        return frozenset(ref.checklist for ref in self.items)

    def items_of(self, checklist: str) -> tuple[str, ...]:
        return tuple(ref.item for ref in self.items if ref.checklist == checklist)

    def restricted_to(self, checklists: frozenset[str]) -> "MappedQuestion":
        return MappedQuestion(self.topic, tuple(r for r in self.items
                                                if r.checklist in checklists), self.reason)


@dataclass(frozen=True)
class ChecklistMapping:
    checklists: tuple[str, ...]
    same_numbering: tuple[str, ...]
    shared: tuple[MappedQuestion, ...]
    separate: tuple[MappedQuestion, ...]

    def shared_question(self, ref: ItemRef) -> MappedQuestion | None:
        return next((q for q in self.shared if ref in q.items), None)

    def relation(self, a: ItemRef, b: ItemRef) -> Relation | None:
        """How two items of different checklists relate, or None when the mapping pairs
        them in no way."""
        for questions, relation in ((self.shared, Relation.SHARED),
                                    (self.separate, Relation.NUMBER_ONLY)):
            if any(a in q.items and b in q.items for q in questions):
                return relation
        return None

    def shared_questions_for(self, checklists: Iterable[str]) -> tuple[MappedQuestion, ...]:
        """The questions an integrated audit of these schemes asks once: each shared question
        that covers at least two of them, with its items limited to them (TIME-IMS-02)."""
        wanted = frozenset(checklists)
        return tuple(q.restricted_to(wanted) for q in self.shared
                     if len(q.checklists & wanted) >= 2)


def load_mapping(path: Path, checklists: Mapping[str, Checklist]
                 ) -> tuple[ChecklistMapping | None, tuple[Problem, ...]]:
    """Read and check a mapping file against the loaded checklists it names."""
    file = str(path)
    try:
        data = read_yaml_bytes(Path(path).read_bytes())
    except OSError as error:
        return None, (Problem(file, f"cannot be read: {error.strerror}"),)
    except ReadFailed as failure:
        return None, (Problem(file, failure.message, line=failure.line),)
    errors = validation_errors(MappingFile, data) if isinstance(data, dict) else [
        {"type": "model_type", "loc": (), "msg": "the file must be a mapping with "
                                                 "checklists, shared and separate"}]
    if errors:
        return None, tuple(Problem(file, _where(e["loc"]) + describe(e), line=_line(data, e))
                           for e in errors)
    mapping = _build(data)
    problems = _reference_problems(data, mapping, checklists, file)
    if problems:
        return None, tuple(problems)
    return mapping, ()


def _where(loc) -> str:
    if len(loc) >= 2 and isinstance(loc[1], int):
        return f"{loc[0]} entry {loc[1] + 1}: "
    return ""


def _line(data, error) -> int | None:
    line, node = getattr(data, "line", None), data
    for part in error["loc"]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        line = getattr(node, "line", line)
    return line


def _question(entry: dict) -> MappedQuestion:
    refs = tuple(ItemRef(checklist, item_id)
                 for checklist, ids in entry["items"].items() for item_id in ids)
    return MappedQuestion(entry["topic"], refs, entry.get("reason", ""))


def _build(data: dict) -> ChecklistMapping:
    return ChecklistMapping(
        checklists=tuple(data["checklists"]), same_numbering=tuple(data.get("same_numbering", ())),
        shared=tuple(_question(e) for e in data["shared"]),
        separate=tuple(_question(e) for e in data.get("separate", ())))


def _reference_problems(data: dict, mapping: ChecklistMapping,
                        checklists: Mapping[str, Checklist], file: str) -> list[Problem]:
    problems = []
    for key in (*mapping.checklists, *mapping.same_numbering):
        if key not in checklists:
            problems.append(Problem(file, f"checklist {key!r} is not loaded (unknown or "
                                          "invalid)", line=data.line))
        elif key not in mapping.checklists:
            problems.append(Problem(file, f"same_numbering names {key!r}, which is not in "
                                          "checklists", line=data.line))
    if problems:
        return problems
    for section in ("shared", "separate"):
        for index, (entry, question) in enumerate(zip(data.get(section, ()),
                                                      getattr(mapping, section), strict=True)):
            problems += _entry_problems(question, mapping, checklists,
                                        f"{section} entry {index + 1} ({question.topic})",
                                        file, entry.line)
    problems += _overlap_problems(mapping, file)
    problems += _unstated_pairs(mapping, checklists, file)
    return problems


def _entry_problems(question: MappedQuestion, mapping: ChecklistMapping,
                    checklists: Mapping[str, Checklist], where: str, file: str,
                    line: int) -> list[Problem]:
    problems = []
    for ref in question.items:
        if ref.checklist not in mapping.checklists:
            problems.append(Problem(file, f"{where}: {ref.checklist!r} is not in checklists",
                                    line=line))
            continue
        item = checklists[ref.checklist].get(ref.item)
        if item is None:
            problems.append(Problem(file, f"{where}: {ref.checklist} has no item {ref.item!r}",
                                    line=line))
        elif not item.assessable or item.kind is not Kind.CLAUSE:
            problems.append(Problem(file, f"{where}: {ref} is not an assessable clause",
                                    line=line))
    return problems


def _overlap_problems(mapping: ChecklistMapping, file: str) -> list[Problem]:
    problems = []
    owner: dict[ItemRef, str] = {}
    for question in mapping.shared:
        for ref in question.items:
            if ref in owner:
                problems.append(Problem(file, f"{ref} is in two shared questions "
                                              f"({owner[ref]}; {question.topic})"))
            owner[ref] = question.topic
    for question in mapping.separate:
        for a, b in combinations(question.items, 2):
            if a.checklist != b.checklist and mapping.relation(a, b) is Relation.SHARED:
                problems.append(Problem(file, f"{a} and {b} are listed as both shared and "
                                              "separate"))
    return problems


def _unstated_pairs(mapping: ChecklistMapping, checklists: Mapping[str, Checklist],
                    file: str) -> list[Problem]:
    """Checklists with the same numbering: every assessable clause number they have in common
    must be stated as shared or separate, so that no pair is forgotten."""
    problems = []
    for a, b in combinations(mapping.same_numbering, 2):
        common = [item.id for item in checklists[a].items
                  if item.assessable and item.kind is Kind.CLAUSE
                  and _is_assessable_clause(checklists[b], item.id)]
        for item_id in common:
            if mapping.relation(ItemRef(a, item_id), ItemRef(b, item_id)) is None:
                problems.append(Problem(file, f"clause {item_id} is in {a} and {b}: say whether "
                                              "it is shared or separate"))
    return problems


def _is_assessable_clause(checklist: Checklist, item_id: str) -> bool:
    item = checklist.get(item_id)
    return item is not None and item.assessable and item.kind is Kind.CLAUSE

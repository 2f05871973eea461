"""The content of one SoA revision as plain values (no Flask, no database).

An entry says, for one Annex A control, whether it applies, why (a justification is required
for an exclusion), and how far an applicable control is implemented. The same checks serve the
edit form and the file import, so both refuse the same things with the same words.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from auditkit.models.soa import ImplementationStatus

STATUS_LABELS = {
    ImplementationStatus.IMPLEMENTED: "Implemented",
    ImplementationStatus.PARTIALLY_IMPLEMENTED: "Partially implemented",
    ImplementationStatus.PLANNED: "Planned",
    ImplementationStatus.NOT_IMPLEMENTED: "Not implemented",
}
STATUS_CHOICES = ", ".join(f"“{label.lower()}”" for label in STATUS_LABELS.values())
# Spellings a person or a spreadsheet uses for each status, after `_words` (lower case, single
# spaces, no underscores or hyphens).
_STATUS_SPELLINGS = {
    "implemented": ImplementationStatus.IMPLEMENTED,
    "partially implemented": ImplementationStatus.PARTIALLY_IMPLEMENTED,
    "partially": ImplementationStatus.PARTIALLY_IMPLEMENTED,
    "partial": ImplementationStatus.PARTIALLY_IMPLEMENTED,
    "planned": ImplementationStatus.PLANNED,
    "not implemented": ImplementationStatus.NOT_IMPLEMENTED,
}
_YES = frozenset({"yes", "y", "true", "1", "applicable", "included"})
_NO = frozenset({"no", "n", "false", "0", "excluded", "not applicable"})
MAX_JUSTIFICATION = 4000


@dataclass(frozen=True)
class Control:
    """An Annex A control under the SoA: its id and short title."""

    id: str
    title: str


@dataclass(frozen=True)
class Entry:
    control_id: str
    applicable: bool
    justification: str = ""
    status: ImplementationStatus | None = None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status] if self.status else ""

    @property
    def applicability_label(self) -> str:
        return "Applicable" if self.applicable else "Excluded"


@dataclass(frozen=True)
class Problem:
    """Why an entry (or the whole file, when neither row nor control is named) is refused."""

    message: str
    row: int | None = None
    control_id: str | None = None


def _words(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").lower().split())


def parse_applicable(text: str) -> bool:
    """yes/no (and the usual spellings of them); ValueError names the value refused."""
    word = _words(text)
    if word in _YES:
        return True
    if word in _NO:
        return False
    if not word:
        raise ValueError("Applicable is empty: write yes or no.")
    raise ValueError(f"Applicable must be yes or no, not “{text.strip()}”.")


def parse_status(text: str) -> ImplementationStatus | None:
    """An implementation status, or None for an empty value."""
    word = _words(text)
    if not word:
        return None
    status = _STATUS_SPELLINGS.get(word)
    if status is None:
        raise ValueError(f"Unknown status “{text.strip()}”: use {STATUS_CHOICES}.")
    return status


def read_entry(control_id: str, applicable: str, justification: str,
               status: str) -> tuple[Entry | None, list[str]]:
    """One entry from its written values, or the reasons it is refused.

    An excluded control must say why. An applicable control must state its implementation
    status; an excluded one keeps none (a status given for it is not stored).
    """
    messages = []
    try:
        is_applicable = parse_applicable(applicable)
    except ValueError as error:
        is_applicable = None
        messages.append(str(error))
    try:
        parsed_status = parse_status(status)
    except ValueError as error:
        parsed_status = None
        messages.append(str(error))
    justification = justification.strip()
    if len(justification) > MAX_JUSTIFICATION:
        messages.append(f"The justification is longer than {MAX_JUSTIFICATION:,} characters.")
    if is_applicable is False and not justification:
        messages.append("An excluded control needs a justification for its exclusion.")
    if is_applicable and parsed_status is None and not status.strip():
        messages.append("An applicable control needs an implementation status.")
    if messages:
        return None, messages
    return Entry(control_id, bool(is_applicable), justification,
                 parsed_status if is_applicable else None), []


def missing_controls(controls: Sequence[Control], entries: Iterable[Entry]) -> list[str]:
    """Ids of the controls the entries say nothing about, in the standard's order."""
    stated = {entry.control_id for entry in entries}
    return [control.id for control in controls if control.id not in stated]


def same_content(first: Iterable[Entry], second: Iterable[Entry]) -> bool:
    return _by_control(first) == _by_control(second)


def _by_control(entries: Iterable[Entry]) -> dict[str, Entry]:
    return {entry.control_id: entry for entry in entries}


# --- what a page shows --------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One control of a revision as a table shows it; `entry` is None for a control the
    revision says nothing about (a control the checklist gained after the revision)."""

    control_id: str
    title: str
    entry: Entry | None


def rows(controls: Sequence[Control], entries: Iterable[Entry]) -> list[Row]:
    """Every control in the standard's order, then any entry for a control the checklist no
    longer has."""
    stated = _by_control(entries)
    found = [Row(c.id, c.title, stated.pop(c.id, None)) for c in controls]
    return found + [Row(control_id, "", stated[control_id]) for control_id in sorted(stated)]


@dataclass(frozen=True)
class Counts:
    controls: int
    applicable: int
    excluded: int
    not_stated: int
    by_status: tuple[tuple[str, int], ...]
    applicable_without_justification: int


def counts(controls: Sequence[Control], entries: Iterable[Entry]) -> Counts:
    found = rows(controls, entries)
    stated = [row.entry for row in found if row.entry is not None]
    applicable = [entry for entry in stated if entry.applicable]
    by_status = tuple((label, sum(1 for e in applicable if e.status == status))
                      for status, label in STATUS_LABELS.items())
    return Counts(controls=len(found), applicable=len(applicable),
                  excluded=len(stated) - len(applicable), not_stated=len(found) - len(stated),
                  by_status=by_status,
                  applicable_without_justification=sum(1 for e in applicable
                                                       if not e.justification))


@dataclass(frozen=True)
class ControlChange:
    """How one control differs between two revisions."""

    control_id: str
    title: str
    before: Entry | None
    after: Entry | None

    @property
    def fields(self) -> tuple[str, ...]:
        if self.before is None or self.after is None:
            return ("applicability", "justification", "status")
        names = ("applicability", "justification", "status")
        values = (("applicable", "justification", "status"))
        return tuple(name for name, value in zip(names, values, strict=True)
                     if getattr(self.before, value) != getattr(self.after, value))


def changes(controls: Sequence[Control], before: Iterable[Entry],
            after: Iterable[Entry]) -> list[ControlChange]:
    """The controls whose entry differs between two revisions, in the standard's order."""
    earlier, later = _by_control(before), _by_control(after)
    titles = {control.id: control.title for control in controls}
    order = [c.id for c in controls] + sorted((earlier.keys() | later.keys()) - titles.keys())
    return [ControlChange(control_id, titles.get(control_id, ""), earlier.get(control_id),
                          later.get(control_id))
            for control_id in order if earlier.get(control_id) != later.get(control_id)]

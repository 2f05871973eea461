"""A client's Statement of Applicability from a CSV or XLSX file (no Flask, no database).

The file is checked whole, and every refused row is reported with its row number and reason;
the service imports nothing unless nothing was refused. Row numbers are those a spreadsheet
shows: the header is row 1. Columns and their accepted spellings are in docs/soa-import.md.

A file must state every Annex A control of the scheme: a control missing from the file is
refused by name rather than copied silently from the previous revision, so that the new
revision is exactly what the client's document says.
"""

import codecs
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from auditkit import spreadsheets
from auditkit.soa.entries import Control, Entry, Problem, read_entry

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500  # the largest Annex A has 93 controls
MAX_NOT_UTF8_LINES = 20
# Columns of an XLSX sheet read (A to Z): the four columns, a title and the client's own.
MAX_XLSX_COLUMNS = 26

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format
_FORMULA_START = "=+-@\t\r"
# Where a spreadsheet may start reading a formula: at the start of a cell, or right after a
# separator, because a spreadsheet set to another list separator (";" in much of Europe) or a
# line break splits the cell there. Spaces and apostrophes before the formula character do not
# stop it (some spreadsheets trim spaces; apostrophes are escaped in turn, see `_guarded`).
_CELL_START = r"(?:^|(?<=[,;\t\r\n]))"
_BEFORE_FORMULA = rf"(?=[ ']*[{re.escape(_FORMULA_START)}])"
_GUARD_PLACE = re.compile(_CELL_START + _BEFORE_FORMULA)
_EXPORT_GUARD = re.compile(_CELL_START + "'" + _BEFORE_FORMULA)

# Accepted header spellings per column, compared after `header_key` (lower case, single
# spaces, no underscores, hyphens or trailing punctuation). Keep docs/soa-import.md in step.
HEADERS: dict[str, tuple[str, ...]] = {
    "control_id": ("control id", "control", "id", "control no", "control number",
                   "control ref", "control reference", "annex a control", "reference"),
    "applicable": ("applicable", "applicability", "applies", "included"),
    "justification": ("justification", "reason", "rationale",
                      "justification for inclusion or exclusion", "justification for exclusion"),
    "status": ("status", "implementation status", "implementation", "implemented status"),
}
COLUMN_NAMES = {"control_id": "control id", "applicable": "applicable",
                "justification": "justification", "status": "status"}
# Columns a file may carry for people to read (auditkit's own export writes "title").
INFORMATIONAL = ("title", "control title", "name", "control name", "description", "notes")
_BY_SPELLING = {spelling: column for column, spellings in HEADERS.items()
                for spelling in spellings}
_LOOKS_LIKE_CONTROL = re.compile(r"^A\.\d", re.IGNORECASE)


@dataclass(frozen=True)
class ImportResult:
    """The entries read (complete only when `ok`), every problem found, and the columns that
    were not used."""

    entries: tuple[Entry, ...] = ()
    problems: tuple[Problem, ...] = ()
    ignored_columns: tuple[str, ...] = ()
    data_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _Table:
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def header_key(text: str) -> str:
    words = " ".join(text.replace("_", " ").replace("-", " ").lower().split())
    return words.strip(" ?:.*")


def read_soa_file(data: bytes, filename: str, controls: Sequence[Control],
                  standard: str) -> ImportResult:
    """Read and check an SoA file against the scheme's Annex A controls.

    `standard` names the edition in messages ("ISO/IEC 42001:2023").
    """
    if not data.strip():
        return _refused(Problem("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        return _refused(Problem(f"The file is larger than {MAX_FILE_BYTES // 1024 // 1024} "
                                "MiB; an SoA file is much smaller."))
    table = read_table(data, filename)
    if table.problems:
        return _refused(*table.problems)
    rows = [(number, values) for number, values in table.rows if any(values)]
    if not rows:
        return _refused(Problem("The file is empty."))
    (header_row, header), data_rows = rows[0], rows[1:]
    columns, problems, ignored = _columns(header_row, header)
    if problems:
        return _refused(*problems)
    if not data_rows:
        return _refused(Problem(f"The file has a header row but no controls: list every "
                                f"Annex A control of {standard}, one per row."))
    entries, problems = _entries(data_rows, columns, controls, standard)
    named = {control_id(_cell(values, columns["control_id"])) for _number, values in data_rows}
    missing = [control.id for control in controls if control.id not in named]
    if missing:
        problems.append(_missing_problem(missing, standard))
    return ImportResult(tuple(entries), tuple(problems), ignored, len(data_rows))


def _refused(*problems: Problem) -> ImportResult:
    return ImportResult(problems=tuple(problems))


def _missing_problem(missing: list[str], standard: str) -> Problem:
    many = len(missing) > 1
    return Problem(f"{len(missing)} Annex A control{'s' if many else ''} of {standard} "
                   f"{'are' if many else 'is'} not in the file: {', '.join(missing)}. List "
                   "every control: auditkit does not carry missing controls over from the "
                   "previous revision.")


def _columns(row: int, header: list[str]):
    """Column positions by meaning; problems for a missing or repeated column."""
    found: dict[str, int] = {}
    problems, ignored = [], []
    for position, title in enumerate(header):
        key = header_key(title)
        column = _BY_SPELLING.get(key)
        if column is None:
            if key and key not in INFORMATIONAL:
                ignored.append(title.strip())
            continue
        if column in found:
            problems.append(Problem(
                f"Two columns give the {COLUMN_NAMES[column]}: “{header[found[column]]}” and "
                f"“{title}”. Keep one.", row=row))
            continue
        found[column] = position
    missing = [COLUMN_NAMES[c] for c in HEADERS if c not in found]
    if missing and any(_LOOKS_LIKE_CONTROL.match(value.strip()) for value in header):
        problems.append(Problem(
            f"Row {row} holds data, not column names: the first row must be a header row "
            "naming the columns control id, applicable, justification and status.", row=row))
        return found, problems, ()
    for name in missing:
        accepted = ", ".join(f"“{s}”" for s in HEADERS[_column_of(name)])
        problems.append(Problem(f"Missing column: {name} (a header spelled {accepted}).",
                                row=row))
    return found, problems, tuple(ignored)


def _column_of(name: str) -> str:
    return next(column for column, shown in COLUMN_NAMES.items() if shown == name)


def _cell(values: list[str], position: int) -> str:
    return values[position] if position < len(values) else ""


def control_id(text: str) -> str:
    return "".join(text.split()).upper()


def _entries(rows, columns, controls: Sequence[Control], standard: str):
    known = {control.id for control in controls}
    first_row: dict[str, int] = {}
    entries: list[Entry] = []
    problems: list[Problem] = []
    for number, values in rows:
        cells = {column: _cell(values, position) for column, position in columns.items()}
        control = control_id(cells["control_id"])
        if not control:
            problems.append(Problem("The control id is empty.", row=number))
            continue
        if control not in known:
            problems.append(Problem(f"{control} is not an Annex A control of {standard}.",
                                    row=number, control_id=control))
            continue
        if control in first_row:
            problems.append(Problem(f"Duplicate control id {control}: it is already in row "
                                    f"{first_row[control]}.", row=number, control_id=control))
            continue
        first_row[control] = number
        entry, messages = read_entry(control, cells["applicable"], cells["justification"],
                                     cells["status"])
        problems += [Problem(message, row=number, control_id=control) for message in messages]
        if entry is not None:
            entries.append(entry)
    return entries, problems


# --- reading the file ---------------------------------------------------------------------------

def read_table(data: bytes, filename: str = "") -> _Table:
    """The rows (with their row numbers) of a CSV file in UTF-8 or of the first worksheet of an
    XLSX workbook."""
    name = (filename or "").lower()
    if data.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        return _Table(problems=[Problem("This is an old Excel .xls file: save it as .xlsx or as "
                                        "“CSV UTF-8” and upload it again.")])
    if data.startswith(_XLSX_MAGIC):
        return _read_xlsx(data)
    if name.endswith((".xlsx", ".xlsm")):
        return _Table(problems=[Problem("The file is named .xlsx but is not an Excel "
                                        "workbook.")])
    return _read_csv(data)


def _read_csv(data: bytes) -> _Table:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _Table(problems=[Problem("The file is UTF-16 text, not UTF-8: save it as "
                                        "“CSV UTF-8” and upload it again.")])
    if b"\x00" in data:
        return _Table(problems=[Problem("This is not a text file: save the SoA as “CSV "
                                        "UTF-8” or as an Excel workbook (.xlsx).")])
    not_utf8 = _not_utf8_lines(data)
    if not_utf8:
        return _Table(problems=not_utf8)
    text = data.decode("utf-8-sig")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    table = _Table()
    try:
        for number, values in enumerate(reader, start=1):
            if number > MAX_ROWS + 1:
                return _too_many_rows()
            table.rows.append((number, [_unguarded(value.strip()) for value in values]))
    except csv.Error as error:
        row = len(table.rows) + 1
        table.problems.append(Problem(f"Row {row} (line {reader.line_num}) cannot be read as "
                                      f"CSV: {error}.", row=row))
    return table


def _not_utf8_lines(data: bytes) -> list[Problem]:
    """One problem per line that is not UTF-8, naming the line (and its row, which differs
    only when an earlier cell spans several lines)."""
    problems = []
    for line_number, line in enumerate(data.split(b"\n"), start=1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as error:
            byte = line[error.start]
            problems.append(Problem(
                f"The file is not UTF-8 text: line {line_number} holds the byte 0x{byte:02X}, "
                f"which UTF-8 does not allow (the file was probably saved in a Windows or "
                f"Latin-1 encoding). Save it as “CSV UTF-8” and upload it again.",
                row=_row_of_line(data, line_number)))
            if len(problems) >= MAX_NOT_UTF8_LINES:
                problems.append(Problem(f"Further lines are not UTF-8 either; only the first "
                                        f"{MAX_NOT_UTF8_LINES} are listed."))
                break
    return problems


def _row_of_line(data: bytes, line_number: int) -> int:
    """The spreadsheet row a line starts, counting the complete CSV records before it."""
    before = b"\n".join(data.split(b"\n")[:line_number - 1])
    if not before:
        return 1
    text = before.decode("utf-8", errors="replace").removeprefix("\ufeff")
    try:
        return sum(1 for _ in csv.reader(io.StringIO(text + "\n", newline=""))) + 1
    except csv.Error:
        return line_number


def _unguarded(value: str) -> str:
    """Remove the apostrophes `_guarded` added, and only those: one apostrophe at a place where
    a formula could start, followed by spaces or apostrophes and a formula character. Any other
    apostrophe is the user's and stays (``'tis``, ``rock 'n' roll``)."""
    return _EXPORT_GUARD.sub("", value)


def _too_many_rows() -> _Table:
    return _Table(problems=[Problem(f"The file has more than {MAX_ROWS} rows; an SoA lists "
                                    "each Annex A control once.")])


def _read_xlsx(data: bytes) -> _Table:
    try:
        sheet = spreadsheets.read_first_sheet(data, max_rows=MAX_ROWS + 1,
                                              columns=MAX_XLSX_COLUMNS)
    except spreadsheets.SpreadsheetRefused as refused:
        return _Table(problems=[Problem(refused.message)])
    if sheet.more_rows:  # empty rows count, as in a CSV file
        return _too_many_rows()
    return _Table(rows=[(number, [_unguarded(_cell_text(value)) for value in values])
                        for number, values in enumerate(sheet.rows, start=1)])


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- writing the current revision as a file to edit and import again -----------------------------

EXPORT_HEADER = ("control id", "title", "applicable", "justification", "status")


def export_rows(controls: Sequence[Control], entries: Sequence[Entry]) -> list[list[str]]:
    """Header and one row per control, in a form `read_soa_file` accepts back unchanged."""
    stated = {entry.control_id: entry for entry in entries}
    lines = [list(EXPORT_HEADER)]
    for control in controls:
        entry = stated.get(control.id)
        lines.append([control.id, _guarded(control.title),
                      "" if entry is None else ("yes" if entry.applicable else "no"),
                      _guarded(entry.justification) if entry else "",
                      entry.status_label.lower() if entry and entry.status else ""])
    return lines


def _guarded(value: str) -> str:
    """Text a spreadsheet could run as a formula (CSV injection) gets an apostrophe at each
    place a formula could start: a spreadsheet shows what follows as text.

    An apostrophe the user wrote at such a place (before a formula character) gets one more,
    so that `_unguarded` takes back exactly what was added: export then import is lossless.
    """
    return _GUARD_PLACE.sub("'", value)


def export_csv(controls: Sequence[Control], entries: Sequence[Entry]) -> str:
    buffer = io.StringIO(newline="")
    # Quoting every field keeps a separator inside a cell from splitting it in any spreadsheet.
    csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_ALL).writerows(
        export_rows(controls, entries))
    return buffer.getvalue()

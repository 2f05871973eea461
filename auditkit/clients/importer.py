"""Bulk import of clients, sites and auditors from a CSV or XLSX file: reading the file and
checking every row on its own (no Flask, no database).

The services add the checks that need the database (a name already taken, a site's client
unknown) and then write everything in one transaction, or nothing at all: a file with one bad
row imports nothing.

Row numbers are those a spreadsheet shows: the header is row 1, the first data row is row 2.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from auditkit import spreadsheets
from auditkit.clients import checks
from auditkit.models.auditors import QualificationRole
from auditkit.models.clients import Scheme, SiteKind

MAX_ROWS = 5000
# Each auditor gets an account with a hashed password (~50 ms each): keep one request short.
MAX_AUDITOR_ROWS = 200
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_PROBLEMS = 500
# Empty rows an XLSX sheet may hold besides the header and the data rows, and columns read
# beyond the known ones: both bound the work a crafted sheet can cause.
SPARE_ROWS = 1000
SPARE_COLUMNS = 4

_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format


class ImportKind(StrEnum):
    CLIENTS = "clients"
    SITES = "sites"
    AUDITORS = "auditors"

    @property
    def label(self) -> str:
        return {"clients": "Clients", "sites": "Sites", "auditors": "Auditors"}[self.value]

    @property
    def max_rows(self) -> int:
        return MAX_AUDITOR_ROWS if self is ImportKind.AUDITORS else MAX_ROWS


@dataclass(frozen=True)
class ImportColumn:
    name: str
    required: bool
    meaning: str
    example: str


_SCHEMES = "iso42001, iso27001 or iso9001"
COLUMNS: dict[ImportKind, tuple[ImportColumn, ...]] = {
    ImportKind.CLIENTS: (
        ImportColumn("name", True, "Legal name of the organisation. Repeat the row with the "
                     "same name for each further scheme.", "Lumen Analytics Ltd"),
        ImportColumn("address", False, "Postal address of the organisation.",
                     "1 Dock Road, London"),
        ImportColumn("language", False, "Language of the audits; English when empty.",
                     "English"),
        ImportColumn("sector", False, "Business sector.", "AI analytics software"),
        ImportColumn("scheme", False, f"Scheme certified: {_SCHEMES}. Empty: the client is "
                     "created without personnel figures.", "iso42001"),
        ImportColumn("effective_personnel", False, "Whole number of persons doing work in "
                     "the scope for this scheme (TIME-04); required with a scheme.", "140"),
        ImportColumn("ai_personnel", False, "ISO/IEC 42001 only, then required: persons "
                     "involved in AI work, not more than the effective personnel.", "9"),
        ImportColumn("ai_role", False, "ISO/IEC 42001 only, then required: producer, "
                     "developer, provider, user or multiple.", "developer"),
    ),
    ImportKind.SITES: (
        ImportColumn("client_name", True, "Legal name of a client already in auditkit.",
                     "Lumen Analytics Ltd"),
        ImportColumn("site_name", True, "Name of the site, unique within the client.",
                     "London head office"),
        ImportColumn("kind", True, "central_function, permanent, temporary or virtual; one "
                     "central function per client.", "central_function"),
        ImportColumn("address", False, "Address of the site.", "1 Dock Road, London"),
        ImportColumn("personnel", False, "Whole number of persons at the site; 0 when empty.",
                     "60"),
    ),
    ImportKind.AUDITORS: (
        ImportColumn("email", True, "E-mail address; becomes the login. Must not belong to "
                     "an existing user.", "a.auditor@example.test"),
        ImportColumn("full_name", True, "Full name.", "Alex Example"),
        ImportColumn("languages", False, "Audit languages separated by “;” or “,”; English "
                     "when empty.", "English; German"),
        ImportColumn("scheme", False, f"Qualification (optional): {_SCHEMES}.", "iso27001"),
        ImportColumn("role", False, "Qualification role: lead_auditor, auditor or "
                     "technical_expert; required with a scheme.", "lead_auditor"),
        ImportColumn("technical_areas", False, "Technical areas of the qualification, "
                     "separated by “;”.", "33; 35"),
        ImportColumn("valid_from", False, "First day of the qualification, YYYY-MM-DD; "
                     "required with a scheme.", "2025-01-15"),
        ImportColumn("valid_until", False, "Last day of the qualification, YYYY-MM-DD; empty "
                     "when open-ended.", "2028-01-14"),
    ),
}
_EXTRA = "\0extra"  # a value in a column without a header
_ALIASES = {"legal_name": "name", "client": "client_name", "site": "site_name",
            "name_of_site": "site_name", "e_mail": "email", "e_mail_address": "email"}


# --- results ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowProblem:
    """Why a row (or the whole file, when `row` is None) cannot be imported."""

    row: int | None
    message: str


@dataclass(frozen=True)
class SchemeFigures:
    row: int
    scheme: Scheme
    effective_personnel: int
    ai_personnel: int | None
    ai_role: str | None


@dataclass
class ClientRecord:
    row: int
    name: str
    address: str
    language: str
    sector: str
    schemes: list[SchemeFigures] = field(default_factory=list)


@dataclass(frozen=True)
class SiteRecord:
    row: int
    client_name: str
    site_name: str
    kind: SiteKind
    address: str
    personnel: int


@dataclass(frozen=True)
class QualificationRecord:
    scheme: Scheme
    role: QualificationRole
    technical_areas: tuple[str, ...]
    valid_from: date
    valid_until: date | None


@dataclass(frozen=True)
class AuditorRecord:
    row: int
    email: str
    full_name: str
    languages: tuple[str, ...]
    qualification: QualificationRecord | None


Record = ClientRecord | SiteRecord | AuditorRecord


@dataclass
class ParsedFile:
    kind: ImportKind
    records: list[Record] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    data_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Table:
    """The file's header (normalised column names) and data rows with their row numbers."""

    header: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


class _TooManyRows(Exception):
    pass


def _too_many_rows(max_rows: int) -> Table:
    return Table(problems=[RowProblem(None, f"The file has more than {max_rows:,} data rows; "
                                            "split it into smaller files.")])


# --- reading the file -------------------------------------------------------------------------

def parse_file(kind: ImportKind, data: bytes, filename: str = "") -> ParsedFile:
    """Read and check every row of the file; `records` are only meaningful when `ok`."""
    parsed = ParsedFile(kind)
    if len(data) > MAX_FILE_BYTES:
        parsed.problems.append(RowProblem(None, f"The file is larger than "
                                                f"{MAX_FILE_BYTES // (1024 * 1024)} MiB; split "
                                                "it into smaller files."))
        return parsed
    table = read_table(data, filename, max_rows=kind.max_rows,
                       columns=len(COLUMNS[kind]) + SPARE_COLUMNS)
    parsed.problems.extend(table.problems)
    parsed.data_rows = len(table.rows)
    if table.problems and not table.rows:
        return parsed
    header_problems = _header_problems(kind, table.header)
    if header_problems:
        parsed.problems.extend(header_problems)
        return parsed
    rows = [(number, _as_dict(table.header, values)) for number, values in table.rows]
    _CHECKERS[kind](rows, parsed)
    parsed.problems.sort(key=lambda p: (p.row or 0))
    del parsed.problems[MAX_PROBLEMS:]
    return parsed


def read_table(data: bytes, filename: str = "", *, max_rows: int = MAX_ROWS,
               columns: int | None = None) -> Table:
    """The rows of a CSV file (UTF-8) or of the first sheet of an XLSX workbook (of which
    `columns` columns are read)."""
    name = (filename or "").lower()
    if data.startswith(_OLE_MAGIC) or name.endswith(".xls"):
        return Table(problems=[RowProblem(None, "This is an old Excel .xls file: save it as "
                                                ".xlsx or as “CSV UTF-8” and upload again.")])
    if data.startswith(_XLSX_MAGIC):
        widest = max(len(known) for known in COLUMNS.values()) + SPARE_COLUMNS
        return _read_xlsx(data, max_rows, columns or widest)
    if name.endswith((".xlsx", ".xlsm")):
        return Table(problems=[RowProblem(None, "The file is named .xlsx but is not an Excel "
                                                "workbook.")])
    return _read_csv(data, max_rows)


def _collect(rows: Iterator[tuple[int, list[str]]], max_rows: int) -> Table:
    table = Table()
    for number, values in rows:
        if number == 1:
            table.header = [_column_name(value) for value in values]
            continue
        if not any(value for value in values):
            continue
        if len(table.rows) >= max_rows:
            raise _TooManyRows()
        table.rows.append((number, values))
    if not table.header:
        table.problems.append(RowProblem(None, "The file is empty: the first row must name "
                                               "the columns."))
    elif not table.rows:
        table.problems.append(RowProblem(None, "The file has a header but no data rows."))
    return table


def _read_csv(data: bytes, max_rows: int) -> Table:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Table(problems=[RowProblem(None, "The file is UTF-16 text: save it as "
                                                "“CSV UTF-8” and upload again.")])
    # Bytes that are not UTF-8 become lone surrogates, so each bad row can be named.
    text = data.decode("utf-8", errors="surrogateescape").removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[RowProblem] = []

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 0
        while True:
            number += 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                problems.append(RowProblem(number, f"Row {number} cannot be read as CSV "
                                                   f"({error})."))
                return
            bad = _not_utf8(values)
            if bad:
                problems.append(RowProblem(number, bad))
                values = [_clean(value) for value in values]
            yield number, [value.strip() for value in values]

    try:
        table = _collect(rows(), max_rows)
    except _TooManyRows:
        return _too_many_rows(max_rows)
    table.problems[:0] = problems
    return table


def _not_utf8(values: list[str]) -> str | None:
    for value in values:
        for char in value:
            if "\udc80" <= char <= "\udcff":
                byte = ord(char) - 0xDC00
                return (f"This row is not UTF-8 text (byte 0x{byte:02X}, perhaps a "
                        "Windows or Latin-1 encoding): save the file as “CSV UTF-8” and upload "
                        "it again.")
    return None


def _clean(value: str) -> str:
    return "".join("\ufffd" if "\udc80" <= char <= "\udcff" else char for char in value)


def _read_xlsx(data: bytes, max_rows: int, columns: int) -> Table:
    """Blank rows count toward the rows read: a sheet padded to a million empty rows is
    refused after `max_rows` + SPARE_ROWS rows instead of keeping a worker busy."""
    last_row = 1 + max_rows + SPARE_ROWS
    try:
        sheet = spreadsheets.read_first_sheet(data, max_rows=last_row, columns=columns)
    except spreadsheets.SpreadsheetRefused as refused:
        return Table(problems=[RowProblem(None, refused.message)])
    rows = ((number, [_cell_text(value) for value in values])
            for number, values in enumerate(sheet.rows, start=1))
    try:
        table = _collect(rows, max_rows)
    except _TooManyRows:
        return _too_many_rows(max_rows)
    if sheet.more_rows:
        return Table(problems=[RowProblem(None, f"The first sheet goes on below row "
                                                f"{last_row:,} (empty rows that carry "
                                                "formatting count too): delete the rows below "
                                                "your data, or save the sheet as CSV.")])
    return table


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() \
            else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _column_name(text: str) -> str:
    name = re.sub(r"[\s\-]+", "_", (text or "").strip().lower())
    return _ALIASES.get(name, name)


def _header_problems(kind: ImportKind, header: list[str]) -> list[RowProblem]:
    known = [column.name for column in COLUMNS[kind]]
    problems = []
    found = []
    for position, name in enumerate(header, start=1):
        if not name:
            continue
        if name not in known:
            problems.append(RowProblem(1, f"Unknown column “{name}” (column {position}). "
                                          f"The columns are: {', '.join(known)}."))
        elif name in found:
            problems.append(RowProblem(1, f"Column “{name}” appears twice."))
        found.append(name)
    for column in COLUMNS[kind]:
        if column.required and column.name not in found:
            problems.append(RowProblem(1, f"Missing column “{column.name}”."))
    return problems


def _as_dict(header: list[str], values: list[str]) -> dict[str, str]:
    row = {name: (values[index] if index < len(values) else "")
           for index, name in enumerate(header) if name}
    extra = [value for index, value in enumerate(values)
             if value and (index >= len(header) or not header[index])]
    if extra:
        row[_EXTRA] = extra[0]
    return row


# --- values -----------------------------------------------------------------------------------

class _Bad(ValueError):
    pass


def _extra_values(row: dict[str, str]) -> None:
    if _EXTRA in row:
        raise _Bad(f"The row has a value (“{row[_EXTRA][:30]}”) in a column without a "
                   "header.")


def _text(row: dict[str, str], column: str, *, required: bool = False,
          max_length: int = 200) -> str:
    value = (row.get(column) or "").strip()
    if required and not value:
        raise _Bad(f"Missing value in column “{column}”.")
    if len(value) > max_length:
        raise _Bad(f"The value in column “{column}” is longer than {max_length} characters.")
    return value


def _whole_number(row: dict[str, str], column: str, *, required: bool = False,
                  default: int | None = None) -> int | None:
    value = (row.get(column) or "").strip()
    if not value:
        if required:
            raise _Bad(f"Missing value in column “{column}”.")
        return default
    if not re.fullmatch(r"\d{1,9}", value):
        raise _Bad(f"“{value[:30]}” in column “{column}” is not a whole number of persons "
                   "(write digits only, e.g. 140).")
    return int(value)


def _date(row: dict[str, str], column: str, *, required: bool = False) -> date | None:
    value = (row.get(column) or "").strip()
    if not value:
        if required:
            raise _Bad(f"Missing value in column “{column}”.")
        return None
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?: 00:00(?::00)?)?", value)
    if match:
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            pass
    raise _Bad(f"“{value[:30]}” in column “{column}” is not a date (YYYY-MM-DD).")


def _scheme(row: dict[str, str], column: str = "scheme") -> Scheme | None:
    value = (row.get(column) or "").strip()
    if not value:
        return None
    scheme = checks.scheme_from_text(value)
    if scheme is None:
        raise _Bad(f"Unknown scheme “{value[:30]}”; use {_SCHEMES}.")
    return scheme


# --- clients ----------------------------------------------------------------------------------

def _check_clients(rows: list[tuple[int, dict[str, str]]], parsed: ParsedFile) -> None:
    by_name: dict[str, ClientRecord] = {}
    for number, row in rows:
        try:
            _extra_values(row)
            record = _client_row(number, row)
        except _Bad as problem:
            parsed.problems.append(RowProblem(number, str(problem)))
            continue
        key = checks.same_name(record.name)
        earlier = by_name.get(key)
        if earlier is None:
            by_name[key] = record
            parsed.records.append(record)
            continue
        message = _same_client_problem(earlier, record)
        if message:
            parsed.problems.append(RowProblem(number, message))
        else:
            earlier.schemes.extend(record.schemes)


def _client_row(number: int, row: dict[str, str]) -> ClientRecord:
    name = checks.tidy_name(_text(row, "name", required=True))
    record = ClientRecord(
        row=number, name=name, address=_text(row, "address", max_length=2000),
        language=_text(row, "language", max_length=60),
        sector=_text(row, "sector"))
    scheme = _scheme(row)
    effective = _whole_number(row, "effective_personnel")
    ai_personnel = _whole_number(row, "ai_personnel")
    ai_role = _text(row, "ai_role", max_length=30)
    if scheme is None:
        if effective is not None or ai_personnel is not None or ai_role:
            raise _Bad("Personnel figures need a scheme in column “scheme”.")
        return record
    problem = checks.personnel_problem(scheme, effective, ai_personnel, ai_role or None)
    if problem:
        raise _Bad(problem[1])
    role = checks.ai_role_from_text(ai_role) if ai_role else None
    record.schemes.append(SchemeFigures(number, scheme, effective, ai_personnel,
                                        role.value if role else None))
    return record


def _same_client_problem(earlier: ClientRecord, record: ClientRecord) -> str | None:
    """A further row for a client already named in the file adds a scheme; it must not say
    something else about the client."""
    for name in ("address", "language", "sector"):
        value = getattr(record, name)
        if value and value != getattr(earlier, name):
            return (f"Duplicate name: “{record.name}” is already on row {earlier.row} with "
                    f"another {name}. Repeat a client only to add a scheme.")
    if not record.schemes:
        return f"Duplicate name: “{record.name}” is already on row {earlier.row}."
    scheme = record.schemes[0].scheme
    for figures in earlier.schemes:
        if figures.scheme == scheme:
            return (f"Duplicate: “{record.name}” with {scheme.value} is already on row "
                    f"{figures.row}.")
    return None


# --- sites ------------------------------------------------------------------------------------

def _check_sites(rows: list[tuple[int, dict[str, str]]], parsed: ParsedFile) -> None:
    seen: dict[tuple[str, str], int] = {}
    central: dict[str, SiteRecord] = {}
    for number, row in rows:
        try:
            _extra_values(row)
            record = _site_row(number, row)
        except _Bad as problem:
            parsed.problems.append(RowProblem(number, str(problem)))
            continue
        key = (checks.same_name(record.client_name), checks.same_name(record.site_name))
        if key in seen:
            parsed.problems.append(RowProblem(number, f"Duplicate site: “{record.site_name}” of "
                                                      f"“{record.client_name}” is already on "
                                                      f"row {seen[key]}."))
            continue
        seen[key] = number
        if record.kind == SiteKind.CENTRAL_FUNCTION:
            first = central.get(key[0])
            if first is not None:
                parsed.problems.append(RowProblem(number, (
                    f"A client has one central function (TIME-MS-02): row {first.row} already "
                    f"gives “{first.site_name}” for “{record.client_name}”.")))
                continue
            central[key[0]] = record
        parsed.records.append(record)


def _site_row(number: int, row: dict[str, str]) -> SiteRecord:
    client_name = checks.tidy_name(_text(row, "client_name", required=True))
    site_name = checks.tidy_name(_text(row, "site_name", required=True))
    kind_text = _text(row, "kind", required=True)
    kind = checks.site_kind_from_text(kind_text)
    if kind is None:
        raise _Bad(f"Unknown site kind “{kind_text[:30]}”; use "
                   f"{', '.join(k.value for k in SiteKind)}.")
    personnel = _whole_number(row, "personnel", default=0)
    if personnel > checks.MAX_PERSONNEL:
        raise _Bad(f"{personnel} persons at one site is not plausible.")
    return SiteRecord(number, client_name, site_name, kind,
                      _text(row, "address", max_length=2000), personnel)


# --- auditors ---------------------------------------------------------------------------------

_QUALIFICATION_COLUMNS = ("scheme", "role", "technical_areas", "valid_from", "valid_until")


def _check_auditors(rows: list[tuple[int, dict[str, str]]], parsed: ParsedFile) -> None:
    seen: dict[str, int] = {}
    for number, row in rows:
        try:
            _extra_values(row)
            record = _auditor_row(number, row)
        except _Bad as problem:
            parsed.problems.append(RowProblem(number, str(problem)))
            continue
        if record.email in seen:
            parsed.problems.append(RowProblem(number, f"Duplicate e-mail address "
                                                      f"{record.email}: already on row "
                                                      f"{seen[record.email]}."))
            continue
        seen[record.email] = number
        parsed.records.append(record)


def _auditor_row(number: int, row: dict[str, str]) -> AuditorRecord:
    email = _text(row, "email", required=True, max_length=254).lower()
    problem = checks.email_problem(email)
    if problem:
        raise _Bad(problem)
    full_name = checks.tidy_name(_text(row, "full_name", required=True))
    languages = tuple(checks.split_list(_text(row, "languages"), ";,")) or ("English",)
    if len(", ".join(languages)) > 200:
        raise _Bad("The languages are longer than 200 characters in all.")
    qualification = None
    if any((row.get(column) or "").strip() for column in _QUALIFICATION_COLUMNS):
        qualification = _qualification(row)
    return AuditorRecord(number, email, full_name, languages, qualification)


def _qualification(row: dict[str, str]) -> QualificationRecord:
    scheme = _scheme(row)
    if scheme is None:
        raise _Bad("A qualification needs its scheme in column “scheme”.")
    role_text = _text(row, "role", required=True, max_length=40)
    role = next((r for r in QualificationRole
                 if r.value == re.sub(r"[\s\-]+", "_", role_text.lower())), None)
    if role is None:
        raise _Bad(f"Unknown qualification role “{role_text[:30]}”; use "
                   f"{', '.join(r.value for r in QualificationRole)}.")
    areas = tuple(checks.split_list(_text(row, "technical_areas", max_length=2000)))
    for area in areas:
        problem = checks.area_problem(area)
        if problem:
            raise _Bad(problem)
    valid_from = _date(row, "valid_from", required=True)
    valid_until = _date(row, "valid_until")
    if valid_until is not None and valid_until < valid_from:
        raise _Bad(f"valid_until ({valid_until}) is before valid_from ({valid_from}).")
    return QualificationRecord(scheme, role, areas, valid_from, valid_until)


_CHECKERS = {
    ImportKind.CLIENTS: _check_clients,
    ImportKind.SITES: _check_sites,
    ImportKind.AUDITORS: _check_auditors,
}

"""Reading and checking import files (auditkit.clients.importer): no Flask, no database."""

import io
import time
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from auditkit.clients.importer import (
    MAX_AUDITOR_ROWS,
    MAX_ROWS,
    SPARE_ROWS,
    ImportKind,
    parse_file,
    read_table,
)
from tests.unit.crafted_xlsx import far_corner_sheet, shared_strings_bomb, sheet_with

CLIENTS = ImportKind.CLIENTS
SITES = ImportKind.SITES
AUDITORS = ImportKind.AUDITORS
CLIENT_HEADER = "name,address,language,sector,scheme,effective_personnel,ai_personnel,ai_role\n"


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems(parsed) -> list[tuple[int | None, str]]:
    return [(p.row, p.message) for p in parsed.problems]


# --- clients ----------------------------------------------------------------------------------

def test_clients_with_several_schemes_are_grouped_by_name():
    parsed = parse_file(CLIENTS, csv_bytes(
        CLIENT_HEADER
        + "Lumen Analytics Ltd,1 Dock Road,English,AI,ISO/IEC 42001:2023,140,9,Developer\n"
        + "lumen  analytics ltd,,,,27001,140,,\n"
        + "Harrow Castings Ltd,,,,iso9001,85,,\n"
        + "Quiet Start Ltd,,,,,,,\n"))
    assert parsed.ok, problems(parsed)
    lumen, harrow, quiet = parsed.records
    assert (lumen.row, lumen.name, lumen.address) == (2, "Lumen Analytics Ltd", "1 Dock Road")
    assert [(f.scheme.value, f.effective_personnel, f.ai_personnel, f.ai_role, f.row)
            for f in lumen.schemes] == [("iso42001", 140, 9, "developer", 2),
                                        ("iso27001", 140, None, None, 3)]
    assert [f.scheme.value for f in harrow.schemes] == ["iso9001"]
    assert quiet.schemes == [] and quiet.language == ""


@pytest.mark.parametrize(("row", "message"), [
    ("Acme,,,,iso14001,10,,", "Unknown scheme “iso14001”"),
    ("Acme,,,,iso9001,ten,,", "“ten” in column “effective_personnel” is not a whole number"),
    ("Acme,,,,iso9001,12.5,,", "is not a whole number"),
    ("Acme,,,,iso9001,-3,,", "is not a whole number"),
    ("Acme,,,,iso9001,,,", "Enter the effective personnel"),
    ("Acme,,,,iso42001,40,,developer", "number of AI-involved persons"),
    ("Acme,,,,iso42001,40,41,developer", "cannot exceed the effective personnel (40)"),
    ("Acme,,,,iso42001,40,9,", "needs the organisation's AI role"),
    ("Acme,,,,iso42001,40,9,robot", "needs the organisation's AI role"),
    ("Acme,,,,iso27001,40,9,developer", "belong to ISO/IEC 42001 only"),
    ("Acme,,,,,40,,", "Personnel figures need a scheme"),
    (",1 Road,,,iso9001,5,,", "Missing value in column “name”"),
    ("Acme,,,,iso9001,5,,,surplus", "in a column without a header"),
])
def test_bad_client_rows_are_named_with_their_reason(row, message):
    parsed = parse_file(CLIENTS, csv_bytes(CLIENT_HEADER + "Good Ltd,,,,iso9001,5,,\n"
                                           + row + "\n"))
    assert not parsed.ok
    assert len(parsed.problems) == 1
    assert parsed.problems[0].row == 3
    assert message in parsed.problems[0].message


def test_duplicate_client_rows_are_refused():
    parsed = parse_file(CLIENTS, csv_bytes(
        CLIENT_HEADER
        + "Acme Ltd,1 Road,,,iso9001,5,,\n"
        + "ACME LTD,,,,iso9001,6,,\n"
        + "Acme Ltd,2 Other Road,,,iso27001,6,,\n"
        + "Acme Ltd,,,,,,,\n"))
    assert problems(parsed) == [
        (3, "Duplicate: “ACME LTD” with iso9001 is already on row 2."),
        (4, "Duplicate name: “Acme Ltd” is already on row 2 with another address. Repeat a "
            "client only to add a scheme."),
        (5, "Duplicate name: “Acme Ltd” is already on row 2."),
    ]


def test_header_problems_name_the_missing_and_unknown_columns():
    parsed = parse_file(SITES, csv_bytes("client_name,kind,personel\nAcme,permanent,4\n"))
    assert problems(parsed) == [
        (1, "Unknown column “personel” (column 3). The columns are: client_name, site_name, "
            "kind, address, personnel."),
        (1, "Missing column “site_name”."),
    ]


def test_column_names_ignore_case_spaces_and_order():
    parsed = parse_file(SITES, csv_bytes(
        "Kind, Site Name ,Client-Name\ncentral function,HQ,Acme Ltd\n"))
    assert parsed.ok, problems(parsed)
    site = parsed.records[0]
    assert (site.client_name, site.site_name, site.kind.value, site.personnel) == (
        "Acme Ltd", "HQ", "central_function", 0)


# --- sites ------------------------------------------------------------------------------------

def test_site_rows_are_checked():
    parsed = parse_file(SITES, csv_bytes(
        "client_name,site_name,kind,address,personnel\n"
        "Acme Ltd,HQ,central_function,1 Road,40\n"
        "Acme Ltd,Second HQ,central_function,,3\n"
        "Acme Ltd,hq,permanent,,3\n"
        "Acme Ltd,Yard,warehouse,,3\n"
        "Other Ltd,HQ,central_function,,abc\n"
        "Other Ltd,Cloud,virtual,,\n"))
    assert [row for row, _ in problems(parsed)] == [3, 4, 5, 6]
    messages = dict(problems(parsed))
    assert "one central function (TIME-MS-02): row 2 already gives “HQ”" in messages[3]
    assert "Duplicate site: “hq” of “Acme Ltd” is already on row 2" in messages[4]
    assert "Unknown site kind “warehouse”" in messages[5]
    assert "not a whole number" in messages[6]


# --- auditors ---------------------------------------------------------------------------------

AUDITOR_HEADER = "email,full_name,languages,scheme,role,technical_areas,valid_from,valid_until\n"


def test_auditor_rows_with_and_without_a_qualification():
    parsed = parse_file(AUDITORS, csv_bytes(
        AUDITOR_HEADER
        + "A.Lead@Example.test,Alex Lead,English; German,iso27001,lead_auditor,33; 35,"
          "2025-01-15,2028-01-14\n"
        + "b.auditor@example.test,Bea Auditor,,,,,,\n"))
    assert parsed.ok, problems(parsed)
    lead, plain = parsed.records
    assert (lead.email, lead.languages) == ("a.lead@example.test", ("English", "German"))
    q = lead.qualification
    assert (q.scheme.value, q.role.value, q.technical_areas, q.valid_from, q.valid_until) == (
        "iso27001", "lead_auditor", ("33", "35"), date(2025, 1, 15), date(2028, 1, 14))
    assert plain.qualification is None and plain.languages == ("English",)


@pytest.mark.parametrize(("row", "message"), [
    ("not-an-email,Sam,,,,,,", "is not a valid e-mail address"),
    ("sam@example.test,,,,,,,", "Missing value in column “full_name”"),
    ("sam@example.test,Sam,,iso27001,,,2025-01-01,", "Missing value in column “role”"),
    ("sam@example.test,Sam,,iso27001,boss,,2025-01-01,", "Unknown qualification role “boss”"),
    ("sam@example.test,Sam,,iso27001,auditor,,01/02/2025,", "“01/02/2025” in column "
                                                            "“valid_from” is not a date"),
    ("sam@example.test,Sam,,iso27001,auditor,,2025-02-30,", "is not a date"),
    ("sam@example.test,Sam,,iso27001,auditor,,,", "Missing value in column “valid_from”"),
    ("sam@example.test,Sam,,iso27001,auditor,,2025-05-01,2025-04-30",
     "valid_until (2025-04-30) is before valid_from (2025-05-01)"),
    ("sam@example.test,Sam,,,auditor,,2025-05-01,", "needs its scheme"),
    ("a@example.test,Repeat,,,,,,", "Duplicate e-mail address a@example.test: already on row 2"),
])
def test_bad_auditor_rows(row, message):
    parsed = parse_file(AUDITORS, csv_bytes(AUDITOR_HEADER + "a@example.test,Ann,,,,,,\n"
                                            + row + "\n"))
    assert [p.row for p in parsed.problems] == [3]
    assert message in parsed.problems[0].message


# --- files ------------------------------------------------------------------------------------

def test_xlsx_rows_numbers_and_dates_are_read():
    data = xlsx_bytes([
        ["email", "full_name", "scheme", "role", "valid_from", "languages"],
        ["x@example.test", "Xan", "iso9001", "auditor", datetime(2025, 3, 1), "English"],
        [None, None, None, None, None, None],
        ["y@example.test", "Yu", "iso42001", "technical_expert", date(2024, 12, 31), None],
    ])
    parsed = parse_file(AUDITORS, data, "auditors.xlsx")
    assert parsed.ok, problems(parsed)
    assert [(r.row, r.qualification.valid_from) for r in parsed.records] == [
        (2, date(2025, 3, 1)), (4, date(2024, 12, 31))]


def test_xlsx_whole_numbers_stored_as_floats_are_whole_numbers():
    data = xlsx_bytes([["name", "scheme", "effective_personnel"], ["Acme", "iso9001", 140.0],
                       ["Bolt", "iso9001", 12.5]])
    parsed = parse_file(CLIENTS, data, "clients.xlsx")
    assert parsed.records[0].schemes[0].effective_personnel == 140
    assert problems(parsed) == [(3, "“12.5” in column “effective_personnel” is not a whole "
                                    "number of persons (write digits only, e.g. 140).")]


def test_non_utf8_csv_names_each_bad_row():
    text = CLIENT_HEADER + "Café Noir SARL,,French,,iso9001,8,,\nPlain Ltd,,,,iso9001,4,,\n" \
        + "Müller GmbH,,German,,iso9001,9,,\n"
    parsed = parse_file(CLIENTS, text.encode("cp1252"), "clients.csv")
    assert [row for row, _ in problems(parsed)] == [2, 4]
    assert "not UTF-8 text (byte 0xE9" in parsed.problems[0].message
    assert "“CSV UTF-8”" in parsed.problems[0].message


def test_utf8_with_bom_and_semicolons_is_read():
    text = "\ufeffname;scheme;effective_personnel\nCafé Noir SARL;iso9001;8\n"
    parsed = parse_file(CLIENTS, text.encode("utf-8"), "clients.csv")
    assert parsed.ok, problems(parsed)
    assert parsed.records[0].name == "Café Noir SARL"


@pytest.mark.parametrize(("data", "filename", "message"), [
    (b"", "empty.csv", "The file is empty"),
    (b"name,scheme\n", "header.csv", "no data rows"),
    ("name\nA\n".encode("utf-16"), "wide.csv", "UTF-16"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls", "old Excel .xls"),
    (b"name\nA\n", "named.xlsx", "named .xlsx but is not an Excel workbook"),
    (b"PK\x03\x04broken zip", "broken.xlsx", "could not be opened as an Excel workbook"),
    (b'name\n"unclosed\n' + b"x" * 200_000, "huge.csv", "cannot be read as CSV"),
])
def test_unreadable_files_are_reported_not_raised(data, filename, message):
    parsed = parse_file(CLIENTS, data, filename)
    assert not parsed.ok
    assert message in parsed.problems[0].message


def test_row_cap():
    rows = "".join(f"a{n}@example.test,Person {n}\n" for n in range(MAX_AUDITOR_ROWS + 1))
    parsed = parse_file(AUDITORS, csv_bytes("email,full_name\n" + rows))
    assert problems(parsed) == [(None, f"The file has more than {MAX_AUDITOR_ROWS:,} data rows; "
                                       "split it into smaller files.")]
    assert parse_file(AUDITORS, csv_bytes(
        "email,full_name\n" + rows.split("\n", 1)[1])).ok


def test_file_size_cap():
    parsed = parse_file(CLIENTS, b"name\n" + b"A\n" * (3 * 1024 * 1024))
    assert "larger than 5 MiB" in parsed.problems[0].message


def test_blank_rows_are_skipped_and_numbers_kept():
    table = read_table(b"name,scheme\n\nAcme,iso9001\n,\nBolt,iso9001\n")
    assert table.header == ["name", "scheme"]
    assert [number for number, _ in table.rows] == [3, 5]


# --- hostile workbooks ------------------------------------------------------------------------

def refused_quickly(kind: ImportKind, data: bytes) -> str:
    started = time.perf_counter()
    parsed = parse_file(kind, data, "upload.xlsx")
    assert time.perf_counter() - started < 5
    assert parsed.records == [] and not parsed.ok
    assert len(parsed.problems) == 1, problems(parsed)
    return parsed.problems[0].message


def test_a_sheet_declaring_the_whole_grid_is_refused_quickly():
    message = refused_quickly(CLIENTS, far_corner_sheet(["name", "scheme"]))
    assert "declares a range of 1,048,576 rows and 16,384 columns" in message


def test_blank_rows_count_toward_the_rows_read():
    data = sheet_with(["name"], {2: [("A2", "Acme")], 1048576: [("A1048576", "Far Ltd")]})
    message = refused_quickly(CLIENTS, data)
    assert f"goes on below row {1 + MAX_ROWS + SPARE_ROWS:,}" in message


def test_blank_rows_within_the_spare_rows_are_still_skipped():
    data = sheet_with(["name"], {2: [("A2", "Acme")], 900: [("A900", "Bolt Ltd")]})
    parsed = parse_file(CLIENTS, data, "clients.xlsx")
    assert parsed.ok, problems(parsed)
    assert [(record.row, record.name) for record in parsed.records] == [(2, "Acme"),
                                                                       (900, "Bolt Ltd")]


def test_a_value_far_right_of_the_known_columns_is_refused_not_dropped():
    data = sheet_with(["email", "full_name"], {2: [("A2", "a@example.test"),
                                                   ("B2", "Alex Example"), ("Z2", "x")]},
                      "A1:Z2")
    assert "values right of column L" in refused_quickly(AUDITORS, data)


def test_a_shared_strings_bomb_is_refused_quickly():
    assert refused_quickly(SITES, shared_strings_bomb(50)) == (
        "This spreadsheet expands to more than 20 MB; split it or save it as CSV.")

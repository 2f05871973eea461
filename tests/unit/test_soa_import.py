"""Reading a Statement of Applicability from CSV and XLSX (auditkit.soa.importer): good files,
every kind of refused row with its row number, encodings, and the export read back."""

import csv
import io
import re
import time

import pytest
from openpyxl import Workbook

from auditkit.models.soa import ImplementationStatus
from auditkit.soa.entries import Control, Entry
from auditkit.soa.importer import MAX_ROWS, export_csv, read_soa_file
from auditkit.standards.catalogue import shipped_checklists
from tests.unit.crafted_xlsx import far_corner_sheet, shared_strings_bomb, sheet_with

STANDARD = "ISO/IEC 42001:2023"
CONTROLS = (Control("A.2.2", "AI policy"), Control("A.2.3", "Alignment with other policies"),
            Control("A.2.4", "Review of the AI policy"), Control("A.3.2", "AI roles"))
HEADER = "control id,applicable,justification,status"
GOOD_ROWS = [
    "A.2.2,yes,Needed for the AI policy,implemented",
    "A.2.3,no,No other management system policies exist,",
    "A.2.4,yes,,partially implemented",
    "A.3.2,Yes,Roles defined in the RACI,planned",
]


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode("utf-8")


def read(data: bytes, filename: str = "soa.csv", controls=CONTROLS):
    return read_soa_file(data, filename, controls, STANDARD)


def messages(result) -> list[tuple[int | None, str]]:
    return [(p.row, p.message) for p in result.problems]


def the_only_problem(result):
    assert not result.ok
    assert len(result.problems) == 1, messages(result)
    return result.problems[0]


# --- good files ---------------------------------------------------------------------------------

def test_a_good_csv_gives_one_entry_per_control():
    result = read(csv_bytes(*GOOD_ROWS))
    assert result.ok, messages(result)
    assert result.data_rows == 4
    assert list(result.entries) == [
        Entry("A.2.2", True, "Needed for the AI policy", ImplementationStatus.IMPLEMENTED),
        Entry("A.2.3", False, "No other management system policies exist", None),
        Entry("A.2.4", True, "", ImplementationStatus.PARTIALLY_IMPLEMENTED),
        Entry("A.3.2", True, "Roles defined in the RACI", ImplementationStatus.PLANNED),
    ]


def test_header_spellings_are_matched_without_regard_to_case_and_columns_in_any_order():
    header = "Implementation Status;Reason;Applicable?;Control_ID;Title"
    lines = ["implemented;Policy;Y;a.2.2;AI policy",
             ";Not relevant;N;A.2.3;Alignment",
             "Not_Implemented;;TRUE;A.2.4;Review",
             "partially;;1; A.3.2 ;Roles"]
    result = read(("\ufeff" + "\r\n".join([header, *lines])).encode("utf-8"))
    assert result.ok, messages(result)
    assert [e.control_id for e in result.entries] == ["A.2.2", "A.2.3", "A.2.4", "A.3.2"]
    assert [e.status for e in result.entries] == [
        ImplementationStatus.IMPLEMENTED, None, ImplementationStatus.NOT_IMPLEMENTED,
        ImplementationStatus.PARTIALLY_IMPLEMENTED]
    assert result.ignored_columns == ()  # "Title" is read by people, not reported


def test_a_tab_separated_file_and_unknown_columns():
    header = "Control\tApplicability\tRationale\tImplementation\tOwner"
    lines = [line.replace(",", "\t") + "\tCISO" for line in GOOD_ROWS]
    result = read(csv_bytes(*lines, header=header))
    assert result.ok, messages(result)
    assert result.ignored_columns == ("Owner",)


def test_blank_rows_are_skipped_and_row_numbers_stay_those_of_the_spreadsheet():
    lines = [GOOD_ROWS[0], "", ",,,", GOOD_ROWS[1], GOOD_ROWS[2], "A.3.2,perhaps,,planned"]
    problem = the_only_problem(read(csv_bytes(*lines)))
    assert problem.row == 7
    assert problem.control_id == "A.3.2"


def test_a_good_xlsx_with_booleans_and_numbers():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Control ID", "Applicable", "Justification", "Status"])
    sheet.append(["A.2.2", True, "AI policy needed", "Implemented"])
    sheet.append(["A.2.3", False, "No other policies", None])
    sheet.append(["A.2.4", 1, None, "planned"])
    sheet.append([None, None, None, None])
    sheet.append(["A.3.2", "yes", "Roles", "not implemented"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = read(buffer.getvalue(), "soa.xlsx")
    assert result.ok, messages(result)
    assert [(e.control_id, e.applicable, e.status) for e in result.entries] == [
        ("A.2.2", True, ImplementationStatus.IMPLEMENTED), ("A.2.3", False, None),
        ("A.2.4", True, ImplementationStatus.PLANNED),
        ("A.3.2", True, ImplementationStatus.NOT_IMPLEMENTED)]


def xlsx(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_row_is_reported_with_the_sheet_row_number():
    data = xlsx([["control id", "applicable", "justification", "status"],
                 ["A.2.2", "yes", "", "implemented"], [None], ["A.2.3", "no", "", None],
                 ["A.2.4", "yes", "", "implemented"], ["A.3.2", "yes", "", "implemented"]])
    problem = the_only_problem(read(data, "soa.xlsx"))
    assert (problem.row, problem.control_id) == (4, "A.2.3")
    assert "justification" in problem.message


def test_the_whole_42001_annex_from_the_shipped_checklist():
    checklist = next(c for c in shipped_checklists() if c.key == "iso42001-2023")
    controls = tuple(Control(i.id, i.title) for i in checklist.soa_items)
    assert len(controls) == 38
    lines = [f"{c.id},yes,,implemented" for c in controls]
    result = read(csv_bytes(*lines), controls=controls)
    assert result.ok, messages(result)
    assert len(result.entries) == 38


# --- refused rows -------------------------------------------------------------------------------

def with_row(index: int, line: str) -> bytes:
    lines = list(GOOD_ROWS)
    lines[index] = line
    return csv_bytes(*lines)


@pytest.mark.parametrize(("line", "row", "words"), [
    ("A.2.4,maybe,,implemented", 4, "Applicable must be yes or no, not “maybe”"),
    ("A.2.4,,,implemented", 4, "Applicable is empty"),
    ("A.2.4,yes,,done", 4, "Unknown status “done”"),
    ("A.2.4,yes,,", 4, "needs an implementation status"),
    ("A.2.4,no,,", 4, "An excluded control needs a justification"),
    ("A.2.4,no,   ,", 4, "An excluded control needs a justification"),
])
def test_a_bad_value_is_refused_with_its_row_and_control(line, row, words):
    problem = the_only_problem(read(with_row(2, line)))
    assert problem.row == row
    assert problem.control_id == "A.2.4"
    assert words in problem.message


def test_an_unknown_control_id_for_the_scheme_is_refused():
    result = read(csv_bytes(*GOOD_ROWS, "A.5.1,yes,,implemented"))
    problem = the_only_problem(result)
    assert problem.row == 6
    assert problem.message == "A.5.1 is not an Annex A control of ISO/IEC 42001:2023."


def test_a_duplicate_control_id_names_the_first_row():
    problem = the_only_problem(read(csv_bytes(*GOOD_ROWS, "a.2.3,yes,,planned")))
    assert problem.row == 6
    assert problem.message == "Duplicate control id A.2.3: it is already in row 3."


def test_an_empty_control_id_is_refused():
    problem = the_only_problem(read(csv_bytes(*GOOD_ROWS, ",yes,,planned")))
    assert (problem.row, problem.message) == (6, "The control id is empty.")


def test_controls_missing_from_the_file_are_named_and_not_carried_over():
    problem = the_only_problem(read(csv_bytes(GOOD_ROWS[0], GOOD_ROWS[2])))
    assert problem.row is None
    assert "2 Annex A controls of ISO/IEC 42001:2023 are not in the file: A.2.3, A.3.2" \
        in problem.message
    assert "does not carry missing controls over" in problem.message


def test_every_bad_row_is_reported_at_once_and_nothing_is_accepted():
    data = csv_bytes("A.2.2,yes,,implemented", "A.2.3,no,,", "A.9.9,yes,,implemented",
                     "A.2.4,sometimes,,finished", "A.2.2,yes,,implemented")
    result = read(data)
    assert not result.ok
    assert messages(result) == [
        (3, "An excluded control needs a justification for its exclusion."),
        (4, "A.9.9 is not an Annex A control of ISO/IEC 42001:2023."),
        (5, "Applicable must be yes or no, not “sometimes”."),
        (5, "Unknown status “finished”: use “implemented”, “partially implemented”, "
            "“planned”, “not implemented”."),
        (6, "Duplicate control id A.2.2: it is already in row 2."),
        (None, "1 Annex A control of ISO/IEC 42001:2023 is not in the file: A.3.2. List every "
               "control: auditkit does not carry missing controls over from the previous "
               "revision."),
    ]


# --- the file as a whole ------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"   \n\n", b",,,\n,,\n"])
def test_an_empty_file_is_refused(data):
    assert the_only_problem(read(data)).message == "The file is empty."


def test_a_header_without_rows_is_refused():
    problem = the_only_problem(read(csv_bytes()))
    assert "header row but no controls" in problem.message


def test_a_missing_column_is_named_with_the_spellings_accepted():
    data = csv_bytes(*[line.rsplit(",", 1)[0] for line in GOOD_ROWS],
                     header="control id,applicable,justification")
    problem = the_only_problem(read(data))
    assert problem.row == 1
    assert problem.message.startswith("Missing column: status (a header spelled “status”, "
                                      "“implementation status”")


def test_two_missing_columns_are_both_named():
    result = read(csv_bytes("A.2.2,yes", header="control,stat"))
    assert [m.split(" (")[0] for _row, m in messages(result)] == [
        "Missing column: applicable", "Missing column: justification", "Missing column: status"]


def test_a_file_without_a_header_row_is_refused():
    data = "\n".join(GOOD_ROWS).encode()
    problem = the_only_problem(read(data))
    assert problem.row == 1
    assert "Row 1 holds data, not column names" in problem.message


def test_a_column_given_twice_is_refused():
    problem = the_only_problem(read(csv_bytes(*GOOD_ROWS,
                                              header=HEADER + ",implementation status")))
    assert "Two columns give the status" in problem.message


def test_a_csv_not_in_utf8_names_its_line():
    text = "\n".join([HEADER, GOOD_ROWS[0], "A.2.3,no,Géré par le groupe,", *GOOD_ROWS[2:]])
    problem = the_only_problem(read(text.encode("cp1252")))
    assert problem.row == 3
    assert problem.message.startswith("The file is not UTF-8 text: line 3 holds the byte 0xE9")
    assert "CSV UTF-8" in problem.message


def test_the_encoding_report_gives_the_row_when_a_cell_spans_lines():
    text = "\n".join([HEADER, 'A.2.2,yes,"Policy\nsigned by the board",implemented',
                      "A.2.3,no,Décidé,", *GOOD_ROWS[2:]])
    problem = the_only_problem(read(text.encode("latin-1")))
    assert problem.row == 3
    assert "line 4" in problem.message


def test_every_line_not_in_utf8_is_listed():
    text = "\n".join([HEADER, "A.2.2,yes,Contrôle,implemented", "A.2.3,no,Déjà,", *GOOD_ROWS[2:]])
    result = read(text.encode("latin-1"))
    assert [p.row for p in result.problems] == [2, 3]


def test_a_utf16_file_is_refused_with_the_remedy():
    data = csv_bytes(*GOOD_ROWS).decode().encode("utf-16")
    assert "UTF-16" in the_only_problem(read(data)).message


def test_an_old_xls_file_and_a_broken_workbook_are_refused():
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100
    assert ".xls" in the_only_problem(read(old, "soa.xls")).message
    broken = b"PK\x03\x04" + b"not really a zip"
    assert "could not be opened as an Excel workbook" in \
        the_only_problem(read(broken, "soa.xlsx")).message
    assert "not an Excel workbook" in the_only_problem(read(b"control id\n", "soa.xlsx")).message


def test_too_many_rows_are_refused():
    lines = ["A.2.2,yes,,implemented"] * (MAX_ROWS + 1)
    assert "more than" in the_only_problem(read(csv_bytes(*lines))).message


def test_a_broken_csv_quote_names_the_row():
    data = csv_bytes(GOOD_ROWS[0], 'A.2.3,no,"unterminated', *GOOD_ROWS[2:])
    problem = the_only_problem(read(data))
    assert "cannot be read as CSV" in problem.message


# --- the export, read back ------------------------------------------------------------------------

def test_the_export_reads_back_to_the_same_entries_even_with_formula_like_text():
    entries = [Entry("A.2.2", True, "=HYPERLINK(\"x\")", ImplementationStatus.IMPLEMENTED),
               Entry("A.2.3", False, "-not needed; no other policies", None),
               Entry("A.2.4", True, "Reviewed yearly, by the board", ImplementationStatus.PLANNED),
               Entry("A.3.2", True, "@roles", ImplementationStatus.PARTIALLY_IMPLEMENTED)]
    text = export_csv(CONTROLS, entries)
    assert "'=HYPERLINK" in text  # a spreadsheet shows it as text, never runs it
    result = read(text.encode("utf-8"))
    assert result.ok, messages(result)
    assert list(result.entries) == entries


def test_an_export_without_a_revision_is_a_template_refused_until_filled():
    result = read(export_csv(CONTROLS, []).encode("utf-8"))
    assert [p.row for p in result.problems] == [2, 3, 4, 5]
    assert all("Applicable is empty" in p.message for p in result.problems)


# --- hostile workbooks and the CSV export's formula guard ---------------------------------------

def refused_quickly(data: bytes, filename: str = "soa.xlsx") -> str:
    started = time.perf_counter()
    result = read(data, filename)
    assert time.perf_counter() - started < 5
    assert result.entries == () and not result.ok
    return the_only_problem(result).message


def test_a_sheet_declaring_the_whole_grid_is_refused_quickly():
    message = refused_quickly(far_corner_sheet(["control id", "applicable", "justification",
                                                "status"]))
    assert "declares a range of 1,048,576 rows and 16,384 columns" in message


def test_a_far_row_without_a_declared_range_counts_as_too_many_rows():
    data = sheet_with(["control id", "applicable", "justification", "status"],
                      {2: [("A2", "A.2.2")], 1048576: [("A1048576", "A.2.3")]})
    assert f"more than {MAX_ROWS} rows" in refused_quickly(data)


def test_a_shared_strings_bomb_is_refused_quickly():
    assert refused_quickly(shared_strings_bomb(50)) == (
        "This spreadsheet expands to more than 20 MB; split it or save it as CSV.")


def test_the_export_quotes_every_field():
    text = export_csv(CONTROLS, [Entry("A.2.2", True, "Policy", ImplementationStatus.PLANNED)])
    assert text.splitlines()[:2] == [
        '"control id","title","applicable","justification","status"',
        '"A.2.2","AI policy","yes","Policy","planned"']


@pytest.mark.parametrize("separator", [";", ",", "\t", "\n", "; ", ";'"])
def test_a_formula_after_a_separator_is_guarded_and_read_back(separator):
    justification = f"Out of scope{separator}=WEBSERVICE(\"http://x.test\")"
    entries = [Entry("A.2.2", False, justification, None),
               Entry("A.2.3", False, "Covered by the group", None),
               Entry("A.2.4", True, "Reviewed", ImplementationStatus.PLANNED),
               Entry("A.3.2", True, "Roles", ImplementationStatus.PLANNED)]
    text = export_csv(CONTROLS, entries)
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            for piece in re.split(r"[,;\t\r\n]", cell):
                assert not piece.lstrip(" '").startswith("=") or piece.startswith("'"), cell
    result = read(text.encode("utf-8"))
    assert result.ok, messages(result)
    assert list(result.entries) == entries


@pytest.mark.parametrize("typed", ["'tis policy", "Rock 'n' roll; 'quoted'", "It's - fine",
                                   "'=literally", "''=twice"])
def test_an_apostrophe_the_user_typed_survives_export_and_import(typed):
    entries = [Entry("A.2.2", False, typed, None),
               Entry("A.2.3", False, "Covered by the group", None),
               Entry("A.2.4", True, "Reviewed", ImplementationStatus.PLANNED),
               Entry("A.3.2", True, "Roles", ImplementationStatus.PLANNED)]
    result = read(export_csv(CONTROLS, entries).encode("utf-8"))
    assert result.ok, messages(result)
    assert result.entries[0].justification == typed


def test_an_apostrophe_not_before_a_formula_is_kept_on_import():
    rows = ["A.2.2,no,'tis excluded,", *GOOD_ROWS[1:]]
    result = read(csv_bytes(*rows))
    assert result.ok, messages(result)
    assert result.entries[0].justification == "'tis excluded"

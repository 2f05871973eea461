"""Opening uploaded workbooks safely (auditkit.spreadsheets): bombs and huge ranges are refused
before they cost time or memory; ordinary workbooks read as before."""

import io
import time
import zipfile

import pytest

from auditkit.spreadsheets import (
    MAX_DECLARED_ROWS,
    SpreadsheetRefused,
    read_first_sheet,
    refuse_expanding_archive,
)
from tests.unit.crafted_xlsx import (
    SHARED_STRINGS_PART,
    far_corner_sheet,
    shared_strings_bomb,
    sheet_with,
    with_part,
    workbook_bytes,
)


def refusal(data: bytes, **limits) -> str:
    started = time.perf_counter()
    with pytest.raises(SpreadsheetRefused) as refused:
        read_first_sheet(data, **(limits or {"max_rows": 10, "columns": 5}))
    assert time.perf_counter() - started < 5, "a refusal must be quick"
    return refused.value.message


def test_an_ordinary_workbook_is_read_within_its_limits():
    sheet = read_first_sheet(workbook_bytes([["a", "b"], [1, None], [], ["x", "y"]]),
                             max_rows=10, columns=3)
    assert sheet.rows == [("a", "b", None), (1, None, None), (None, None, None),
                          ("x", "y", None)]
    assert not sheet.more_rows


def test_rows_beyond_the_limit_are_reported_not_read():
    sheet = read_first_sheet(workbook_bytes([[n] for n in range(1, 8)]), max_rows=5, columns=1)
    assert [row[0] for row in sheet.rows] == [1, 2, 3, 4, 5]
    assert sheet.more_rows


def test_the_far_corner_trap_is_refused_by_its_declared_range():
    data = far_corner_sheet(["name"])
    assert len(data) < 10_000
    assert "declares a range of 1,048,576 rows and 16,384 columns" in refusal(data)


def test_a_far_row_without_a_declared_range_is_not_padded_to():
    data = sheet_with(["name"], {1048576: [("A1048576", "x")]})
    started = time.perf_counter()
    sheet = read_first_sheet(data, max_rows=10, columns=5)
    assert time.perf_counter() - started < 5
    assert len(sheet.rows) == 10 and sheet.more_rows


def test_a_declared_range_just_below_the_limit_is_accepted():
    data = sheet_with(["name"], {2: [("A2", "x")]}, f"A1:E{MAX_DECLARED_ROWS}")
    assert read_first_sheet(data, max_rows=10, columns=5).rows[1][0] == "x"


@pytest.mark.parametrize(("cell", "dimension"), [("F2", None), ("Z2", "A1:Z2"),
                                                 ("ALL2", "A1:ALL2")])
def test_values_right_of_the_columns_read_are_refused(cell, dimension):
    data = sheet_with(["name"], {2: [("A2", "x"), (cell, "far")]}, dimension)
    assert "values right of column E" in refusal(data)


def test_empty_formatted_columns_in_the_declared_range_are_no_problem():
    data = sheet_with(["name"], {2: [("A2", "x")]}, "A1:Z2")
    assert read_first_sheet(data, max_rows=10, columns=5).rows == [
        ("name", None, None, None, None), ("x", None, None, None, None)]


def test_a_shared_strings_bomb_is_refused_before_openpyxl_loads_it():
    data = shared_strings_bomb(50)
    assert len(data) < 1_000_000
    assert refusal(data) == ("This spreadsheet expands to more than 20 MB; split it or save it "
                             "as CSV.")


def test_a_shared_strings_part_over_its_own_limit_is_refused():
    assert "text table (xl/sharedStrings.xml) expands to more than 5 MB" in refusal(
        shared_strings_bomb(8))


def test_a_part_compressed_beyond_any_normal_ratio_is_refused():
    data = with_part(workbook_bytes([["a"]]), "xl/media/padding.bin", b"\0" * 3_000_000)
    assert "compressed more than 100 to 1 (xl/media/padding.bin)" in refusal(data)


def test_an_archive_with_thousands_of_parts_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for number in range(1001):
            archive.writestr(f"part{number}.xml", b"")
    with pytest.raises(SpreadsheetRefused, match="more than 1,000 internal parts"):
        refuse_expanding_archive(buffer.getvalue())


@pytest.mark.parametrize("data", [b"PK\x03\x04broken zip", b"name\nA\n", b""])
def test_a_file_that_is_not_a_zip_gets_the_not_a_workbook_message(data):
    assert refusal(data) == "The file could not be opened as an Excel workbook (.xlsx)."


def test_a_zip_that_is_not_a_workbook_gets_the_not_a_workbook_message():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", b"hello")
    assert refusal(buffer.getvalue()) == ("The file could not be opened as an Excel workbook "
                                          "(.xlsx).")


def test_the_shared_strings_limit_leaves_room_for_real_text():
    data = with_part(workbook_bytes([["a"]]), SHARED_STRINGS_PART,
                     b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                     b"<si><t>a</t></si></sst>")
    assert read_first_sheet(data, max_rows=5, columns=2).rows == [("a", None)]

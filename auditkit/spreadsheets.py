"""Opening an uploaded XLSX workbook without letting it exhaust a worker (no Flask, no database).

An XLSX file is a zip archive of XML parts. Two kinds of small upload used to cost minutes and
hundreds of MB, so both importers (clients, SoA) read workbooks only through this module:

- a compressed "bomb": openpyxl loads the whole shared-strings part even in read-only mode, so
  the archive is checked with `zipfile` before openpyxl sees it. The sizes checked are those of
  the central directory, which `zipfile` (and so openpyxl) never decompresses past.
- a sheet declaring a huge range (`A1:XFD1048576`): read-only openpyxl pads every missing row
  up to that range, so rows and columns are always read with explicit limits.
"""

import io
import zipfile
from dataclasses import dataclass

MB = 1_000_000
MAX_EXPANDED_BYTES = 20 * MB
MAX_PART_BYTES = {"xl/sharedStrings.xml": 5 * MB}
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM = 1 * MB  # a smaller part is harmless whatever its ratio
MAX_PARTS = 1000
# Beyond these a sheet's declared range is not a list someone typed but a trap or an accident.
MAX_DECLARED_ROWS = 100_000
MAX_DECLARED_COLUMNS = 1_000

NOT_A_WORKBOOK = "The file could not be opened as an Excel workbook (.xlsx)."
UNREADABLE_SHEET = "The workbook's first sheet could not be read."


class SpreadsheetRefused(Exception):
    """The workbook is not read at all; the message says why, for the person uploading it."""

    @property
    def message(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Sheet:
    """The first rows of a workbook's first sheet, each exactly `columns` values wide.

    `more_rows` tells that the sheet goes on below the rows read (rows holding nothing but
    formatting included).
    """

    rows: list[tuple[object, ...]]
    more_rows: bool


def refuse_expanding_archive(data: bytes) -> None:
    """Raise SpreadsheetRefused unless the archive stays small once decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise SpreadsheetRefused(NOT_A_WORKBOOK) from None
    if len(parts) > MAX_PARTS:
        raise SpreadsheetRefused(f"This spreadsheet holds more than {MAX_PARTS:,} internal "
                                 "parts; save it again as a plain .xlsx or as CSV.")
    if sum(part.file_size for part in parts) > MAX_EXPANDED_BYTES:
        raise SpreadsheetRefused(f"This spreadsheet expands to more than "
                                 f"{MAX_EXPANDED_BYTES // MB} MB; split it or save it as CSV.")
    for part in parts:
        _refuse_part(part)


def _refuse_part(part: zipfile.ZipInfo) -> None:
    limit = MAX_PART_BYTES.get(part.filename)
    if limit is not None and part.file_size > limit:
        raise SpreadsheetRefused(f"This spreadsheet's text table ({part.filename}) expands to "
                                 f"more than {limit // MB} MB; split it or save it as CSV.")
    if part.file_size > RATIO_CHECKED_FROM and \
            part.file_size > MAX_COMPRESSION_RATIO * max(part.compress_size, 1):
        raise SpreadsheetRefused(f"This spreadsheet is compressed more than "
                                 f"{MAX_COMPRESSION_RATIO} to 1 ({part.filename}), which a "
                                 "normal workbook never is; save it again or as CSV.")


def read_first_sheet(data: bytes, *, max_rows: int, columns: int) -> Sheet:
    """Rows 1 to `max_rows` of the first sheet, `columns` values wide (None for an empty cell).

    Raises SpreadsheetRefused for an archive that expands too far, a file that is not a
    workbook, a sheet declaring an absurd range, or values right of `columns`.
    """
    from openpyxl import load_workbook

    refuse_expanding_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any failure here means the workbook cannot be read
        raise SpreadsheetRefused(NOT_A_WORKBOOK) from None
    try:
        sheet = workbook.worksheets[0]
        _refuse_absurd_range(sheet.max_row, sheet.max_column)
        # One row past the limit, to see whether the sheet goes on; columns up to the declared
        # range (now at most MAX_DECLARED_COLUMNS) and at least one more than needed, so that
        # a value right of them is refused rather than silently dropped.
        width = max(columns + 1, sheet.max_column or 0)
        rows = [_within_width(values, columns)
                for values in sheet.iter_rows(max_row=max_rows + 1, max_col=width,
                                              values_only=True)]
    except SpreadsheetRefused:
        raise
    except Exception:  # noqa: BLE001 - a damaged sheet is reported, never a server error
        raise SpreadsheetRefused(UNREADABLE_SHEET) from None
    finally:
        workbook.close()
    return Sheet(rows=rows[:max_rows], more_rows=len(rows) > max_rows)


def _refuse_absurd_range(rows: int | None, columns: int | None) -> None:
    if (rows or 0) > MAX_DECLARED_ROWS or (columns or 0) > MAX_DECLARED_COLUMNS:
        raise SpreadsheetRefused(
            f"The first sheet declares a range of {rows or 0:,} rows and {columns or 0:,} "
            f"columns; a sheet to import has far fewer. Delete the unused rows and columns "
            "(or copy the table into a new workbook), or save it as CSV.")


def _within_width(values: tuple[object, ...], columns: int) -> tuple[object, ...]:
    if any(_filled(value) for value in values[columns:]):
        from openpyxl.utils import get_column_letter

        last = get_column_letter(columns)
        raise SpreadsheetRefused(f"The first sheet has values right of column {last}; an "
                                 f"import reads columns A to {last} only. Delete the extra "
                                 "columns, or save the sheet as CSV.")
    return tuple(values[:columns]) + (None,) * (columns - len(values))


def _filled(value: object) -> bool:
    return value is not None and str(value).strip() != ""

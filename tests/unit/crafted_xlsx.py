"""Hostile XLSX uploads built in memory: a sheet declaring a huge range, a compressed bomb."""

import io
import zipfile

from openpyxl import Workbook

SHEET_PART = "xl/worksheets/sheet1.xml"
SHARED_STRINGS_PART = "xl/sharedStrings.xml"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def workbook_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part replaced (or added), deflated at the highest level."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for part in source.infolist():
            if part.filename != name:
                target.writestr(part.filename, source.read(part.filename))
        target.writestr(name, content)
    return buffer.getvalue()


def _inline(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: dict[int, list[tuple[str, str]]], dimension: str | None) -> bytes:
    """A worksheet part with inline-string cells {row number: [(reference, text)]}."""
    body = "".join(f'<row r="{number}">' + "".join(_inline(ref, text) for ref, text in cells)
                   + "</row>" for number, cells in sorted(rows.items()))
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{_MAIN}">{declared}<sheetData>{body}</sheetData>'
            f"</worksheet>").encode()


def sheet_with(header: list[str], rows: dict[int, list[tuple[str, str]]],
               dimension: str | None = None) -> bytes:
    """A real workbook whose first sheet is the header in row 1 plus the crafted rows."""
    cells = [(f"{chr(ord('A') + index)}1", name) for index, name in enumerate(header)]
    return with_part(workbook_bytes([["placeholder"]]), SHEET_PART,
                     sheet_xml({1: cells, **rows}, dimension))


def far_corner_sheet(header: list[str]) -> bytes:
    """The 4.7 KB trap: a declared range up to XFD1048576 and one cell in that corner."""
    return sheet_with(header, {1048576: [("XFD1048576", "x")]}, "A1:XFD1048576")


def shared_strings_bomb(megabytes: int = 50) -> bytes:
    """A workbook whose shared-strings part declares `megabytes` MB of repeated text."""
    filler = b"<si><t>" + b"A" * 1000 + b"</t></si>"
    count = megabytes * 1_000_000 // len(filler)
    content = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{_MAIN}" '
               f'count="{count}" uniqueCount="{count}">').encode() + filler * count + b"</sst>"
    return with_part(workbook_bytes([["control id"], ["A.2.2"]]), SHARED_STRINGS_PART, content)

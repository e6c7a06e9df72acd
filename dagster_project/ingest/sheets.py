"""Workbook facts the xlsx reader checks itself against: which sheet holds the data, and how
many data rows that sheet's XML holds, counted without openpyxl.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import iterparse


class SheetError(ValueError):
    pass


def choose_sheet(wb, wanted: str | None):
    """The sheet the contract names, else the first visible one: a hidden sheet is never data
    (it is where spreadsheets keep old versions and workings)."""
    if wanted:
        for ws in wb.worksheets:
            if ws.title.strip().lower() == wanted.strip().lower():
                if ws.sheet_state != "visible":
                    raise SheetError(f"the sheet {ws.title!r} the contract names is hidden")
                return ws
        raise SheetError(
            f"no sheet named {wanted!r} (sheets: {', '.join(repr(w.title) for w in wb.worksheets)})"
        )
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    if not visible:
        raise SheetError("every sheet is hidden")
    return visible[0]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _shared_strings(z: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in z.namelist():
        return []
    out: list[str] = []
    for _, el in iterparse(z.open("xl/sharedStrings.xml")):
        if _local(el.tag) == "si":
            out.append("".join(t.text or "" for t in el.iter() if _local(t.tag) == "t"))
            el.clear()
    return out


def _cell_has_content(cell, strings: list[str]) -> bool:
    for child in cell:
        kind = _local(child.tag)
        if kind == "f":
            return True
        if kind == "is" and "".join(t.text or "" for t in child.iter() if _local(t.tag) == "t"):
            return True
        if kind == "v" and child.text:
            if cell.get("t") == "s":
                return strings[int(child.text)] != ""
            return True
    return False


def count_data_rows(workbook: bytes, sheet_path: str, header_row: int) -> int:
    """Rows below `header_row` with at least one cell holding a value or a formula."""
    with zipfile.ZipFile(io.BytesIO(workbook)) as z:
        strings = _shared_strings(z)
        n = row = 0
        for _, el in iterparse(z.open(sheet_path.lstrip("/"))):
            if _local(el.tag) != "row":
                continue
            row = int(el.get("r") or row + 1)  # `r` is optional: then rows follow one another
            if row > header_row and any(
                _cell_has_content(c, strings) for c in el if _local(c.tag) == "c"
            ):
                n += 1
            el.clear()
        return n

"""Record-level rows of a worksheet written as sheet XML, not as openpyxl cells.

openpyxl builds an object per cell and serialises it through a pure-Python XML writer: ~0.1 ms a
cell, so the Q1.2 detail sheet's 175k assessments (1.4 M cells) took ~20 s of the quarter's
exports at scale 1000 (docs/SCALE.md). `PlainRows` writes the same cells openpyxl would write
for the same values (type, style id, inline string, `xml:space`), straight as text, and
`insert_rows` puts them into the saved workbook. The sheet's first and last data rows, and any
row holding a value outside the plain cases below, still go through openpyxl: they register the
styles and the sheet's dimension, filter and every other part of the sheet as before.

Plain cases: None, str (after `neutralise_formula`), int and float (finite), date and naive
datetime in a date column.
"""

from __future__ import annotations

import io
import math
import zipfile
from datetime import date, datetime
from xml.sax.saxutils import escape

from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet.worksheet import Worksheet

from .text import neutralise_formula

DATE = "date"  # the kind of a column whose values are dates (its format is the date format)
MAX_TEXT = 32_767  # openpyxl's limit: longer text is cut (Cell.check_string)


class NotPlain(Exception):
    """A value openpyxl itself must write."""


class PlainRows:
    """Rows of one worksheet kept as XML until the workbook is saved.

    `add(row, cells)` returns False when a cell is not plain: the caller writes that row with
    openpyxl. Every run of added rows is inserted before the next row openpyxl writes, so the
    sheet's last data row must be one openpyxl writes."""

    def __init__(self, ws: Worksheet, date_format: str):
        self.ws = ws
        self.date_format = date_format
        self.styles: dict[str, str] = {}
        self.runs: dict[int, list[str]] = {}  # openpyxl's row -> the XML rows before it
        self._run: list[str] = []

    def add(self, row: int, cells: list[tuple[object, str]]) -> bool:
        """`cells`: (value, format) per column from column 1: DATE for a date column, else the
        number format of its numbers."""
        try:
            xml = "".join(self._cell(row, col, v, f) for col, (v, f) in enumerate(cells, 1))
        except NotPlain:
            return False
        self._run.append(f'<row r="{row}">{xml}</row>')
        return True

    def written_by_openpyxl(self, row: int) -> None:
        """`row` is written with openpyxl: the rows added since the last such row go before it."""
        if self._run:
            self.runs[row] = self._run
            self._run = []

    def _style(self, number_format: str) -> str:
        if number_format not in self.styles:
            probe = Cell(self.ws)  # not placed in the sheet: only registers the style
            probe.number_format = number_format
            self.styles[number_format] = str(probe.style_id)
        return self.styles[number_format]

    def _cell(self, row: int, col: int, value, fmt: str) -> str:
        ref = f"{get_column_letter(col)}{row}"
        if fmt == DATE:
            style = self._style(self.date_format)  # always styled; a date is a serial number
            if value is None:
                return f'<c r="{ref}" s="{style}" t="n"/>'
            if type(value) is date or (type(value) is datetime and value.tzinfo is None):
                return f'<c r="{ref}" s="{style}" t="n"><v>{_number(to_excel(value))}</v></c>'
            raise NotPlain
        if type(value) in (int, float):
            return f'<c r="{ref}" s="{self._style(fmt)}" t="n"><v>{_number(value)}</v></c>'
        if value is None:
            return ""  # an unstyled empty cell: openpyxl writes nothing
        if isinstance(value, (int, float, bytes)):  # bool, numpy and other number types
            raise NotPlain
        text = neutralise_formula(str(value))[:MAX_TEXT]
        if (
            (len(text) > 1 and text.startswith("="))
            or text in ERROR_CODES
            or ILLEGAL_CHARACTERS_RE.search(text)
        ):
            raise NotPlain
        if text == "":
            return f'<c r="{ref}" t="inlineStr"/>'
        space = ' xml:space="preserve"' if text.strip() and text != text.strip() else ""
        return f'<c r="{ref}" t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'


def _number(value) -> str:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise NotPlain
    return f"{value:.16g}"  # openpyxl's safe_string


def insert_rows(xlsx: bytes, sheets: list[PlainRows]) -> bytes:
    """The saved workbook with each sheet's plain rows in place (after `Workbook.save`, which
    sets each worksheet's path in the package)."""
    changed = {w.ws.path.lstrip("/"): w for w in sheets if w.runs}
    if not changed:
        return xlsx
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename in changed:
                data = _with_runs(data.decode("utf-8"), changed[info.filename]).encode("utf-8")
            dst.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _with_runs(xml: str, rows: PlainRows) -> str:
    parts, at = [], 0
    for before in sorted(rows.runs):
        i = xml.index(f'<row r="{before}"', at)
        parts += [xml[at:i], *rows.runs[before]]
        at = i
    parts.append(xml[at:])
    return "".join(parts)

"""`toex_kpis_<slug>.xlsx`: a contents sheet and one sheet per research question (openpyxl).

Values are stored unrounded as numbers; a number format rounds them for display (shares as
%, gbp as £, days to whole days), so the workbook reads well and still adds up. Every text
cell goes through `neutralise_formula`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from dagster_project.fiscal import Quarter

from .catalogue import KPI_NAMES, RESEARCH_QUESTIONS, period_label, question_of
from .figures import KpiRow
from .text import neutralise_formula

CONTENTS = "Contents"
OTHER = "Other"
HEADER = ("KPI", "KPI name", "Measure", "Period", "Period type", "Period start", "Period end",
          "Breakdown", "Breakdown value", "Value", "Unit")
WIDTHS = (7, 34, 34, 30, 15, 12, 12, 16, 26, 16, 8)
FIRST_DATA_ROW = 5

NUMBER_FORMATS = {
    "share": "0.0%",
    "gbp": '"£"#,##0',
    "days": "#,##0",
    "points": "#,##0.0",
    "bytes": "#,##0",
}
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")


def number_format(value: float | None, unit: str) -> str:
    if unit in NUMBER_FORMATS:
        return NUMBER_FORMATS[unit]
    if unit == "count" and value is not None and float(value).is_integer():
        return "#,##0"
    return "#,##0.00"


def _text(ws: Worksheet, row: int, column: int, value, font: Font | None = None):
    cell = ws.cell(row=row, column=column, value=None if value is None else neutralise_formula(value))
    if font is not None:
        cell.font = font
    return cell


def _question_sheet(wb: Workbook, name: str, title: str, quarter: Quarter, rows: Sequence[KpiRow]) -> int:
    ws = wb.create_sheet(name)
    _text(ws, 1, 1, title, _TITLE)
    _text(ws, 2, 1, f"{quarter.label} ({quarter.start:%d %b %Y} to {quarter.end:%d %b %Y}). "
          "Values are unrounded; the Value column's format rounds them for display.")
    for col, (head, width) in enumerate(zip(HEADER, WIDTHS), start=1):
        cell = _text(ws, FIRST_DATA_ROW - 1, col, head, _BOLD)
        cell.fill = _HEAD_FILL
        ws.column_dimensions[get_column_letter(col)].width = width
    for offset, row in enumerate(rows):
        r = FIRST_DATA_ROW + offset
        _text(ws, r, 1, row.kpi_id)
        _text(ws, r, 2, KPI_NAMES.get(row.kpi_id, ""))
        _text(ws, r, 3, row.measure)
        _text(ws, r, 4, period_label(row))
        _text(ws, r, 5, row.period_type)
        for col, day in ((6, row.period_start), (7, row.period_end)):
            cell = ws.cell(row=r, column=col, value=day)
            cell.number_format = "yyyy-mm-dd"
        _text(ws, r, 8, row.breakdown)
        _text(ws, r, 9, row.breakdown_value)
        value = ws.cell(row=r, column=10, value=row.value)
        value.number_format = number_format(row.value, row.unit)
        _text(ws, r, 11, row.unit)
    last = FIRST_DATA_ROW + len(rows) - 1
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=1)
    ws.auto_filter.ref = f"A{FIRST_DATA_ROW - 1}:{get_column_letter(len(HEADER))}{max(last, FIRST_DATA_ROW - 1)}"
    if not rows:
        _text(ws, FIRST_DATA_ROW, 1, f"No figures are available for {name} in {quarter.label}.")
    return len(rows)


def build_workbook(
    rows: Sequence[KpiRow], quarter: Quarter, *, run_id: str, code_version: str
) -> tuple[bytes, dict[str, int]]:
    """The workbook's bytes and its data rows per sheet (for the manifest)."""
    grouped: dict[str, list[KpiRow]] = {q: [] for q in RESEARCH_QUESTIONS}
    for row in rows:
        grouped.setdefault(question_of(row.kpi_id) or OTHER, []).append(row)

    wb = Workbook()
    contents = wb.active
    contents.title = CONTENTS
    counts: dict[str, int] = {}
    for name, members in grouped.items():
        title = f"{name}: {RESEARCH_QUESTIONS[name]}" if name in RESEARCH_QUESTIONS else "Other KPIs"
        counts[name] = _question_sheet(wb, name, title, quarter, members)

    _text(contents, 1, 1, f"TOEX KPIs {quarter.label}", _TITLE)
    _text(contents, 2, 1, "The quarter's figures from kpi_values (the same rows as kpi_values.csv), "
          "one sheet per research question.")
    for col, (head, width) in enumerate(zip(("Sheet", "Research question", "KPIs", "Rows"), (10, 100, 28, 8)), 1):
        cell = _text(contents, 4, col, head, _BOLD)
        cell.fill = _HEAD_FILL
        contents.column_dimensions[get_column_letter(col)].width = width
    r = 5
    for name, members in grouped.items():
        link = _text(contents, r, 1, name)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{name}'!A1")  # in-workbook, not external
        link.font = Font(underline="single", color="1F4E79")
        question = _text(contents, r, 2, RESEARCH_QUESTIONS.get(name, "KPIs outside Q1-Q5"))
        question.alignment = Alignment(wrap_text=True, vertical="top")
        _text(contents, r, 3, ", ".join(sorted({m.kpi_id for m in members})))
        contents.cell(row=r, column=4, value=counts[name])
        r += 1
    counts[CONTENTS] = r - 5
    r += 1
    for label, value in (
        ("Quarter", quarter.label),
        ("Period", f"{quarter.start.isoformat()} to {quarter.end.isoformat()}"),
        ("Run id", run_id),
        ("Code version", code_version),
        ("Formats", "Shares as %, gbp as £, days rounded to whole days; values are stored unrounded."),
    ):
        _text(contents, r, 1, label, _BOLD)
        _text(contents, r, 2, value)
        r += 1

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), {CONTENTS: counts.pop(CONTENTS), **counts}

"""`toex_kpis_<slug>.xlsx` (openpyxl; the detail sheets' rows as XML, `sheet_rows`), in order:

    Contents | Q1 .. Q5 (the quarter's figures, catalogue order) | Time series (every quarter since
    inception, the series the pack's charts draw) | Risk score changes | Top 10 | Definitions
    (the KPI catalogue)

Values are stored unrounded as numbers; a number format by unit rounds them for display (shares
as %, p-values as decimals, bytes in MB, gbp as £), so the workbook reads well and still adds up.
Dates are UK (dd/mm/yyyy); the key columns and header rows are frozen. Every text cell goes
through `neutralise_formula`. Labels, definitions and order come from the KPI catalogue.
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

from .catalogue import (
    CATALOGUE,
    KPI_NAMES,
    RESEARCH_QUESTIONS,
    period_label,
    question_of,
    row_order,
)
from .figures import KpiRow
from .sheet_rows import DATE, PlainRows, insert_rows
from .sources import Detail
from .text import neutralise_formula

CONTENTS, OTHER, SERIES, RISK, TOP10, DEFINITIONS = (
    "Contents",
    "Other",
    "Time series",
    "Risk score changes",
    "Top 10",
    "Definitions",
)
HEADER = (
    "KPI",
    "Measure",
    "Label",
    "Period",
    "Breakdown",
    "Breakdown value",
    "Value",
    "Unit",
    "Population",
    "Period type",
    "Period start",
    "Period end",
    "KPI name",
)
WIDTHS = (7, 30, 34, 22, 16, 24, 16, 9, 44, 15, 12, 12, 34)
KEY_COLUMNS = 4  # KPI, Measure, Label, Period stay in view when scrolling right
FIRST_DATA_ROW = 5
UK_DATE = "dd/mm/yyyy"
DETAIL_NUMBER_FORMAT = "#,##0"  # numbers in a detail column without a format of its own

NUMBER_FORMATS = {
    "share": "0.0%",
    "share_change": "+0.0%;-0.0%;0.0%",
    "gbp": '"£"#,##0',
    "days": "#,##0",
    "points": "#,##0.0",
    "p_value": "0.000",
    "ratio": "#,##0.00",
    "bytes": '#,##0.0,, "MB"',
    "rows": "#,##0",
}
# The quarterly series the pack's charts draw: (kpi_id, measure, breakdown, breakdown_value).
HEADLINE_SERIES = (
    ("Q1.1", "safeguarding_referrals", "all", "all"),
    ("Q1.1", "priority_individuals", "all", "all"),
    ("Q1.1", "ocgs", "all", "all"),
    ("Q1.1", "vulnerabilities", "all", "all"),
    ("Q1.3", "disruptions", "involvement", "toex"),
    ("Q1.3", "disruptions", "involvement", "non_toex"),
    ("Q1.4", "safeguarding_operations", "all", "all"),
    ("Q1.2", "score_change_p_value", "all", "all"),
    ("Q5.1", "costs_gbp", "all", "all"),
    ("Q5.2", "gross_savings_gbp", "all", "all"),
)
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
    cell = ws.cell(
        row=row, column=column, value=None if value is None else neutralise_formula(value)
    )
    if font is not None:
        cell.font = font
    return cell


def _date(ws: Worksheet, row: int, column: int, value):
    cell = ws.cell(row=row, column=column, value=value)
    cell.number_format = UK_DATE
    return cell


def _table_head(
    ws: Worksheet,
    title: str,
    subtitle: str,
    header: Sequence[str],
    widths: Sequence[int],
    frozen_columns: int,
) -> None:
    _text(ws, 1, 1, title, _TITLE)
    _text(ws, 2, 1, subtitle)
    for col, (head, width) in enumerate(zip(header, widths, strict=False), start=1):
        cell = _text(ws, FIRST_DATA_ROW - 1, col, head, _BOLD)
        cell.fill = _HEAD_FILL
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=frozen_columns + 1)


def _filter(ws: Worksheet, columns: int, rows: int) -> None:
    last = max(FIRST_DATA_ROW + rows - 1, FIRST_DATA_ROW - 1)
    ws.auto_filter.ref = f"A{FIRST_DATA_ROW - 1}:{get_column_letter(columns)}{last}"


def _question_sheet(
    wb: Workbook, name: str, title: str, quarter: Quarter, rows: Sequence[KpiRow]
) -> int:
    ws = wb.create_sheet(name)
    _table_head(
        ws,
        title,
        f"{quarter.label} ({quarter.start:%d/%m/%Y} to {quarter.end:%d/%m/%Y}). Values are "
        "unrounded; the Value column's format rounds them for display. "
        "Definitions: the Definitions sheet.",
        HEADER,
        WIDTHS,
        KEY_COLUMNS,
    )
    for offset, row in enumerate(sorted(rows, key=row_order)):
        r = FIRST_DATA_ROW + offset
        entry = CATALOGUE.entry(row.kpi_id, row.measure, row.breakdown)
        label = entry.label if entry else ""
        if entry and entry.pattern:
            label = f"{label} {row.measure}"
        for col, value in enumerate(
            (row.kpi_id, row.measure, label, period_label(row), row.breakdown, row.breakdown_value),
            start=1,
        ):
            _text(ws, r, col, value)
        value = ws.cell(row=r, column=7, value=row.value)
        value.number_format = number_format(row.value, row.unit)
        _text(ws, r, 8, row.unit)
        _text(ws, r, 9, row.population or (entry.population if entry else ""))
        _text(ws, r, 10, row.period_type)
        _date(ws, r, 11, row.period_start)
        _date(ws, r, 12, row.period_end)
        _text(ws, r, 13, KPI_NAMES.get(row.kpi_id, ""))
    _filter(ws, len(HEADER), len(rows))
    if not rows:
        _text(ws, FIRST_DATA_ROW, 1, f"No figures are available for {name} in {quarter.label}.")
    return len(rows)


def _series_sheet(wb: Workbook, history: Sequence[tuple[Quarter, KpiRow]], quarter: Quarter) -> int:
    """One row per quarter from the inception quarter (the first in kpi_values) to `quarter`."""
    ws = wb.create_sheet(SERIES)
    values: dict[tuple, dict[Quarter, KpiRow]] = {}
    for reporting, row in history:
        values.setdefault((row.kpi_id, row.measure, row.breakdown, row.breakdown_value), {})[
            reporting
        ] = row
    first = min((q for q, _ in history), default=quarter)
    quarters = []
    q = first
    while q <= quarter:
        quarters.append(q)
        q = q.next()
    series = [key for key in HEADLINE_SERIES if key in values]
    header = ["Quarter", "Quarter start", "Quarter end"]
    for kpi, measure, by, value in series:
        entry = CATALOGUE.entry(kpi, measure, by)
        label = entry.label if entry else measure
        header.append(f"{kpi} {label}" + ("" if by == "all" else f" ({by} = {value})"))
    _table_head(
        ws,
        f"Quarterly series since inception, {first.label} to {quarter.label}",
        "Each quarter's own figure (period_type quarter), as published for that quarter: "
        "the series behind the pack's charts. Columns: KPI, label and breakdown (see Definitions).",
        header,
        [12, 13, 13] + [22] * len(series),
        1,
    )
    for offset, q in enumerate(quarters):
        r = FIRST_DATA_ROW + offset
        _text(ws, r, 1, q.label)
        _date(ws, r, 2, q.start)
        _date(ws, r, 3, q.end)
        for col, key in enumerate(series, start=4):
            row = values[key].get(q)
            if row is not None:
                cell = ws.cell(row=r, column=col, value=row.value)
                cell.number_format = number_format(row.value, row.unit)
    _filter(ws, len(header), len(quarters))
    return len(quarters)


def _detail_sheet(
    wb: Workbook,
    name: str,
    title: str,
    detail: Detail,
    columns: Sequence[tuple[str, str, str]],
    frozen: int,
) -> PlainRows:
    """A record-level table: columns are (key in the detail rows, header, format). Its rows
    between the first and the last are written as XML by `sheet_rows` (build_workbook)."""
    ws = wb.create_sheet(name)
    rows = detail.rows or []
    _table_head(
        ws,
        title,
        detail.note or "Every row of the quarter, from the warehouse's detail table.",
        [h for _, h, _ in columns],
        [max(12, len(h) + 2) for _, h, _ in columns],
        frozen,
    )
    plain = PlainRows(ws, UK_DATE)
    for offset, record in enumerate(rows):
        r = FIRST_DATA_ROW + offset
        cells = [(record.get(key), fmt or DETAIL_NUMBER_FORMAT) for key, _, fmt in columns]
        if 0 < offset < len(rows) - 1 and plain.add(r, cells):
            continue
        plain.written_by_openpyxl(r)
        for col, (value, fmt) in enumerate(cells, start=1):
            if fmt == DATE:
                _date(ws, r, col, value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.cell(row=r, column=col, value=value).number_format = fmt
            else:
                _text(ws, r, col, None if value is None else str(value))
    _filter(ws, len(columns), len(rows))
    if detail.rows is None:
        _text(ws, FIRST_DATA_ROW, 1, detail.note or "Not available.")
    return plain


def _definitions_sheet(wb: Workbook) -> int:
    ws = wb.create_sheet(DEFINITIONS)
    header = (
        "KPI",
        "Measure",
        "Breakdown",
        "Label",
        "Definition",
        "Population",
        "Unit",
        "Period types",
        "Repeats",
        "Disclosure class",
        "KPI name",
    )
    _table_head(
        ws,
        "Definitions: the KPI catalogue",
        "One row per (KPI, measure, breakdown), from "
        "dbt/catalogue/kpi_catalogue.yml (the warehouse table kpis.kpi_catalogue). "
        "A breakdown can change who is counted: read Population. "
        "Leave rows that repeat another KPI's figure out of sums.",
        header,
        (7, 30, 14, 34, 70, 44, 9, 30, 26, 14, 34),
        3,
    )
    for offset, e in enumerate(CATALOGUE.entries):
        r = FIRST_DATA_ROW + offset
        for col, value in enumerate(
            (
                e.kpi_id,
                e.measure,
                e.breakdown,
                e.label,
                e.definition,
                e.population,
                e.unit,
                ", ".join(e.periods),
                e.repeats,
                e.disclosure,
                KPI_NAMES[e.kpi_id],
            ),
            start=1,
        ):
            cell = _text(ws, r, col, value)
            if col in (5, 6):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    r = FIRST_DATA_ROW + len(CATALOGUE.entries) + 1
    _text(ws, r, 1, "Units", _BOLD)
    for offset, (unit, meaning) in enumerate(CATALOGUE.units.items(), start=1):
        _text(ws, r + offset, 1, unit)
        _text(ws, r + offset, 2, meaning)
    _filter(ws, len(header), len(CATALOGUE.entries))
    return len(CATALOGUE.entries)


RISK_COLUMNS = (
    ("operation_ref", "Operation", ""),
    ("threat_type", "Threat type", ""),
    ("assessment_date", "Assessment date", DATE),
    ("previous_score", "Previous score", "#,##0"),
    ("risk_score", "Risk score", "#,##0"),
    ("score_change", "Change", "+#,##0;-#,##0;0"),
    ("previous_ori", "Previous ORI", "0"),
    ("ori", "ORI", "0"),
)
TOP10_COLUMNS = (
    ("threat_type", "Threat type", ""),
    ("month_end", "Month end", DATE),
    ("rank", "Rank", "0"),
    ("operation_ref", "Operation", ""),
    ("risk_score", "Risk score", "#,##0"),
    ("toex_supported", "TOEX supported", ""),
)


def build_workbook(
    rows: Sequence[KpiRow],
    quarter: Quarter,
    *,
    run_id: str,
    code_version: str,
    history: Sequence[tuple[Quarter, KpiRow]] = (),
    risk_changes: Detail | None = None,
    top10: Detail | None = None,
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
        title = (
            f"{name}: {RESEARCH_QUESTIONS[name]}" if name in RESEARCH_QUESTIONS else "Other KPIs"
        )
        counts[name] = _question_sheet(wb, name, title, quarter, members)
    counts[SERIES] = _series_sheet(wb, history, quarter)
    risk = _detail_sheet(
        wb,
        RISK,
        f"Q1.2 risk score changes of TOEX-involved assessments, {quarter.label}",
        risk_changes or Detail([], None),
        RISK_COLUMNS,
        2,
    )
    counts[RISK] = len(risk_changes.rows or []) if risk_changes else 0
    top = _detail_sheet(
        wb,
        TOP10,
        f"Q2.3 Top 10 highest-risk operations at each month end, {quarter.label}",
        top10 or Detail([], None),
        TOP10_COLUMNS,
        3,
    )
    counts[TOP10] = len(top10.rows or []) if top10 else 0
    counts[DEFINITIONS] = _definitions_sheet(wb)

    _text(contents, 1, 1, f"TOEX KPIs {quarter.label}", _TITLE)
    _text(
        contents,
        2,
        1,
        "The quarter's figures from kpi_values (the same rows as kpi_values.csv), one sheet per "
        "research question in the pack's order, then the quarterly series, the detail tables "
        "and the definitions.",
    )
    for col, (head, width) in enumerate(
        zip(("Sheet", "Contents", "KPIs", "Rows"), (20, 100, 28, 8), strict=False), 1
    ):
        cell = _text(contents, 4, col, head, _BOLD)
        cell.fill = _HEAD_FILL
        contents.column_dimensions[get_column_letter(col)].width = width
    described = {
        SERIES: "Every quarter since inception for the headline measures (the pack's charts)",
        RISK: "Every TOEX-involved assessment of the quarter, largest decrease first",
        TOP10: "The month-end Top 10 highest-risk operations per exploitation threat",
        DEFINITIONS: "The KPI catalogue: label, definition, population and unit of every measure",
    }
    r = 5
    for name in counts:
        link = _text(contents, r, 1, name)
        link.hyperlink = Hyperlink(
            ref=link.coordinate, location=f"'{name}'!A1"
        )  # in-workbook, not external
        link.font = Font(underline="single", color="1F4E79")
        text = RESEARCH_QUESTIONS.get(name) or described.get(name, "KPIs outside Q1-Q5")
        _text(contents, r, 2, text).alignment = Alignment(wrap_text=True, vertical="top")
        _text(contents, r, 3, ", ".join(sorted({m.kpi_id for m in grouped.get(name, [])})))
        contents.cell(row=r, column=4, value=counts[name])
        r += 1
    counts[CONTENTS] = r - 5
    r += 1
    for label, value in (
        ("Quarter", quarter.label),
        ("Period", f"{quarter.start:%d/%m/%Y} to {quarter.end:%d/%m/%Y}"),
        ("Run id", run_id),
        ("Code version", code_version),
        (
            "Formats",
            "Shares as %, p-values as decimals, bytes in MB, gbp as £, days rounded to whole days; "
            "values are stored unrounded; dates dd/mm/yyyy.",
        ),
    ):
        _text(contents, r, 1, label, _BOLD)
        _text(contents, r, 2, value)
        r += 1
    contents.freeze_panes = "A5"

    buffer = io.BytesIO()
    wb.save(buffer)
    xlsx = insert_rows(buffer.getvalue(), [risk, top])
    return xlsx, {CONTENTS: counts.pop(CONTENTS), **counts}

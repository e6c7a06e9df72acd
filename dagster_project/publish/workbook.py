"""`toex_kpis_<slug>.xlsx` (XlsxWriter), sheets in the pack's order:

    Contents | Q1 .. Q5 (the quarter's figures, catalogue order) | Time series (every quarter since
    inception, the series the pack's charts draw) | Risk score changes | Top 10 | Definitions
    (the KPI catalogue)

Values are stored unrounded as numbers; a number format by unit rounds them for display (shares
as %, p-values as decimals, bytes in MB, gbp as £), so the workbook reads well and still adds up.
Dates are UK (dd/mm/yyyy); the key columns and header rows are frozen. Every text cell goes
through `neutralise_formula`. Labels, definitions and order come from the KPI catalogue.

Written with XlsxWriter in `constant_memory` mode: each sheet's rows stream to a temporary file
as they are written (the Q1.2 detail sheet holds every assessment of the quarter, 1.4 M cells at
scale 1000; docs/SCALE_LOG.md), so every sheet is written top row first and the Contents sheet,
which needs the other sheets' row counts, is filled last. Text is written with `write_string`
(never parsed as a formula or URL), numbers with `write_number`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

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
FIRST_DATA_ROW = 5  # 1-based, as a reader sees it; XlsxWriter counts rows and columns from 0
UK_DATE = "dd/mm/yyyy"
DATE = "date"  # the kind of a detail column whose values are dates (shown as UK_DATE)
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
BOLD = {"bold": True}
TITLE = {"bold": True, "font_size": 14}
HEAD = {"bold": True, "bg_color": "#DDE4EE", "pattern": 1}
LINK = {"underline": 1, "font_color": "#1F4E79"}
WRAP_TOP = {"text_wrap": True, "valign": "top"}


class _Formats:
    """One XlsxWriter Format per distinct set of properties (a workbook's formats are shared)."""

    def __init__(self, wb: xlsxwriter.Workbook):
        self._wb = wb
        self._made: dict[tuple, Format] = {}

    def __call__(self, properties: dict | None = None, num_format: str | None = None) -> Format:
        props = dict(properties or {})
        if num_format:
            props["num_format"] = num_format
        key = tuple(sorted(props.items()))
        if key not in self._made:
            self._made[key] = self._wb.add_format(props)
        return self._made[key]


def number_format(value: float | None, unit: str) -> str:
    if unit in NUMBER_FORMATS:
        return NUMBER_FORMATS[unit]
    if unit == "count" and value is not None and float(value).is_integer():
        return "#,##0"
    return "#,##0.00"


class _Sheet:
    """A worksheet addressed as a reader sees it (row 1, column 1 = A1), with the workbook's
    shared formats."""

    def __init__(self, ws: Worksheet, formats: _Formats):
        self.ws = ws
        self.formats = formats

    def text(self, row: int, column: int, value, style: dict | None = None) -> None:
        if value is not None:
            self._string(row, column, value, self.formats(style) if style else None)

    def _string(self, row: int, column: int, value, cell_format: Format | None) -> None:
        """Text made inert (`neutralise_formula`); an empty text leaves the cell empty, as
        openpyxl did (keeping its format, if any)."""
        text = neutralise_formula(value)
        if text:
            self.ws.write_string(row - 1, column - 1, text, cell_format)
        elif cell_format is not None:
            self.ws.write_blank(row - 1, column - 1, None, cell_format)

    def number(self, row: int, column: int, value, num_format: str | None = None) -> None:
        """A number (unrounded; the format rounds it for display); an empty cell keeps the
        format."""
        fmt = self.formats(None, num_format) if num_format else None
        if value is None:
            self.ws.write_blank(row - 1, column - 1, None, fmt)
        else:
            self.ws.write_number(row - 1, column - 1, value, fmt)

    def date(self, row: int, column: int, value) -> None:
        fmt = self.formats(None, UK_DATE)
        if isinstance(value, date):  # datetime too; a timezone-aware one is refused, not shifted
            self.ws.write_datetime(row - 1, column - 1, value, fmt)
        elif value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            self.number(row, column, value, UK_DATE)  # a serial number is a date already
        else:  # text in a date column keeps the column's format, as before
            self._string(row, column, str(value), fmt)

    def table_head(
        self,
        title: str,
        subtitle: str,
        header: Sequence[str],
        widths: Sequence[int],
        frozen_columns: int,
    ) -> None:
        self.text(1, 1, title, TITLE)
        self.text(2, 1, subtitle)
        for col, (head, width) in enumerate(zip(header, widths, strict=False), start=1):
            self.text(FIRST_DATA_ROW - 1, col, head, HEAD)
            self.ws.set_column(col - 1, col - 1, width)
        self.ws.freeze_panes(FIRST_DATA_ROW - 1, frozen_columns)

    def filter(self, columns: int, rows: int) -> None:
        last = max(FIRST_DATA_ROW + rows - 1, FIRST_DATA_ROW - 1)
        self.ws.autofilter(FIRST_DATA_ROW - 2, 0, last - 1, columns - 1)


def _question_sheet(sheet: _Sheet, title: str, quarter: Quarter, rows: Sequence[KpiRow]) -> int:
    sheet.table_head(
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
            sheet.text(r, col, value)
        sheet.number(r, 7, row.value, number_format(row.value, row.unit))
        sheet.text(r, 8, row.unit)
        sheet.text(r, 9, row.population or (entry.population if entry else ""))
        sheet.text(r, 10, row.period_type)
        sheet.date(r, 11, row.period_start)
        sheet.date(r, 12, row.period_end)
        sheet.text(r, 13, KPI_NAMES.get(row.kpi_id, ""))
    sheet.filter(len(HEADER), len(rows))
    if not rows:
        sheet.text(
            FIRST_DATA_ROW, 1, f"No figures are available for {sheet.ws.name} in {quarter.label}."
        )
    return len(rows)


def _series_sheet(
    sheet: _Sheet, history: Sequence[tuple[Quarter, KpiRow]], quarter: Quarter
) -> int:
    """One row per quarter from the inception quarter (the first in kpi_values) to `quarter`."""
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
    sheet.table_head(
        f"Quarterly series since inception, {first.label} to {quarter.label}",
        "Each quarter's own figure (period_type quarter), as published for that quarter: "
        "the series behind the pack's charts. Columns: KPI, label and breakdown (see Definitions).",
        header,
        [12, 13, 13] + [22] * len(series),
        1,
    )
    for offset, q in enumerate(quarters):
        r = FIRST_DATA_ROW + offset
        sheet.text(r, 1, q.label)
        sheet.date(r, 2, q.start)
        sheet.date(r, 3, q.end)
        for col, key in enumerate(series, start=4):
            row = values[key].get(q)
            if row is not None:
                sheet.number(r, col, row.value, number_format(row.value, row.unit))
    sheet.filter(len(header), len(quarters))
    return len(quarters)


def _detail_sheet(
    sheet: _Sheet,
    title: str,
    detail: Detail,
    columns: Sequence[tuple[str, str, str]],
    frozen: int,
) -> None:
    """A record-level table: columns are (key in the detail rows, header, format). Numbers
    (not bools) keep the column's format, dates the UK date format; any other value is text."""
    rows = detail.rows or []
    sheet.table_head(
        title,
        detail.note or "Every row of the quarter, from the warehouse's detail table.",
        [h for _, h, _ in columns],
        [max(12, len(h) + 2) for _, h, _ in columns],
        frozen,
    )
    ws = sheet.ws
    plan = [  # (key, column from 0, the column's format, a date column?)
        (
            key,
            col,
            sheet.formats(None, UK_DATE if fmt == DATE else fmt or DETAIL_NUMBER_FORMAT),
            fmt == DATE,
        )
        for col, (key, _, fmt) in enumerate(columns)
    ]
    # The Q1.2 sheet holds every assessment of the quarter (1.4 M cells at scale 1000): ints,
    # floats and text go to XlsxWriter directly; any other value takes the general path.
    for row, record in enumerate(rows, start=FIRST_DATA_ROW - 1):
        for key, col, cell_format, is_date in plan:
            value = record.get(key)
            kind = type(value)
            if kind is int or kind is float:
                ws.write_number(row, col, value, cell_format)
            elif kind is str and not is_date:
                sheet.text(row + 1, col + 1, value)
            elif is_date:
                sheet.date(row + 1, col + 1, value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(row, col, value, cell_format)
            elif value is not None:
                sheet.text(row + 1, col + 1, str(value))
    sheet.filter(len(columns), len(rows))
    if detail.rows is None:
        sheet.text(FIRST_DATA_ROW, 1, detail.note or "Not available.")


def _definitions_sheet(sheet: _Sheet) -> int:
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
    sheet.table_head(
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
            sheet.text(r, col, value, WRAP_TOP if col in (5, 6) else None)
    r = FIRST_DATA_ROW + len(CATALOGUE.entries) + 1
    sheet.text(r, 1, "Units", BOLD)
    for offset, (unit, meaning) in enumerate(CATALOGUE.units.items(), start=1):
        sheet.text(r + offset, 1, unit)
        sheet.text(r + offset, 2, meaning)
    sheet.filter(len(header), len(CATALOGUE.entries))
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

    buffer = io.BytesIO()
    # nan_inf_to_errors: a NaN or infinite value is shown as #NUM! / #DIV/0!, not refused.
    wb = xlsxwriter.Workbook(buffer, {"constant_memory": True, "nan_inf_to_errors": True})
    formats = _Formats(wb)

    def sheet(name: str) -> _Sheet:
        return _Sheet(wb.add_worksheet(name), formats)

    contents = sheet(CONTENTS)  # first in the tab order, filled last (it lists the row counts)
    counts: dict[str, int] = {}
    for name, members in grouped.items():
        title = (
            f"{name}: {RESEARCH_QUESTIONS[name]}" if name in RESEARCH_QUESTIONS else "Other KPIs"
        )
        counts[name] = _question_sheet(sheet(name), title, quarter, members)
    counts[SERIES] = _series_sheet(sheet(SERIES), history, quarter)
    _detail_sheet(
        sheet(RISK),
        f"Q1.2 risk score changes of TOEX-involved assessments, {quarter.label}",
        risk_changes or Detail([], None),
        RISK_COLUMNS,
        2,
    )
    counts[RISK] = len(risk_changes.rows or []) if risk_changes else 0
    _detail_sheet(
        sheet(TOP10),
        f"Q2.3 Top 10 highest-risk operations at each month end, {quarter.label}",
        top10 or Detail([], None),
        TOP10_COLUMNS,
        3,
    )
    counts[TOP10] = len(top10.rows or []) if top10 else 0
    counts[DEFINITIONS] = _definitions_sheet(sheet(DEFINITIONS))

    contents.text(1, 1, f"TOEX KPIs {quarter.label}", TITLE)
    contents.text(
        2,
        1,
        "The quarter's figures from kpi_values (the same rows as kpi_values.csv), one sheet per "
        "research question in the pack's order, then the quarterly series, the detail tables "
        "and the definitions.",
    )
    for col, (head, width) in enumerate(
        zip(("Sheet", "Contents", "KPIs", "Rows"), (20, 100, 28, 8), strict=False), 1
    ):
        contents.text(4, col, head, HEAD)
        contents.ws.set_column(col - 1, col - 1, width)
    described = {
        SERIES: "Every quarter since inception for the headline measures (the pack's charts)",
        RISK: "Every TOEX-involved assessment of the quarter, largest decrease first",
        TOP10: "The month-end Top 10 highest-risk operations per exploitation threat",
        DEFINITIONS: "The KPI catalogue: label, definition, population and unit of every measure",
    }
    r = 5
    for name in counts:
        contents.ws.write_url(  # in-workbook ("internal:"), not external
            r - 1,
            0,
            f"internal:'{name}'!A1",
            formats(LINK),
            neutralise_formula(name),
        )
        text = RESEARCH_QUESTIONS.get(name) or described.get(name, "KPIs outside Q1-Q5")
        contents.text(r, 2, text, WRAP_TOP)
        contents.text(r, 3, ", ".join(sorted({m.kpi_id for m in grouped.get(name, [])})))
        contents.number(r, 4, counts[name])
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
        contents.text(r, 1, label, BOLD)
        contents.text(r, 2, value)
        r += 1
    contents.ws.freeze_panes(4, 0)  # rows 1-4 (title and header) stay in view

    wb.close()
    return buffer.getvalue(), {CONTENTS: counts.pop(CONTENTS), **counts}

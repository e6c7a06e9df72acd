"""Names the pack and the workbook show, all read from the KPI catalogue
(`dbt/catalogue/kpi_catalogue.yml`, `dagster_project.kpi_catalogue`): nothing is copied here."""

from __future__ import annotations

from dagster_project.fiscal import Quarter
from dagster_project.kpi_catalogue import catalogue

from .figures import KpiRow

CATALOGUE = catalogue()
RESEARCH_QUESTIONS: dict[str, str] = CATALOGUE.questions
KPI_NAMES: dict[str, str] = {k: v.name for k, v in CATALOGUE.kpis.items()}
KPI_DESCRIPTIONS: dict[str, str] = {k: v.description for k, v in CATALOGUE.kpis.items()}
question_of = CATALOGUE.question_of


def long_date(value) -> str:
    """UK long date, `30 June 2025`."""
    return f"{value.day} {value:%B %Y}"


def period_label(row: KpiRow) -> str:
    """The row's period name as kpi_values.period_label publishes it (`2025-26 Q1`, `FY 2024-25`,
    `As at 30 June 2025` ...); computed the same way for rows read from an older warehouse."""
    if row.period_label:
        return row.period_label
    start, end, kind = row.period_start, row.period_end, row.period_type
    if start is None or end is None:
        return kind
    labels = {
        "quarter": lambda: Quarter.containing(start).label,
        "financial_year": lambda: f"FY {Quarter.containing(start).fy_label}",
        "fy_to_date": lambda: f"FY {Quarter.containing(start).fy_label} to date",
        "since_inception": lambda: "Since inception",
        "as_at": lambda: f"As at {long_date(end)}",
        "month": lambda: f"{start:%B %Y}",
    }
    return labels[kind]() if kind in labels else f"{start.isoformat()} to {end.isoformat()}"


def row_order(row: KpiRow) -> tuple:
    """Pack order: the catalogue's order of (kpi, measure, breakdown), then the period."""
    return (
        CATALOGUE.order(row.kpi_id, row.measure, row.breakdown),
        row.measure,
        row.period_type,
        row.period_start or Quarter(1900, 1).start,
        row.breakdown_value,
    )

"""Reading the publisher's inputs from the warehouse, defensively.

`kpi_values` is required (its ten columns are the public contract, KPIS.md). The detail
tables and case studies are optional: columns are found by name among known spellings, and a
table that is absent or unreadable is skipped with a note that the pack shows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import duckdb

from dagster_project.fiscal import Quarter

from .figures import KPI_COLUMNS, KpiRow

log = logging.getLogger("toex.publish")

KPI_SCHEMAS = ("kpis", "marts", "main")


class PublishInputError(RuntimeError):
    """A required input (kpi_values) is missing from the warehouse."""


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def find_relation(con: duckdb.DuckDBPyConnection, table: str, schemas: Sequence[str]) -> str | None:
    """`schema.table` (quoted) of the first of `schemas` holding `table`, else of any schema."""
    rows = con.execute(
        "select table_schema from information_schema.tables "
        "where lower(table_name) = lower(?) and table_catalog = current_database()",
        [table],
    ).fetchall()
    found = [r[0] for r in rows]
    if not found:
        return None
    ranked = sorted(found, key=lambda s: (schemas.index(s) if s in schemas else len(schemas), s))
    return f"{quote_ident(ranked[0])}.{quote_ident(table)}"


def relation_columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [d[0] for d in con.execute(f"select * from {relation} limit 0").description]


def _pick(columns: Sequence[str], *candidates: str) -> str | None:
    lowered = {c.lower(): c for c in columns}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    return None


def _quarter_keys(quarter: Quarter) -> list[str]:
    return [quarter.label, quarter.slug]


# -- kpi_values -----------------------------------------------------------------------------

_KPI_SELECT = """
    select
        cast(reporting_quarter as varchar),
        cast(kpi_id as varchar),
        cast(measure as varchar),
        cast(period_type as varchar),
        cast(period_start as date),
        cast(period_end as date),
        cast(coalesce(breakdown, 'all') as varchar),
        cast(coalesce(breakdown_value, 'all') as varchar),
        cast(value as double),
        cast(unit as varchar),
        {period_label},
        {population}
    from {relation}
"""
# Columns added to kpi_values after its first ten (a warehouse built before them reads as '').
OPTIONAL_COLUMNS = ("period_label", "population")
# The export's deterministic order; the trailing columns only break ties between duplicates.
KPI_ORDER = (
    "order by kpi_id, measure, period_type, period_start nulls first, breakdown, breakdown_value, "
    "period_end nulls first, value nulls first, unit, reporting_quarter"
)


def kpi_values_relation(con: duckdb.DuckDBPyConnection) -> str:
    relation = find_relation(con, "kpi_values", KPI_SCHEMAS)
    if relation is None:
        raise PublishInputError(
            "kpi_values not found in the warehouse (expected kpis.kpi_values): "
            "build the dbt models first"
        )
    missing = (
        set(KPI_COLUMNS)
        - set(OPTIONAL_COLUMNS)
        - {c.lower() for c in relation_columns(con, relation)}
    )
    if missing:
        raise PublishInputError(f"{relation} lacks column(s) {', '.join(sorted(missing))}")
    return relation


PUBLISHED_DIGITS = 12


def published_row(raw) -> KpiRow:
    """A kpi_values row as published: the value to 12 significant digits. DuckDB aggregates in
    parallel, so a mean or share can differ in its last bit or two from run to run (2e-15 seen
    between engines); the published figure must not. Revisions use the same tolerance idea
    (revisions.py, 1e-9 relative)."""
    row = KpiRow(*raw)
    if isinstance(row.value, float):
        row = row._replace(value=float(f"{row.value:.{PUBLISHED_DIGITS}g}"))
    return row


def _kpi_select(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    present = {c.lower() for c in relation_columns(con, relation)}
    optional = {c: f"cast({c} as varchar)" if c in present else "''" for c in OPTIONAL_COLUMNS}
    return _KPI_SELECT.format(relation=relation, **optional)


def read_kpi_values(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> list[KpiRow]:
    """The quarter's rows of kpi_values in the export's deterministic order."""
    relation = kpi_values_relation(con)
    sql = (
        _kpi_select(con, relation)
        + " where cast(reporting_quarter as varchar) in (?, ?) "
        + KPI_ORDER
    )
    return [published_row(row) for row in con.execute(sql, _quarter_keys(quarter)).fetchall()]


def read_kpi_history(
    con: duckdb.DuckDBPyConnection, quarter: Quarter
) -> list[tuple[Quarter, KpiRow]]:
    """Each reporting quarter's own `quarter` rows, for every reporting quarter up to `quarter`."""
    relation = kpi_values_relation(con)
    sql = _kpi_select(con, relation) + " where period_type = 'quarter' " + KPI_ORDER
    out = []
    for raw in con.execute(sql).fetchall():
        row = published_row(raw)
        try:
            reporting = Quarter.parse(row.reporting_quarter)
        except ValueError:
            continue
        if reporting <= quarter and row.period_start == reporting.start:
            out.append((reporting, row))
    out.sort(
        key=lambda item: (
            item[0],
            item[1].kpi_id,
            item[1].measure,
            item[1].breakdown,
            item[1].breakdown_value,
        )
    )
    return out


# -- optional detail tables ----------------------------------------------------------------


@dataclass
class Detail:
    """Rows of an optional table as dicts with canonical keys, or None with a note."""

    rows: list[dict] | None
    note: str | None = None


@dataclass
class CaseStudy:
    operation_ref: str
    title: str
    body_markdown: str


@dataclass
class Inputs:
    rows: list[KpiRow]
    history: list[tuple[Quarter, KpiRow]]
    risk_changes: Detail
    top10: Detail
    case_studies: list[CaseStudy]
    survey_questions: dict[str, str]
    notes: list[str] = field(default_factory=list)


def _read_detail(
    con: duckdb.DuckDBPyConnection,
    quarter: Quarter,
    table: str,
    aliases: dict[str, tuple[str, ...]],
    required: Sequence[str],
    date_column: str | None,
    schemas: Sequence[str] = KPI_SCHEMAS,
) -> Detail:
    relation = find_relation(con, table, schemas)
    if relation is None:
        return Detail(
            None, f"{table} is not in the warehouse; that table is left out of this pack."
        )
    try:
        columns = relation_columns(con, relation)
        mapping = {key: _pick(columns, *names) for key, names in aliases.items()}
        missing = [key for key in required if mapping[key] is None]
        if missing:
            return Detail(
                None, f"{table} lacks column(s) {', '.join(missing)}; left out of this pack."
            )
        selected = {k: v for k, v in mapping.items() if v is not None}
        select = ", ".join(f"{quote_ident(v)} as {quote_ident(k)}" for k, v in selected.items())
        if mapping.get("reporting_quarter"):
            where = f"cast({quote_ident(mapping['reporting_quarter'])} as varchar) in (?, ?)"
            params: list = _quarter_keys(quarter)
        elif date_column and mapping.get(date_column):
            where = f"cast({quote_ident(mapping[date_column])} as date) between ? and ?"
            params = [quarter.start, quarter.end]
        else:
            return Detail(None, f"{table} has no quarter or date column; left out of this pack.")
        cursor = con.execute(f"select {select} from {relation} where {where}", params)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, r, strict=False)) for r in cursor.fetchall()]
        for row in rows:
            for key in aliases:
                row.setdefault(key, None)
        return Detail(rows)
    except duckdb.Error as exc:  # a half-built table must not stop the publication
        log.warning("could not read %s: %s", relation, exc)
        return Detail(
            None, f"{table} could not be read ({type(exc).__name__}); left out of this pack."
        )


RISK_ALIASES = {
    "reporting_quarter": ("reporting_quarter", "quarter"),
    "assessment_id": ("assessment_id",),
    "operation_ref": ("operation_ref",),
    "threat_type": ("threat_type",),
    "assessment_date": ("assessment_date", "date"),
    "previous_score": ("previous_score", "previous_risk_score", "prev_risk_score", "prev_score"),
    "risk_score": ("risk_score", "new_score", "new_risk_score", "current_score"),
    "score_change": ("score_change", "risk_score_change", "change"),
    "previous_ori": ("previous_ori", "prev_ori"),
    "ori": ("ori", "new_ori"),
}

TOP10_ALIASES = {
    "reporting_quarter": ("reporting_quarter", "quarter"),
    "threat_type": ("threat_type",),
    "month_end": ("month_end", "snapshot_date", "month"),
    "rank": ("rank", "top10_rank", "risk_rank"),
    "operation_ref": ("operation_ref",),
    "toex_supported": ("toex_supported", "is_toex_supported", "supported"),
    "risk_score": ("risk_score",),
}


def read_risk_changes(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> Detail:
    detail = _read_detail(
        con,
        quarter,
        "kpi_toex_risk_score_changes",
        RISK_ALIASES,
        ("operation_ref",),
        "assessment_date",
    )
    if detail.rows is None:
        return detail
    for row in detail.rows:
        if (
            row["score_change"] is None
            and row["risk_score"] is not None
            and row["previous_score"] is not None
        ):
            row["score_change"] = row["risk_score"] - row["previous_score"]
    # Largest decrease first; first assessments (no change) last; ties stable by reference.
    detail.rows.sort(
        key=lambda r: (
            r["score_change"] is None,
            r["score_change"] if r["score_change"] is not None else 0,
            str(r["operation_ref"]),
            str(r["threat_type"] or ""),
            r["assessment_date"] or date.min,
            str(r["assessment_id"] or ""),
        )
    )
    return detail


def read_top10(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> Detail:
    detail = _read_detail(
        con,
        quarter,
        "kpi_top10_snapshots",
        TOP10_ALIASES,
        ("threat_type", "month_end", "rank", "operation_ref"),
        "month_end",
    )
    if detail.rows is not None:
        detail.rows.sort(key=lambda r: (str(r["threat_type"]), str(r["month_end"]), r["rank"] or 0))
    return detail


def truthy(value) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in {"y", "yes", "true", "1", "t"}


def read_case_studies(
    con: duckdb.DuckDBPyConnection, quarter: Quarter
) -> tuple[list[CaseStudy], str | None]:
    """Published case studies of the quarter: raw.case_studies (or the marts/staging model)."""
    for table, schemas in (
        ("case_studies", ("raw",)),
        ("fct_case_studies", ("marts",)),
        ("stg_case_studies", ("staging",)),
    ):
        relation = find_relation(con, table, schemas)
        if relation is None:
            continue
        try:
            columns = relation_columns(con, relation)
            q_col = _pick(columns, "quarter", "reporting_quarter")
            p_col = _pick(columns, "publish", "is_published", "published")
            cols = [_pick(columns, c) for c in ("operation_ref", "title", "body_markdown")]
            if not q_col or not p_col or None in cols:
                continue
            select = ", ".join(quote_ident(c) for c in [q_col, p_col, *cols])
            rows = con.execute(f"select {select} from {relation}").fetchall()
        except duckdb.Error as exc:
            log.warning("could not read %s: %s", relation, exc)
            continue
        out, seen = [], set()
        for q_text, publish, ref, title, body in rows:
            try:
                if Quarter.parse(str(q_text)) != quarter:
                    continue
            except ValueError:
                continue
            key = (str(ref or ""), str(title or ""), str(body or ""))
            if truthy(publish) and key not in seen:
                seen.add(key)
                out.append(CaseStudy(*key))
        out.sort(key=lambda c: (c.operation_ref, c.title, c.body_markdown))
        return out, None
    return [], "No case studies table was found in the warehouse."


def read_survey_questions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """question_id -> question_text from the staff survey, when the warehouse has it."""
    for table, schemas in (
        ("int_staff_survey_question_results", ("intermediate",)),
        ("stg_staff_survey", ("staging",)),
        ("staff_survey", ("raw",)),
    ):
        relation = find_relation(con, table, schemas)
        if relation is None:
            continue
        try:
            columns = relation_columns(con, relation)
            qid, text = _pick(columns, "question_id"), _pick(columns, "question_text")
            if not qid or not text:
                continue
            rows = con.execute(
                f"select cast({quote_ident(qid)} as varchar), "
                f"max(cast({quote_ident(text)} as varchar)) "
                f"from {relation} group by 1"
            ).fetchall()
            return {str(k): str(v) for k, v in rows if k is not None and v}
        except duckdb.Error:
            continue
    return {}


def read_inputs(con: duckdb.DuckDBPyConnection, quarter: Quarter) -> Inputs:
    rows = read_kpi_values(con, quarter)
    if not rows:
        # Most likely the KPI models did not build this quarter: publishing an empty pack would
        # replace a good publication with nothing, so refuse (the previous one stays served).
        raise PublishInputError(f"kpi_values holds no rows for {quarter.label}: nothing to publish")
    history = read_kpi_history(con, quarter)
    risk = read_risk_changes(con, quarter)
    top10 = read_top10(con, quarter)
    case_studies, case_note = read_case_studies(con, quarter)
    notes = [n for n in (risk.note, top10.note, case_note) if n]
    return Inputs(
        rows=rows,
        history=history,
        risk_changes=risk,
        top10=top10,
        case_studies=case_studies,
        survey_questions=read_survey_questions(con),
        notes=notes,
    )

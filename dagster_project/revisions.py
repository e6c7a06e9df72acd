"""Revisions to previously published figures, as official statistics record them.

Each publication snapshots the quarter's `kpi_values` rows into `ops.published_kpi_values`.
Before the next publication, every figure of every quarter already published is compared
with what the warehouse now computes from the current delivery; differences are recorded in
`ops.kpi_revisions` (quarter, measure, old value, new value, delivery) and listed in the pack.
"""

from __future__ import annotations

import duckdb

from dagster_project.publish.figures import KPI_GRAIN as GRAIN

_G = ", ".join(GRAIN)
_ON = " AND ".join(f"p.{c} IS NOT DISTINCT FROM k.{c}" for c in GRAIN)

DDL = (
    "\n"
    "CREATE SCHEMA IF NOT EXISTS ops;\n"
    "CREATE TABLE IF NOT EXISTS ops.published_kpi_values (\n"
    "    run_id VARCHAR, delivery_id VARCHAR, published_at TIMESTAMP,\n"
    "    reporting_quarter VARCHAR, kpi_id VARCHAR, measure VARCHAR, period_type VARCHAR,\n"
    "    period_start DATE, period_end DATE, breakdown VARCHAR, breakdown_value VARCHAR, "
    "value DOUBLE, unit VARCHAR);\n"
    "CREATE TABLE IF NOT EXISTS ops.kpi_revisions (\n"
    "    detected_in_run VARCHAR, delivery_id VARCHAR, previous_delivery_id VARCHAR, "
    "detected_at TIMESTAMP,\n"
    "    reporting_quarter VARCHAR, kpi_id VARCHAR, measure VARCHAR, period_type VARCHAR, "
    "period_start DATE,\n"
    "    period_end DATE, breakdown VARCHAR, breakdown_value VARCHAR, old_value DOUBLE, "
    "new_value DOUBLE);\n"
)

# The latest publication of each quarter; a figure is revised when today's value differs
# (beyond float noise) or has disappeared.
_LATEST = """
    SELECT * FROM ops.published_kpi_values p
    WHERE run_id = (SELECT arg_max(run_id, published_at) FROM ops.published_kpi_values q
                    WHERE q.reporting_quarter = p.reporting_quarter)
"""


def detect(con: duckdb.DuckDBPyConnection, run_id: str, delivery_id: str) -> list[dict]:
    """Record and return revisions of every already-published quarter (idempotent per run)."""
    con.execute(DDL)
    con.execute("DELETE FROM ops.kpi_revisions WHERE detected_in_run = ?", [run_id])
    con.execute(
        f"""
        INSERT INTO ops.kpi_revisions
        SELECT ?, ?, p.delivery_id, current_timestamp, """
        f"""{", ".join("p." + c for c in GRAIN)}, p.value, k.value
        FROM ({_LATEST}) p LEFT JOIN kpis.kpi_values k ON {_ON}
        WHERE k.value IS NULL OR abs(k.value - p.value) > 1e-9 * greatest(1, abs(p.value))
    """,
        [run_id, delivery_id],
    )
    rows = con.execute(
        f"""SELECT {_G}, old_value, new_value, delivery_id, previous_delivery_id
        FROM ops.kpi_revisions WHERE detected_in_run = ? ORDER BY {_G}""",
        [run_id],
    ).fetchall()
    cols = [*GRAIN, "old_value", "new_value", "delivery_id", "previous_delivery_id"]
    return [dict(zip(cols, r, strict=False)) for r in rows]


def record_publication(
    con: duckdb.DuckDBPyConnection, quarter_label: str, run_id: str, delivery_id: str
) -> int:
    con.execute(DDL)
    con.execute(
        f"""INSERT INTO ops.published_kpi_values
        SELECT ?, ?, current_timestamp, {_G}, value, unit """
        """FROM kpis.kpi_values WHERE reporting_quarter = ?""",
        [run_id, delivery_id, quarter_label],
    )
    return con.execute(
        "SELECT count(*) FROM ops.published_kpi_values WHERE run_id = ? AND reporting_quarter = ?",
        [run_id, quarter_label],
    ).fetchone()[0]

"""`quality.validation_results`: every expectation outcome of every run, in the warehouse.

One row per expectation per suite per run: the history analysts query (`warnings_for_run`
lists a run's failed warnings). The exports take a run's check results from the Dagster
instance, not from here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import duckdb

TABLE = "quality.validation_results"
COLUMNS = (
    "run_id",
    "checked_at",
    "asset",
    "suite",
    "expectation",
    "severity",
    "success",
    "observed_value",
    "message",
)

DDL = f"""
CREATE SCHEMA IF NOT EXISTS quality;
CREATE TABLE IF NOT EXISTS {TABLE} (
    run_id VARCHAR NOT NULL,
    checked_at TIMESTAMP NOT NULL,
    asset VARCHAR NOT NULL,
    suite VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    success BOOLEAN NOT NULL,
    observed_value VARCHAR,
    message VARCHAR
);
"""


def ensure_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def record(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    checked_at: datetime,
    asset: str,
    outcomes: Iterable,
) -> int:
    """Store a suite's outcomes for a run (replacing that suite's earlier rows for the run,
    so a retried check step does not double count). Returns the rows written."""
    ensure_table(con)
    rows = [
        [
            run_id,
            checked_at,
            asset,
            o.suite,
            o.expectation,
            o.severity,
            bool(o.success),
            None if o.observed_value is None else json.dumps(o.observed_value, default=str),
            o.message or None,
        ]
        for o in outcomes
    ]
    suites = sorted({r[3] for r in rows})
    con.execute("BEGIN")
    try:
        for suite in suites:
            con.execute(f"DELETE FROM {TABLE} WHERE run_id = ? AND suite = ?", [run_id, suite])
        if rows:
            con.executemany(
                f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(COLUMNS))})",
                rows,
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(rows)


def results_for_run(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    *,
    severity: str | None = None,
    failed_only: bool = False,
) -> list[dict]:
    """A run's outcomes as dicts (columns above), failures first, then by asset, suite,
    expectation."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'quality' "
        "AND table_name = 'validation_results'"
    ).fetchone()[0]
    if not exists:
        return []
    sql = f"SELECT {', '.join(COLUMNS)} FROM {TABLE} WHERE run_id = ?"
    args: list = [run_id]
    if severity:
        sql += " AND severity = ?"
        args.append(severity)
    if failed_only:
        sql += " AND NOT success"
    sql += " ORDER BY success, asset, suite, expectation"
    cur = con.execute(sql, args)
    return [dict(zip(COLUMNS, r, strict=False)) for r in cur.fetchall()]


def warnings_for_run(con: duckdb.DuckDBPyConnection, run_id: str) -> list[dict]:
    """The `warn` expectations that failed in a run: what the pack must show."""
    return results_for_run(con, run_id, severity="warn", failed_only=True)

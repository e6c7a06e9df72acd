"""Helpers for the dbt tests: a scratch warehouse with the raw layer, and a dbt runner that
never touches dbt/target (Dagster's manifest lives there)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from dagster_project.contract import contracts, raw_table_ddl
from dagster_project.dbt_project import QUARTER_ENV
from dagster_project.settings import DBT_PROJECT_DIR

PLATFORM_USAGE_DDL = (
    "CREATE TABLE IF NOT EXISTS ops.platform_usage (reporting_quarter VARCHAR, measure VARCHAR, "
    "period_type VARCHAR, period_start DATE, period_end DATE, value DOUBLE, unit VARCHAR)"
)


def dbt_executable() -> str:
    return str(Path(sys.executable).parent / "dbt")


def create_raw_layer(warehouse: Path) -> None:
    """The ingestion's interface, empty: schema raw with one table per extract, plus ops."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute("CREATE SCHEMA IF NOT EXISTS ops")
        for contract in contracts().values():
            con.execute(raw_table_ddl(contract))
        con.execute(PLATFORM_USAGE_DDL)
    finally:
        con.close()


def run_dbt(
    args: list[str],
    warehouse: Path,
    scratch: Path,
    timeout: int = 600,
    *,
    partial_parse: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """dbt on `warehouse` with its target and logs in `scratch`; the quarter comes from the
    args' --vars unless `env` sets TOEX_DBT_REPORTING_QUARTER (an ambient one is dropped)."""
    full = {k: v for k, v in os.environ.items() if k != QUARTER_ENV}
    full.update(
        {
            "TOEX_WAREHOUSE": str(warehouse),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_TARGET_PATH": str(scratch / "target"),
            "DBT_LOG_PATH": str(scratch / "logs"),
            "DBT_PARTIAL_PARSE": "true" if partial_parse else "false",
            **(env or {}),
        }
    )
    cmd = [
        dbt_executable(),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    return subprocess.run(
        cmd, env=full, capture_output=True, text=True, timeout=timeout, cwd=scratch, check=False
    )

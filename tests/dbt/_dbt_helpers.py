"""Helpers for the dbt tests: a scratch warehouse with the raw layer, and a dbt runner that
never writes to dbt/target (Dagster's manifest lives there)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from dagster_project.contract import contracts, raw_table_ddl
from dagster_project.dbt_main import IN_WAREHOUSE_DIR_ENV
from dagster_project.dbt_project import QUARTER_ENV
from dagster_project.settings import DBT_PROJECT_DIR

PLATFORM_USAGE_DDL = (
    "CREATE TABLE IF NOT EXISTS ops.platform_usage (reporting_quarter VARCHAR, measure VARCHAR, "
    "period_type VARCHAR, period_start DATE, period_end DATE, value DOUBLE, unit VARCHAR)"
)


# The parse `toex prepare` saved (`make setup` runs it, from scratch), which every pipeline run's
# dbt starts from too.
SAVED_PARSE = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"


def dbt_executable(from_scratch: bool = False) -> str:
    return str(Path(sys.executable).parent / ("dbt" if from_scratch else "toex-dbt"))


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
    from_scratch: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """dbt on `warehouse` with its target and logs in `scratch`; the quarter comes from the
    args' --vars unless `env` sets TOEX_DBT_REPORTING_QUARTER (an ambient one is dropped).

    As the pipeline's dbt step starts it (`toex-dbt` from the warehouse's folder, which must be
    called toex.duckdb to match): from the parse saved in `scratch`'s target, or else from the
    one `toex prepare` saved, so dbt re-parses only what changed since (~4 CPU s less a call;
    a changed `--vars` still re-parses everything). `from_scratch`: plain dbt with the absolute
    path and no saved parse, as a user runs it by hand."""
    full = {k: v for k, v in os.environ.items() if k != QUARTER_ENV}
    full.update(
        {
            "TOEX_WAREHOUSE": str(Path(warehouse).resolve()),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_TARGET_PATH": str(scratch / "target"),
            "DBT_LOG_PATH": str(scratch / "logs"),
            "DBT_PARTIAL_PARSE": "false" if from_scratch else "true",
            **({} if from_scratch else {IN_WAREHOUSE_DIR_ENV: "1"}),
            **(env or {}),
        }
    )
    saved = scratch / "target" / SAVED_PARSE.name
    if not from_scratch and not saved.exists() and SAVED_PARSE.is_file():
        saved.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAVED_PARSE, saved)
    cmd = [
        dbt_executable(from_scratch),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    return subprocess.run(
        cmd, env=full, capture_output=True, text=True, timeout=timeout, cwd=scratch, check=False
    )

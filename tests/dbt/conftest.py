"""Fixtures of the dbt tests. `dbt_demo` builds the dbt project on the calibrated demo
delivery without Dagster: generate → ingest (the contract-driven ingestion) → a few
Q4.2 measurements → `dbt build` (its unit tests aside), once per session (slow tests only)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _dbt_helpers import PLATFORM_USAGE_DDL, run_dbt
from session_once import once_per_session

DEMO_SEED = 20250630
TEST_KEY = b"dbt-tests-pseudonym-key"


@dataclass
class DbtDemo:
    warehouse: Path
    stdout: str
    returncode: int


@pytest.fixture(scope="session")
def dbt_demo(tmp_path_factory, worker_id) -> DbtDemo:
    """Once per `make test`: its xdist workers share it."""
    return DbtDemo(*once_per_session(tmp_path_factory, worker_id, "dbt_demo", _build_dbt_demo))


def _build_dbt_demo(root: Path) -> tuple:
    from dagster_project.contract import contracts
    from dagster_project.generator import generate
    from dagster_project.ingest.delivery import land
    from dagster_project.ingest.load import (
        ensure_meta,
        ensure_raw_table,
        ingest_file,
        register_delivery,
    )

    generate(root / "delivery", seed=DEMO_SEED, scale=1)
    warehouse = root / "warehouse" / "toex.duckdb"
    warehouse.parent.mkdir()
    con = duckdb.connect(str(warehouse))
    try:
        ensure_meta(con)
        delivery = land(root / "delivery", root / "landing")
        register_delivery(con, delivery)
        for name, contract in contracts().items():  # referenced extracts first
            ensure_raw_table(con, contract)
            if name in delivery.files:
                ingest_file(con, contract, delivery.files[name], delivery.delivery_id, TEST_KEY)
        con.execute("CREATE SCHEMA IF NOT EXISTS ops")
        con.execute(PLATFORM_USAGE_DDL)
        con.execute(
            """INSERT INTO ops.platform_usage VALUES
            ('2025-26 Q1', 'warehouse_bytes', 'as_at', DATE '2025-06-30', DATE '2025-06-30', """
            """25000000, 'bytes'),
            ('2025-26 Q1', 'warehouse_rows', 'as_at', DATE '2025-06-30', DATE '2025-06-30', """
            """40000, 'count'),
            ('2025-26 Q1', 'pipeline_runs', 'quarter', DATE '2025-04-01', DATE '2025-06-30', """
            """3, 'count')"""
        )
    finally:
        con.close()
    # The unit tests read only their own fixture rows, not the warehouse: the build on the empty
    # raw layer (test_dbt_project.py) runs and checks every one; here they would take ~40 % of
    # dbt's node time again. Excluded as the pipeline's dbt step excludes them.
    result = run_dbt(["build", "--exclude-resource-type", "unit_test"], warehouse, root)
    return warehouse, result.stdout, result.returncode


@pytest.fixture(scope="session")
def dbt_demo_warehouse(dbt_demo):
    assert dbt_demo.returncode == 0, dbt_demo.stdout[-6000:]
    con = duckdb.connect(str(dbt_demo.warehouse), read_only=True)
    yield con
    con.close()

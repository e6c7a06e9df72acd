"""The analysts' Parquet written early, during the quarter's exports (a large delivery only,
forced here on the demo's warehouse): the files the analysts' copy publishes are every `marts` /
`kpis` table, row for row; nothing is left behind, whether the quarter's exports succeed or fail."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from dagster_project.defs import exports
from dagster_project.fiscal import Quarter
from dagster_project.partitions import ensure_quarter_partitions
from dagster_project.publish import folders

pytestmark = pytest.mark.slow

QUARTER = "2025-26 Q1"
ENV = ("TOEX_DEMO", "TOEX_DATA_DIR", "TOEX_HOME", "TOEX_WAREHOUSE", "TOEX_LANDING", "TOEX_EXPORTS")


def _run_exports(env: dict, monkeypatch) -> dg.ExecuteInProcessResult:
    from dagster_project.definitions import build_definitions
    from dagster_project.defs.jobs import PUBLISH_JOB
    from dagster_project.settings import Settings

    for name in ENV:
        monkeypatch.setenv(name, env[name])
    job = (
        build_definitions(Settings.from_env())
        .resolve_job_def(PUBLISH_JOB)
        .get_subset(asset_selection={exports.QUARTER_EXPORTS, exports.ANALYST_COPY})
    )
    with dg.DagsterInstance.ephemeral() as instance:
        ensure_quarter_partitions(instance, Quarter.parse(QUARTER))
        return job.execute_in_process(
            partition_key=QUARTER, instance=instance, raise_on_error=False
        )


def _force_early(monkeypatch) -> list[str]:
    started: list[str] = []
    start = exports._start_early_parquet

    def recording(run_id, warehouse, paths):
        started.append(run_id)
        start(run_id, warehouse, paths)

    monkeypatch.setattr(exports, "_large_warehouse", lambda warehouse: True)
    monkeypatch.setattr(exports, "_start_early_parquet", recording)
    return started


def test_early_parquet_is_every_table_row_for_row(published_copy, monkeypatch):
    root, env, _ = published_copy
    started = _force_early(monkeypatch)
    versions = folders.versions_root(root / "published" / "parquet")
    (versions / f"{exports.EARLY_PREFIX}killed-run" / "marts").mkdir(parents=True)
    result = _run_exports(env, monkeypatch)
    assert result.success
    assert started == [result.run_id], "the Parquet was written early"
    assert not list(versions.glob(f"{exports.EARLY_PREFIX}*")), "nothing left behind"
    assert exports._early == {}
    parquet = root / "published" / "parquet"
    with duckdb.connect(str(root / "published" / "toex.duckdb"), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('marts', 'kpis') AND table_type = 'BASE TABLE'"
        ).fetchall()
        assert len(tables) > 20
        assert sorted(str(p.relative_to(parquet)) for p in parquet.rglob("*.parquet")) == sorted(
            f"{s}/{t}.parquet" for s, t in tables
        )
        for schema, table in tables:
            in_warehouse = con.execute(f'SELECT * FROM {schema}."{table}"').fetchall()
            in_file = con.execute(
                f"SELECT * FROM read_parquet('{parquet / schema / table}.parquet')"
            ).fetchall()
            assert in_file == in_warehouse, f"{schema}.{table}"


def test_failed_quarter_exports_leave_no_early_parquet(published_copy, monkeypatch):
    root, env, _ = published_copy
    started = _force_early(monkeypatch)
    link_before = (root / "published" / "parquet").readlink()

    def fail(*args, **kwargs):
        raise RuntimeError("publication failed")

    monkeypatch.setattr("dagster_project.publish.publish_quarter", fail)
    result = _run_exports(env, monkeypatch)
    assert not result.success
    assert started == [result.run_id]
    versions = folders.versions_root(root / "published" / "parquet")
    assert not list(versions.glob(f"{exports.EARLY_PREFIX}*"))
    assert exports._early == {}
    assert (root / "published" / "parquet").readlink() == link_before, "the analysts' copy kept"

"""What keeps disk use bounded over repeated runs (docs/OPERATIONS.md, "What grows on disk"),
each piece without a pipeline run; the five-run measurement is in test_operations.py."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project import warehouse as wh
from dagster_project.settings import Settings

REBUILT = 6  # tables, each rebuilt as dbt's table materialisation does


def _rebuild_all(path, run: int, checkpoint_each: bool) -> None:
    """dbt's table materialisation: build `t__tmp` beside `t`, swap the names, drop the old;
    `checkpoint_each` as dbt's profile sets it (dbt/profiles.yml)."""
    con = duckdb.connect(str(path))
    if checkpoint_each:
        con.execute("SET checkpoint_threshold = '0b'")
    for t in range(REBUILT):
        con.execute(f"CREATE TABLE IF NOT EXISTS t{t} AS SELECT 1 AS i WHERE false")
        con.execute(
            f"CREATE TABLE t{t}__tmp AS SELECT i, md5((i * {run + t})::VARCHAR) AS s "
            "FROM range(150000) r(i)"
        )
        con.execute(f"ALTER TABLE t{t} RENAME TO t{t}__bak")
        con.execute(f"ALTER TABLE t{t}__tmp RENAME TO t{t}")
        con.execute(f"DROP TABLE t{t}__bak")
    con.close()


def _blocks(path) -> tuple[int, int]:
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{path}' AS w (READ_ONLY)")
    total, free = con.execute(
        "SELECT total_blocks, free_blocks FROM pragma_database_size() WHERE database_name = 'w'"
    ).fetchone()
    con.close()
    return total, free


def test_a_checkpoint_at_each_commit_keeps_the_file_from_doubling(tmp_path):
    """The cause measured in the pipeline (docs/OPERATIONS.md): DuckDB reuses a dropped table's
    blocks only after a checkpoint, and large tables bypass the write-ahead log, so a process
    that rebuilds every table checkpoints only at exit and leaves the file about twice its data;
    checkpointing at every commit (`checkpoint_threshold` 0, dbt's profile) bounds the step by
    the tables in flight."""
    sizes = {}
    for checkpoint_each in (False, True):
        path = tmp_path / f"w{checkpoint_each}.duckdb"
        _rebuild_all(path, 0, checkpoint_each)
        first = _blocks(path)[0]
        for run in (1, 2):
            _rebuild_all(path, run, checkpoint_each)
        sizes[checkpoint_each] = (first, _blocks(path)[0])
    (first, after), (first_ckpt, after_ckpt) = sizes[False], sizes[True]
    assert after >= 1.8 * first, sizes  # the step this test exists to show
    # The table being built and the one it replaces: about two tables' worth, once.
    assert after_ckpt - first_ckpt <= 2.5 * first_ckpt / REBUILT, sizes


def test_dbt_checkpoints_at_every_commit():
    import yaml

    from dagster_project.settings import DBT_PROJECT_DIR

    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())
    settings = profile["toex"]["outputs"]["duckdb"]["settings"]
    assert settings["checkpoint_threshold"] == "0b"


def test_the_analysts_copy_leaves_free_blocks_behind(tmp_path):
    path, target = tmp_path / "w.duckdb", tmp_path / "copy.duckdb"
    _rebuild_all(path, 0, checkpoint_each=False)
    _rebuild_all(path, 1, checkpoint_each=False)
    with wh.connect(path) as con:
        assert wh.slack(con, path) > wh.COMPACT_COPY_SLACK
        expected = con.execute("SELECT sum(hash(s)) FROM t3").fetchone()
        wh.copy_database(con, target)
    with wh.connect(target, read_only=True) as con:
        assert wh.slack(con, target) < 0.01  # the file's header
        assert con.execute("SELECT sum(hash(s)) FROM t3").fetchone() == expected
    assert _blocks(target)[1] == 0
    assert target.stat().st_size < 0.7 * path.stat().st_size


def test_only_the_current_deliverys_validated_parquet_stays(tmp_path):
    from dagster_project.ingest import load

    landing = tmp_path / "landing"
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.operations AS SELECT 1 AS x")
    con.execute("CREATE TABLE raw.disruptions AS SELECT 2 AS y")
    old, new = "20250101T000000Z-aaaaaaaa", "20250102T000000Z-aaaaaaaa"
    for extract in ("operations", "disruptions"):
        load.export_validated(con, extract, landing, old)
    load.export_validated(con, "operations", landing, new)
    validated = landing / "validated"
    assert sorted(p.name for p in (validated / old).iterdir()) == ["disruptions.parquet"]
    load.export_validated(con, "disruptions", landing, new)
    assert sorted(p.name for p in validated.iterdir()) == [new]  # the emptied folder went too
    assert sorted(p.name for p in (validated / new).iterdir()) == [
        "disruptions.parquet",
        "operations.parquet",
    ]


def test_keep_runs_setting(monkeypatch):
    monkeypatch.delenv("TOEX_KEEP_RUNS", raising=False)
    assert Settings.from_env().keep_runs == 1
    monkeypatch.setenv("TOEX_KEEP_RUNS", "all")
    assert Settings.from_env().keep_runs is None
    monkeypatch.setenv("TOEX_KEEP_RUNS", "4")
    assert Settings.from_env().keep_runs == 4
    for bad in ("0", "-1", "some"):
        monkeypatch.setenv("TOEX_KEEP_RUNS", bad)
        with pytest.raises(ValueError, match="TOEX_KEEP_RUNS"):
            Settings.from_env()


def test_pruning_keeps_each_quarters_newest_success(tmp_path):
    """Per quarter: the newest run and the newest success (what the UI shows as published),
    whatever the other quarters' runs."""
    import dagster as dg

    from dagster_project.runlog import prune_runs

    @dg.op(config_schema={"fail": bool})
    def step(context):
        if context.op_config["fail"]:
            raise RuntimeError("a rejected delivery")

    @dg.job(name="toex_quarterly")
    def job():
        step()

    def run(instance, quarter: str, fail: bool) -> str:
        return job.execute_in_process(
            instance=instance,
            run_config={"ops": {"step": {"config": {"fail": fail}}}},
            tags={"dagster/partition": quarter},
            raise_on_error=False,
        ).run_id

    with dg.DagsterInstance.local_temp(tempdir=str(tmp_path)) as instance:
        q1 = [run(instance, "2025-26 Q1", fail) for fail in (False, False, True, True)]
        q4 = [run(instance, "2024-25 Q4", False) for _ in range(2)]
        assert prune_runs(instance, "toex_quarterly", None) == 0
        assert prune_runs(instance, "toex_quarterly", 1) == 3
        kept = {r.dagster_run.run_id for r in instance.get_run_records()}
        assert kept == {q1[3], q1[1], q4[1]}
        assert not (tmp_path / "history" / "runs" / f"{q1[0]}.db").exists()

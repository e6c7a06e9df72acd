"""The validated Parquet (the Spark engine's input) on each engine, without a pipeline run:
written as each extract loads on the Spark engine, never on the DuckDB engine (nothing reads it
there), and written from the warehouse when the Spark engine publishes a delivery ingested on
the DuckDB engine (docs/SCALE_LOG.md, "big3")."""

from __future__ import annotations

import duckdb

from dagster_project.ingest import load

OLD, NEW = "20250101T000000Z-aaaaaaaa", "20250102T000000Z-aaaaaaaa"


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute("CREATE TABLE raw.operations AS SELECT range AS x FROM range(5)")
    con.execute("CREATE TABLE raw.disruptions AS SELECT 'b' AS y")
    return con


def test_the_duckdb_engine_leaves_no_copy_of_the_extract(tmp_path, monkeypatch):
    from dagster_project.defs import ingest

    landing = tmp_path / "landing"
    con = _warehouse()
    for extract in ("operations", "disruptions"):
        load.export_validated(con, extract, landing, OLD)  # an earlier run on the Spark engine
    monkeypatch.setenv("TOEX_ENGINE", "duckdb")
    ingest._hand_over(con, "operations", landing, NEW)
    assert [p.relative_to(landing).as_posix() for p in landing.rglob("*.parquet")] == [
        f"validated/{OLD}/disruptions.parquet"
    ]
    ingest._hand_over(con, "disruptions", landing, NEW)
    assert list((landing / "validated").iterdir()) == []  # the emptied folder went too

    monkeypatch.setenv("TOEX_ENGINE", "spark")
    ingest._hand_over(con, "operations", landing, NEW)
    assert [p.name for p in (landing / "validated" / NEW).iterdir()] == ["operations.parquet"]


def test_the_spark_engine_writes_what_the_ingestion_would_have(tmp_path):
    con = _warehouse()
    written = tmp_path / "written"
    for extract in ("operations", "disruptions"):
        load.export_validated(con, extract, written, NEW)
    derived = tmp_path / "derived"
    load.export_validated(con, "operations", derived, NEW)
    assert load.export_missing_validated(con, derived, NEW) == ["disruptions"]
    assert load.export_missing_validated(con, derived, NEW) == []  # nothing missing: no write
    for extract in ("operations", "disruptions"):
        a, b = (
            con.execute(
                f"SELECT * FROM read_parquet('{root}/validated/{NEW}/{extract}.parquet')"
            ).fetchall()
            for root in (written, derived)
        )
        assert a == b and a

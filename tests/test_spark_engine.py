"""The engine setting and the Spark engine's pieces that need no JVM (fast)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_project import engine

REPO = Path(__file__).resolve().parent.parent


def test_engine_defaults_to_duckdb_and_rejects_unknown(monkeypatch):
    monkeypatch.delenv(engine.ENGINE_ENV, raising=False)
    assert engine.current() == "duckdb" and not engine.is_spark()
    monkeypatch.setenv(engine.ENGINE_ENV, "Spark")
    assert engine.is_spark()
    monkeypatch.setenv(engine.ENGINE_ENV, "snowflake")
    with pytest.raises(engine.EngineError, match="snowflake"):
        engine.current()


def test_default_definitions_do_not_import_pyspark():
    code = (
        "import sys; from dagster_project.definitions import build_definitions; "
        "build_definitions(); "
        "import dagster_project.cli, dagster_project.pipeline; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j')))"
    )
    env = {k: v for k, v in os.environ.items() if k != engine.ENGINE_ENV}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_suite_sql_is_transpiled_to_spark():
    from dagster_project.engines.spark_quality import to_spark_sql

    q = (
        "WITH batch AS (SELECT * FROM {batch}) SELECT list_position(['a', 'b'], s) AS step, "
        "(month(m) + 8) % 12 // 3 + 1 AS fq FROM batch WHERE NOT isfinite(value) GROUP BY ALL"
    )
    out = to_spark_sql(q)
    assert "FROM {batch}" in out
    assert "NULLIF(ARRAY_POSITION(ARRAY('a', 'b'), s), 0)" in out
    assert "DIV 3" in out and "//" not in out
    assert "NOT (NOT ISNAN(value) AND ABS(value) < CAST('Infinity' AS DOUBLE))" in out


def test_every_suite_query_parses_for_spark():
    from dagster_project.engines.spark_quality import _spark_suite_body
    from dagster_project.quality.suites import load_suites

    queries = [
        e["kwargs"]["unexpected_rows_query"]
        for s in load_suites().values()
        for e in _spark_suite_body(s)["expectations"]
        if "unexpected_rows_query" in e.get("kwargs", {})
    ]
    assert len(queries) > 20
    assert not [
        q for q in queries if "LIST_POSITION" in q.upper() or "ISFINITE" in q.upper() or "//" in q
    ]


def test_spark_engine_without_a_cluster_says_so_before_ingesting(tmp_path):
    env = {
        **os.environ,
        "TOEX_DATA_DIR": str(tmp_path),
        "TOEX_HOME": str(tmp_path),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    env.pop("TOEX_SPARK_MASTER", None)
    env.pop("TOEX_SPARK_DIR", None)
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "toex"),
            "run",
            "--engine",
            "spark",
            "--extracts",
            str(delivery),
            "--quarter",
            "2025-26-Q1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 1, out.stderr
    assert "no Spark cluster is running" in out.stderr and "toex spark up" in out.stderr
    assert "Traceback" not in out.stderr
    assert not (tmp_path / "landing").exists(), "nothing may be ingested when the engine cannot run"


def test_spark_status_without_a_cluster(tmp_path):
    from dagster_project import spark_cluster as sc

    assert sc.running_master_url(tmp_path) is None
    assert sc.command("status", tmp_path) == 1
    assert sc.command("down", tmp_path) == 0

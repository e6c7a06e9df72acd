"""The whole quarterly job on the Spark engine publishes what the DuckDB engine publishes.

DuckDB side: the `demo_run` fixture (the whole job on the demo delivery, DuckDB engine), as
published in its exports folder. Spark side: a private copy of that data folder
(`published_copy`), a Spark standalone cluster of this machine started for the test (master
and worker, separate JVMs on 127.0.0.1, free ports; always stopped), and
`toex run --engine spark --replay <delivery>` in a fresh process: the same job, ingestion at the
edge in DuckDB, dbt on the cluster, the quality suites through Great Expectations' Spark
datasource, the exports from Spark's tables. Compared:

- `kpi_values.csv`: byte for byte;
- the workbook: every cell value of every sheet but the run's provenance (run id, code version);
- the evaluation pack: every figure (the numbers in its text) outside the provenance and
  data-quality sections, whose run ids, paths and timings differ by nature.

Marked `spark` and `slow`: `make test-spark` (its own CI step) runs it, `make test` leaves it
out; it skips only when no Java is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
QUARTER = "2025-26-Q1"
SLUG = "2025-26-Q1"
TOEX = Path(sys.executable).parent / "toex"

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture(scope="module")
def spark_cluster(tmp_path_factory):
    """A Spark standalone master + worker for this module; stopped whatever happens."""
    if _java() is None:
        pytest.skip("no Java runtime (java on PATH or JAVA_HOME): Spark needs Java 17")
    from dagster_project import spark_cluster as sc

    spark_dir = tmp_path_factory.mktemp("spark")
    master, webui, worker_ui = _free_ports(3)
    env = {
        "TOEX_SPARK_DIR": str(spark_dir),
        "TOEX_SPARK_MASTER_PORT": str(master),
        "TOEX_SPARK_MASTER_WEBUI_PORT": str(webui),
        "TOEX_SPARK_WORKER_WEBUI_PORT": str(worker_ui),
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    cfg = sc.ClusterConfig.from_env(spark_dir)
    try:
        url = sc.up(cfg)
        assert url == f"spark://127.0.0.1:{master}"
        assert sc.alive_workers(cfg) == 1
        yield spark_dir, env
    finally:
        sc.down(cfg)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert sc.cluster_pids(spark_dir) == [], "the cluster's daemons outlived `down`"


# Rows of the workbook that describe the run, not the figures (the Contents sheet's provenance).
RUN_LABELS = {"run id", "code version", "generated", "generated at", "published", "published at"}


def _workbook_values(path: Path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    sheets = {}
    for ws in wb.worksheets:
        if ws.title.lower() in {"provenance", "about", "quality"}:  # run ids, hashes, timestamps
            continue
        sheets[ws.title] = [
            tuple(row)
            for row in ws.iter_rows(values_only=True)
            if not (row and isinstance(row[0], str) and row[0].strip().lower() in RUN_LABELS)
        ]
    wb.close()
    return sheets


_TAG = re.compile(r"<[^>]+>")
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?%?")


def _pack_figures(path: Path) -> list[str]:
    """The numbers of the pack's text, in order, up to its data-quality and provenance sections."""
    html = path.read_text(encoding="utf-8")
    # Scripts, styles and <code> (the run id and code version in the header) are not figures.
    html = re.sub(r"<(script|style|code)\b.*?</\1>", " ", html, flags=re.S | re.I)
    cut = min(
        (
            m.start()
            for m in re.finditer(
                r"<(?:section|h2)[^>]*>\s*(?:<[^>]+>\s*)*(?:Data quality|Provenance|Quality)",
                html,
                flags=re.I,
            )
        ),
        default=len(html),
    )
    text = _TAG.sub(" ", html[:cut])
    return _NUMBER.findall(text)


def test_whole_job_on_spark_publishes_what_duckdb_publishes(
    demo_run, published_copy, spark_cluster, tmp_path
):
    settings, outcome, _ = demo_run
    assert outcome.step_failures == [] and outcome.blocking_failures == [], outcome
    root, env, _ = published_copy
    spark_dir, spark_env = spark_cluster
    duck = Path(settings.exports) / SLUG
    import duckdb

    with duckdb.connect(str(root / "warehouse" / "toex.duckdb"), read_only=True) as con:
        delivery_id = con.execute("SELECT delivery_id FROM ingest.current_delivery").fetchone()[0]

    out = tmp_path / "spark_exports"
    started = time.monotonic()
    proc = subprocess.run(
        [
            str(TOEX),
            "run",
            "--engine",
            "spark",
            "--replay",
            delivery_id,
            "--quarter",
            QUARTER,
            "--out",
            str(out),
        ],
        env={**env, **spark_env, "PYTHONUNBUFFERED": "1"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=3000,
    )
    log = tmp_path / "toex_run_spark.log"
    log.write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    print(
        f"\ntoex run --engine spark: exit {proc.returncode} "
        f"in {time.monotonic() - started:.1f}s (log {log})"
    )
    assert proc.returncode == 0, (
        f"toex run --engine spark failed (exit {proc.returncode}); "
        f"log {log}:\n{proc.stderr[-4000:]}"
    )
    assert "engine spark" in proc.stderr + proc.stdout, "the run does not say it ran on Spark"
    assert "not run on the Spark engine" in proc.stderr + proc.stdout, (
        "what stays on DuckDB is not said"
    )
    assert any((spark_dir / "warehouse" / "kpis.db" / "kpi_values").glob("*.parquet")), (
        "Spark built no kpi_values"
    )

    spark = out / SLUG
    duck_csv, spark_csv = (
        (duck / "kpi_values.csv").read_bytes(),
        (spark / "kpi_values.csv").read_bytes(),
    )
    assert duck_csv.count(b"\n") > 500, "the demo quarter should give hundreds of figures"
    assert spark_csv == duck_csv, "kpi_values.csv differs between the engines"

    xlsx = f"toex_kpis_{SLUG}.xlsx"
    duck_wb, spark_wb = _workbook_values(duck / xlsx), _workbook_values(spark / xlsx)
    assert sorted(duck_wb) == sorted(spark_wb)
    for sheet in duck_wb:
        assert spark_wb[sheet] == duck_wb[sheet], f"workbook sheet {sheet!r} differs"

    pack = f"evaluation_pack_{SLUG}.html"
    duck_figures, spark_figures = _pack_figures(duck / pack), _pack_figures(spark / pack)
    assert len(duck_figures) > 200, "the pack's figures were not found"
    assert spark_figures == duck_figures, "the evaluation pack's figures differ"

"""The same dbt project on Apache Spark gives the same `kpi_values` as on DuckDB.

The DuckDB side is the whole pipeline on the demo delivery (the `demo_run` fixture: ingest →
dbt build → checks → exports). The Spark side reads what the ingestion left in the landing
area, `<landing>/validated/<delivery_id>/<extract>.parquet`, plus the run's
`ops.platform_usage` (the platform's own measurements, exported to Parquet here), and runs
`dbt build --target spark` (dbt-spark, `session` method, local[2]) of the unchanged models.
Then every row of `kpis.kpi_values` must match: text and dates exactly, values to a relative
1e-9 (sums in a different order differ in the last bits).

Spark runs in a child process (this file run as a script): the JVM (~1 GB) is gone when the
build ends and the pytest worker stays small. Marked `spark` (and `slow`): `make test` and
CI run it; it skips only when no Java runtime is installed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DBT_DIR = REPO / "dbt"
QUARTER = "2025-26 Q1"
KEY = ("reporting_quarter", "kpi_id", "measure", "period_type", "period_start", "period_end",
       "breakdown", "breakdown_value", "unit")
REL_TOL = 1e-9
ABS_TOL = 1e-9  # only for figures that are zero on one engine and ~1e-16 on the other

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def build_on_spark(validated: Path, ops: Path, work: Path, quarter: str = QUARTER,
                   timeout: float = 1800) -> tuple[Path, dict]:
    """Run this file as a script: register the sources, `dbt build --target spark`, write
    Spark's kpi_values to `<work>/kpi_values` (Parquet). Returns that folder and the timings."""
    out = work / "kpi_values"
    env = {**os.environ, "TOEX_SPARK_DIR": str(work / "spark"), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, __file__, "--validated", str(validated), "--ops", str(ops),
           "--target-path", str(work / "target"), "--out", str(out), "--quarter", quarter]
    proc = subprocess.run(cmd, check=False, cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=timeout)
    log = work / "spark_build.log"
    log.write_text(proc.stdout + "\n--- stderr ---\n" + proc.stderr)
    if proc.returncode != 0:
        tail = "\n".join(line for line in proc.stdout.splitlines()
                         if "ERROR" in line or "FAIL" in line or "Error" in line)[-6000:]
        raise AssertionError(f"dbt on Spark failed (exit {proc.returncode}); full log {log}\n{tail}")
    timings = json.loads((work / "spark_timings.json").read_text())
    return out, timings


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql + " ORDER BY " + ", ".join(KEY)).fetchall()


def test_kpi_values_equal_on_duckdb_and_spark(demo_run, demo_warehouse, tmp_path):
    if _java() is None:
        pytest.skip("no Java runtime (java on PATH or JAVA_HOME): Spark needs Java 17")
    settings, outcome, _ = demo_run
    assert outcome.step_failures == [], outcome.step_failures
    con = demo_warehouse
    delivery_id = con.execute("SELECT delivery_id FROM ingest.current_delivery").fetchone()[0]
    validated = Path(settings.landing) / "validated" / delivery_id
    assert sorted(p.stem for p in validated.glob("*.parquet")), f"no validated Parquet in {validated}"
    ops = tmp_path / "ops"
    ops.mkdir()
    con.execute(f"COPY ops.platform_usage TO '{ops / 'platform_usage.parquet'}' (FORMAT parquet)")

    started = time.monotonic()
    spark_out, timings = build_on_spark(validated, ops, tmp_path)
    print(f"\nSpark: {json.dumps(timings)}; wall {time.monotonic() - started:.1f}s")

    cols = ", ".join((*KEY, "value"))
    duck = _rows(con, f"SELECT {cols} FROM kpis.kpi_values")
    spark = _rows(con, f"SELECT {cols} FROM read_parquet('{spark_out}/*.parquet')")
    assert len(duck) > 1000, "the demo quarter should give thousands of figures"
    assert len(spark) == len(duck), f"row count: Spark {len(spark)} vs DuckDB {len(duck)}"
    mismatches = []
    for i, (d, s) in enumerate(zip(duck, spark)):
        if d[:-1] != s[:-1]:
            mismatches.append(f"row {i}: key DuckDB {d[:-1]} vs Spark {s[:-1]}")
        elif not math.isclose(d[-1], s[-1], rel_tol=REL_TOL, abs_tol=ABS_TOL):
            mismatches.append(f"row {i} {d[:-1]}: value DuckDB {d[-1]!r} vs Spark {s[-1]!r}")
    assert not mismatches, f"{len(mismatches)} of {len(duck)} rows differ:\n" + "\n".join(mismatches[:20])


# --- the child process: dbt on Spark -------------------------------------------------------

def _spark_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description="Build the dbt project on local Spark from validated Parquet")
    p.add_argument("--validated", required=True, help="<landing>/validated/<delivery_id>")
    p.add_argument("--ops", required=True, help="folder with platform_usage.parquet")
    p.add_argument("--target-path", required=True, help="dbt target folder (never dbt/target)")
    p.add_argument("--out", required=True, help="write kpis.kpi_values here (Parquet folder)")
    p.add_argument("--quarter", default=QUARTER)
    args = p.parse_args(argv)

    from dbt.cli.main import dbtRunner

    Path(os.environ["TOEX_SPARK_DIR"]).mkdir(parents=True, exist_ok=True)
    common = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target", "spark",
              "--target-path", args.target_path, "--log-path", str(Path(args.target_path) / "logs")]
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    runner = dbtRunner()
    res = runner.invoke(["run-operation", "toex_spark_register_sources",
                         "--args", json.dumps({"raw": args.validated, "ops": args.ops}), *common])
    timings["register_sources_s"] = round(time.monotonic() - t0, 1)  # includes the JVM start
    if not res.success:
        print(f"toex_spark_register_sources failed: {res.exception}", file=sys.stderr)
        return 1
    t1 = time.monotonic()
    res = runner.invoke(["build", "--vars", json.dumps({"reporting_quarter": args.quarter}), *common])
    timings["dbt_build_s"] = round(time.monotonic() - t1, 1)
    if not res.success:
        print(f"dbt build on Spark failed: {res.exception or 'see the ERROR/FAIL lines above'}", file=sys.stderr)
        return 1
    from pyspark.sql import SparkSession

    t2 = time.monotonic()
    spark = SparkSession.builder.getOrCreate()  # dbt's session, still open in this process
    spark.table("kpis.kpi_values").coalesce(1).write.mode("overwrite").parquet(args.out)
    timings["export_s"] = round(time.monotonic() - t2, 1)
    timings["total_s"] = round(time.monotonic() - t0, 1)
    (Path(args.target_path).parent / "spark_timings.json").write_text(json.dumps(timings))
    return 0


if __name__ == "__main__":
    sys.exit(_spark_main(sys.argv[1:]))

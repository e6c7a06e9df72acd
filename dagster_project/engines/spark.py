"""The Spark engine (`TOEX_ENGINE=spark`): dbt, the quality suites and the exports on a Spark
cluster, with ingestion unchanged at the edge (DuckDB).

Imported only when the engine is Spark (pyspark is never imported by the default run).

How the pieces reach Spark
- **dbt**: dbt-spark's `session` method with `spark.master` = the cluster started by
  `toex spark up` (`dbt/profiles.yml` target `spark`, `TOEX_SPARK_MASTER`): the driver runs in
  dbt's process, the executors on the cluster's worker. The sources are registered first
  (`dbt run-operation toex_spark_register_sources`) as views over the validated Parquet the
  ingestion left in the landing area, and over `ops.platform_usage` handed over as Parquet.
- **quality**: Great Expectations' own Spark datasource, in a Spark application of this
  process on the same cluster (`quality_session`). dbt's metastore is an embedded Derby
  database, which one JVM holds at a time, so this session does not open it: it reads Spark's
  tables where Spark keeps them (`<spark dir>/warehouse/<schema>.db/<table>`, Parquet) and the
  raw layer from the validated Parquet, registered as views of the same names.
- **exports**: the publisher reads Spark's tables (the same Parquet files) through an in-memory
  DuckDB connection whose `kpis`, `marts`, `intermediate` and `raw` are views over them; the
  run's bookkeeping (delivery, file hashes) still comes from the DuckDB edge warehouse.

What still needs the DuckDB warehouse, and says so in the run: the analysts' copy, revision
detection against earlier publications and the dbt docs site (`NOT_ON_SPARK`).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path

from dagster_project import spark_cluster
from dagster_project.settings import DBT_PROJECT_DIR, Settings

log = logging.getLogger("toex.spark")

SPARK_DIR_ENV = "TOEX_SPARK_DIR"  # dbt/profiles.yml: metastore and managed tables
MASTER_ENV = "TOEX_SPARK_MASTER"  # dbt/profiles.yml: spark.master
DBT_TARGET = "spark"
# Tables Spark builds (dbt materialisations `table`); staging models are views, not files.
TABLE_SCHEMAS = ("intermediate", "marts", "kpis")
NOT_ON_SPARK = {
    "exports__analyst_copy": "the analysts' copy is a copy of the DuckDB warehouse file; "
    "on the Spark engine the marts and KPI tables are Spark's, in {tables} (Parquet)",
    "revisions": "revision detection compares against the publication history in the DuckDB "
    "warehouse (ops.published_kpi_values); not run on the Spark engine",
    "exports__dbt_docs": "the dbt docs site is generated against the DuckDB target; "
    "not generated on the Spark engine",
}


class SparkEngineError(RuntimeError):
    """The Spark engine cannot run; the message says what to do (never a silent fallback)."""


def spark_dir() -> Path:
    explicit = os.environ.get(SPARK_DIR_ENV)
    return Path(explicit).resolve() if explicit else Settings.from_env().data_dir / "spark"


def master_url() -> str:
    """`TOEX_SPARK_MASTER`, else the cluster `toex spark up` started. No cluster: an error."""
    explicit = os.environ.get(MASTER_ENV)
    if explicit:
        return explicit
    url = spark_cluster.running_master_url(spark_dir())
    if not url:
        raise SparkEngineError(
            f"the engine is Spark but no Spark cluster is running (looked in "
            f"{spark_dir() / 'cluster'}): start one with `toex spark up`, or set "
            f"{MASTER_ENV} to a master URL"
        )
    return url


def table_location(schema: str, table: str) -> Path:
    """Where Spark keeps a managed table of the default catalog (spark.sql.warehouse.dir)."""
    return spark_dir() / "warehouse" / f"{schema}.db" / table


def validated_folder(landing: Path, delivery_id: str) -> Path:
    return Path(landing) / "validated" / delivery_id


def current_delivery(warehouse) -> str:
    with warehouse.connect(read_only=True) as con:
        row = con.execute("SELECT delivery_id FROM ingest.current_delivery").fetchone()
    if not row:
        raise SparkEngineError("no current delivery in the DuckDB edge warehouse: ingest one first")
    return row[0]


def announce(logger) -> None:
    """At the start of a run: where each part runs, and what the Spark engine does not do.
    Fails at once (before ingesting) when no cluster is running."""
    url = master_url()
    logger.info(
        "engine spark: ingestion in DuckDB at the edge; dbt, quality suites and exports on %s "
        "(tables in %s)",
        url,
        spark_dir() / "warehouse",
    )
    for step, reason in NOT_ON_SPARK.items():
        logger.warning(
            "engine spark: %s: %s", step, reason.format(tables=spark_dir() / "warehouse")
        )


# --------------------------------------------------------------------------- dbt


def dbt_environment(quarter_label: str | None = None) -> dict[str, str]:
    """What dbt's process needs to reach the cluster (profiles.yml reads these)."""
    from dagster_project.dbt_project import QUARTER_ENV

    values = {
        SPARK_DIR_ENV: str(spark_dir()),
        MASTER_ENV: master_url(),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if quarter_label:
        values[QUARTER_ENV] = quarter_label
    return values


def hand_over_ops(warehouse, folder: Path) -> Path:
    """`ops.platform_usage` (measured at the edge, in DuckDB) as Parquet for Spark's `ops`
    source."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "platform_usage.parquet"
    with warehouse.connect(read_only=True) as con:
        con.execute(f"COPY ops.platform_usage TO '{target}' (FORMAT parquet)")
    return target


def register_sources(
    validated: Path, ops_folder: Path, env: dict[str, str], target_path: Path
) -> None:
    """`dbt run-operation toex_spark_register_sources`: each dbt source a Spark view over its
    Parquet."""
    from dagster_project.dbt_project import dbt_executable

    cmd = [
        dbt_executable(),
        "run-operation",
        "toex_spark_register_sources",
        "--target",
        DBT_TARGET,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path / "logs"),
        "--args",
        json.dumps({"raw": str(validated), "ops": str(ops_folder)}),
    ]
    proc = subprocess.run(
        cmd, env={**os.environ, **env}, cwd=DBT_PROJECT_DIR, capture_output=True, text=True
    )
    if proc.returncode != 0:
        lines = [ln for ln in proc.stdout.splitlines() if "rror" in ln][-10:]
        raise SparkEngineError(
            "dbt run-operation toex_spark_register_sources failed on Spark "
            f"(exit {proc.returncode}): " + " | ".join(lines or proc.stderr.splitlines()[-5:])
        )


def dbt_build(context, dbt, warehouse, landing: Path, quarter_label: str):
    """Register the sources, then `dbt build --target spark` through dagster-dbt (same events,
    same asset checks as on DuckDB). Returns the invocation."""
    env = dbt_environment(quarter_label)
    delivery_id = current_delivery(warehouse)
    validated = validated_folder(landing, delivery_id)
    from dagster_project.ingest import load

    with warehouse.connect(read_only=True) as con:
        # A delivery ingested on the DuckDB engine has no hand-over: its raw tables are the
        # validated rows, written out as that ingestion would have on this engine.
        load.export_missing_validated(con, landing, delivery_id)
    if not any(validated.glob("*.parquet")):
        raise SparkEngineError(
            f"no validated Parquet in {validated}: the ingestion writes it for Spark"
        )
    work = spark_dir() / "runs" / context.run_id[:8]
    ops = hand_over_ops(warehouse, work / "ops")
    context.log.info(
        f"dbt on Spark: master {env[MASTER_ENV]}, sources from {validated} and {ops.parent}, "
        f"tables in {spark_dir() / 'warehouse'}"
    )
    register_sources(validated, ops.parent, env, work / "target")
    from dagster_project.dbt_project import environ

    with environ(env):  # read by dbt's subprocess as it starts
        return dbt.cli(
            ["build", "--target", DBT_TARGET, "--exclude-resource-type", "unit_test"],
            context=context,
            raise_on_error=False,
        )


# --------------------------------------------------------------------------- quality and exports

_SESSION = None


def quality_session():
    """This process's Spark application on the cluster (one per run process, stopped at exit)."""
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    import atexit

    from pyspark.sql import SparkSession

    url = master_url()
    log.info("starting a Spark application for the quality suites on %s", url)
    os.environ.setdefault("SPARK_LOCAL_IP", spark_cluster.HOST)
    env = os.environ
    _SESSION = (
        SparkSession.builder.master(url)
        .appName("toex-quality")
        # dbt's embedded metastore belongs to dbt's process: read tables by location.
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.driver.memory", env.get("TOEX_SPARK_DRIVER_MEMORY", "1g"))
        .config("spark.executor.memory", env.get("TOEX_SPARK_EXECUTOR_MEMORY", "1g"))
        .config("spark.cores.max", env.get("TOEX_SPARK_CORES_MAX", "2"))
        .config("spark.driver.host", spark_cluster.HOST)
        .config("spark.driver.bindAddress", spark_cluster.HOST)
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.locality.wait", "0s")  # as in dbt/profiles.yml: no 3 s wait per task
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")  # as in dbt/profiles.yml
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    atexit.register(stop_quality_session)
    return _SESSION


def stop_quality_session() -> None:
    global _SESSION
    if _SESSION is not None:
        _SESSION.stop()
        _SESSION = None


_REGISTERED: set[str] = set()


def register_tables(spark, landing: Path, delivery_id: str, layers: bool) -> None:
    """Views `raw.<extract>` (validated Parquet; once per file) and, with `layers`, every
    `<layer>.<table>` Spark has built (again each time: dbt may have run since) in the quality
    session, so the suites and their SQL name tables as they do on DuckDB."""

    def view(schema: str, name: str, location: Path) -> None:
        if not spark.catalog.databaseExists(schema):
            spark.sql(f"CREATE DATABASE {schema}")
        spark.sql(f"CREATE OR REPLACE VIEW {schema}.{name} AS SELECT * FROM parquet.`{location}`")

    # The ingestion writes one extract's Parquet at a time, and suites run as extracts arrive.
    for path in sorted(validated_folder(landing, delivery_id).glob("*.parquet")):
        if str(path) not in _REGISTERED:
            view("raw", path.stem, path)
            _REGISTERED.add(str(path))
    for schema in TABLE_SCHEMAS if layers else ():
        folder = spark_dir() / "warehouse" / f"{schema}.db"
        for table in sorted(p for p in folder.glob("*") if p.is_dir()) if folder.is_dir() else []:
            view(schema, table.name, table)


def publish_connection(landing: Path, delivery_id: str):
    """An in-memory DuckDB connection whose layers are Spark's tables (views over their Parquet)
    and the validated raw layer: what the publisher reads on the Spark engine."""
    import duckdb

    con = duckdb.connect(":memory:")
    raw = validated_folder(landing, delivery_id)
    missing = [s for s in ("kpis",) if not (spark_dir() / "warehouse" / f"{s}.db").is_dir()]
    if missing:
        raise SparkEngineError(
            f"Spark has not built {', '.join(missing)} in {spark_dir() / 'warehouse'}"
        )
    for schema in ("raw", *TABLE_SCHEMAS):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for path in sorted(raw.glob("*.parquet")):
        con.execute(f"CREATE VIEW raw.\"{path.stem}\" AS SELECT * FROM read_parquet('{path}')")
    for schema in TABLE_SCHEMAS:
        folder = spark_dir() / "warehouse" / f"{schema}.db"
        for table in sorted(p for p in folder.glob("*") if p.is_dir()) if folder.is_dir() else []:
            if not any(table.glob("*.parquet")):  # an empty table: Spark wrote no part file
                continue
            con.execute(
                f'CREATE VIEW {schema}."{table.name}" AS '
                f"SELECT * FROM read_parquet('{table}/*.parquet')"
            )
    return con

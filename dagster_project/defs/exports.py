"""Exports domain: per fiscal quarter, the published KPI tables and evaluation pack; after
each successful run, the analysts' read-only copy of the warehouse and the dbt docs site."""

import hashlib
import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import dagster as dg

from dagster_project import engine, outputs, revisions
from dagster_project.dbt_project import ToexDbtCliResource, dbt_env, toex_dbt
from dagster_project.defs.jobs import runs_of_publication
from dagster_project.fiscal import Quarter
from dagster_project.partitions import (
    default_reporting_quarter,
    ensure_quarter_partitions,
    fiscal_quarters,
    tag_run_with_quarter,
)
from dagster_project.resources import PlatformPaths, WarehouseResource
from dagster_project.settings import PROJECT_ROOT

GROUP = "exports"
OWNERS = ["team:toex-analytics"]
KPI_VALUES = dg.AssetKey(["kpis", "kpi_values"])
EXPORT_DEPS = [
    KPI_VALUES,
    dg.AssetKey(["kpis", "kpi_toex_risk_score_changes"]),
    dg.AssetKey(["kpis", "kpi_top10_snapshots"]),
    dg.AssetKey(["raw", "case_studies"]),
]
QUARTER_EXPORTS = outputs.PUBLICATION_KEY

# The publication deadline, read by the quarterly schedule and the freshness policy: 06:00 London
# time on the 10th day after a quarter ends (quarters end with March, June, September, December).
DEADLINE_DAY, DEADLINE_HOUR, DEADLINE_TIMEZONE = 10, 6, "Europe/London"
DEADLINE_CRON = f"0 {DEADLINE_HOUR} {DEADLINE_DAY} 1,4,7,10 *"
# Overdue when nothing was published between the quarter's end (midnight) and its deadline.
PUBLICATION_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron=DEADLINE_CRON,
    lower_bound_delta=timedelta(days=DEADLINE_DAY - 1, hours=DEADLINE_HOUR),
    timezone=DEADLINE_TIMEZONE,
)


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=5
    ).stdout.strip()


def code_version() -> str:
    try:
        sha = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
        if sha:
            return sha + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import version

    return f"toex-kpi-platform {version('toex-kpi-platform')}"


def _dbt_test_descriptions() -> dict[str, str]:
    """dbt test name -> its description (dbt/tests/_tests.yml and model YAML), from the manifest."""
    import json

    try:
        nodes = json.loads(Path(toex_dbt.manifest_path).read_text())["nodes"].values()
    except (OSError, ValueError, KeyError):
        return {}
    return {
        n["name"]: n.get("description") or "" for n in nodes if n.get("resource_type") == "test"
    }


def _check_message(ev, descriptions: dict[str, str]) -> str:
    """The check's own message; for a dbt test (which reports none) what it checks and how many
    rows failed, so no data-quality row of the pack is empty."""
    if ev.description:
        return ev.description
    meta = {k: getattr(v, "value", v) for k, v in (ev.metadata or {}).items()}
    failed = meta.get("dagster_dbt/failed_row_count")
    what = descriptions.get(ev.check_name, "").strip()
    rows = f"{failed} row(s) failed" if failed is not None else ""
    return " ".join(p for p in (what.rstrip(".") + "." if what else "", rows) if p) or (
        "passed" if ev.passed else "failed"
    )


def run_check_results(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[dict]:
    """Every asset check evaluated for this publication: its ingest run's (ingest checks, raw
    suites) and its own (dbt tests, quality suites)."""
    descriptions = _dbt_test_descriptions()
    out = []
    records = [
        rec
        for run_id in runs_of_publication(run)
        for rec in instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
        ).records
    ]
    for rec in records:
        ev = rec.event_log_entry.dagster_event.event_specific_data
        out.append(
            {
                "check": ev.check_name,
                "asset": ev.asset_key.to_user_string(),
                "severity": ev.severity.value,
                "passed": ev.passed,
                "message": _check_message(ev, descriptions),
            }
        )
    return out


@dg.asset(
    key=QUARTER_EXPORTS,
    deps=EXPORT_DEPS,
    partitions_def=fiscal_quarters,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"csv", "parquet", "excel", "html"},
    freshness_policy=PUBLICATION_FRESHNESS,
    description="The quarter's publication in `exports/<quarter slug>/`: kpi_values.csv and "
    ".parquet, the Excel workbook, the self-contained evaluation pack (HTML) and manifest.json, "
    "published atomically. Each partition's latest materialisation is what is published now "
    "(quarter, delivery, run, links). Overdue (freshness) when nothing is published between a "
    f"quarter's end and its deadline, {DEADLINE_HOUR:02d}:00 {DEADLINE_TIMEZONE} time on day "
    f"{DEADLINE_DAY} after (the quarterly schedule's time).",
)
def quarter_exports(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, paths: PlatformPaths
):
    from dagster_project.publish import publish_quarter

    quarter = Quarter.parse(context.partition_key)
    checks = run_check_results(context.instance, context.run)
    with (
        warehouse.connect() as con
    ):  # never read_only in-process: DuckDB refuses mixed configurations
        delivery_id = con.execute("SELECT delivery_id FROM ingest.current_delivery").fetchone()[0]
        hashes = dict(
            con.execute(
                """SELECT extract, sha256 FROM ingest.delivery_files
            WHERE delivery_id = ? ORDER BY 1""",
                [delivery_id],
            ).fetchall()
        )
        on_spark = engine.is_spark()
        if on_spark:  # Spark's tables; revisions need the DuckDB warehouse's history
            from dagster_project.engines import spark

            context.log.warning("Spark engine: " + spark.NOT_ON_SPARK["revisions"])
            source, revised = spark.publish_connection(Path(paths.landing), delivery_id), None
        else:
            source, revised = con, revisions.detect(con, context.run.run_id, delivery_id)
        if revised:
            context.log.warning(
                f"{len(revised)} previously published figure(s) revised by delivery {delivery_id}"
            )
        published = publish_quarter(
            source,
            quarter,
            Path(paths.exports),
            run_id=context.run.run_id,
            code_version=code_version(),
            delivery_hashes=hashes,
            quality_results=checks,
            revisions=revised,
            keep_versions=paths.keep_versions,
        )
        if not on_spark:
            revisions.record_publication(con, quarter.label, context.run.run_id, delivery_id)
    tag_run_with_quarter(context)
    context.log.info(f"published {quarter.label} to {published.path}")
    return dg.MaterializeResult(
        metadata=_published_now(
            published,
            quarter,
            delivery_id,
            paths.output_roots(),
            warnings=sum(1 for c in checks if not c["passed"]),
            revisions=len(revised) if revised is not None else "not detected on the Spark engine",
        )
    )


def _published_now(
    published, quarter: Quarter, delivery_id: str, roots: dict[str, Path], **counts
) -> dict:
    """What readers get from now on, with links that open from the UI (outputs_server)."""
    manifest = published.manifest
    names = {name: published.version_dir / name for name in manifest.get("files", {})}
    pack = next((p for n, p in names.items() if n.startswith("evaluation_pack_")), None)
    workbook = next((p for n, p in names.items() if n.endswith(".xlsx")), None)
    return {
        "quarter": quarter.label,
        "delivery_id": delivery_id,
        "run_id": manifest["run_id"],
        "published_at": manifest["published_at"],
        "evaluation_pack": outputs.link(pack, roots) if pack else "not written",
        "workbook": outputs.link(workbook, roots) if workbook else "not written",
        "published_folder": outputs.link(published.path, roots),
        "this_version": outputs.link(published.version_dir, roots),
        "files": dg.MetadataValue.json(
            {n: f.get("rows") for n, f in manifest.get("files", {}).items()}
        ),
        **counts,
    }


class ExternalReleaseConfig(dg.Config):
    """An external release applies disclosure control; off unless asked for."""

    enabled: bool = False
    threshold: int = 5


@dg.asset(
    key=["exports", "external_release"],
    deps=[QUARTER_EXPORTS],
    partitions_def=fiscal_quarters,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"csv", "parquet", "excel", "html"},
    description="Optional external release of the quarter in <exports>/external/<slug>/: counts "
    "below the threshold (default 5) suppressed with secondary suppression, record-level detail "
    "left out. The internal publication is never suppressed. Enable with config `enabled: true` "
    "(or `toex run --external-release`).",
)
def external_release(
    context: dg.AssetExecutionContext,
    config: ExternalReleaseConfig,
    warehouse: WarehouseResource,
    paths: PlatformPaths,
):
    if not config.enabled:
        return dg.MaterializeResult(metadata={"status": "disabled (internal publication only)"})
    from dagster_project.publish import publish_quarter

    quarter = Quarter.parse(context.partition_key)
    with warehouse.connect() as con:
        if engine.is_spark():
            from dagster_project.engines import spark

            delivery_id = con.execute("SELECT delivery_id FROM ingest.current_delivery").fetchone()[
                0
            ]
            con = spark.publish_connection(Path(paths.landing), delivery_id)
        published = publish_quarter(
            con,
            quarter,
            Path(paths.exports) / "external",
            run_id=context.run.run_id,
            code_version=code_version(),
            delivery_hashes={},
            quality_results=[],
            disclosure_threshold=config.threshold,
        )
    control = published.manifest["disclosure_control"]
    return dg.MaterializeResult(
        metadata={
            "published_to": dg.MetadataValue.path(str(published.path)),
            "threshold": control["threshold"],
            "figures_withheld": control["figures_withheld"],
        }
    )


@dg.asset(
    key=["exports", "analyst_copy"],
    deps=[QUARTER_EXPORTS],
    group_name=GROUP,
    owners=OWNERS,
    kinds={"duckdb", "parquet"},
    description="After a successful run: a read-only copy of the warehouse "
    "(<data>/published/toex.duckdb) that analysts query while the next run writes, and the marts "
    "and KPI tables as Parquet.",
)
def analyst_copy(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, paths: PlatformPaths
):
    if engine.is_spark():
        return _not_on_spark(context, "exports__analyst_copy")
    from dagster_project.publish import folders, permissions

    published = paths.published
    published.mkdir(parents=True, exist_ok=True)
    permissions.set_dir(published)
    target = published / "toex.duckdb"
    tmp = published / f".toex.duckdb.{context.run.run_id[:8]}.tmp"
    tmp.unlink(missing_ok=True)
    link = published / "parquet"
    # The Parquet folder is swapped atomically once the warehouse copy is in place (see
    # publish/folders.py).
    with folders.publish_folder(link, context.run.run_id, keep=tmp) as staging:
        with warehouse.connect() as con:
            tables = con.execute(
                """SELECT table_schema, table_name FROM information_schema.tables
                WHERE table_schema IN ('marts', 'kpis') AND table_type = 'BASE TABLE' """
                "ORDER BY 1, 2"
            ).fetchall()
            for schema, table in tables:
                (staging / schema).mkdir(parents=True, exist_ok=True)
                con.execute(
                    f'COPY (SELECT * FROM {schema}."{table}") '
                    f"TO '{staging / schema / table}.parquet' (FORMAT parquet)"
                )
            con.execute("CHECKPOINT")
        _copy_closed_warehouse(warehouse, tmp)
        os.chmod(tmp, permissions.read_only_mode())
        os.replace(
            tmp, target
        )  # readers holding the old file keep reading it; new readers get the new one
    roots = paths.output_roots()
    return dg.MaterializeResult(
        metadata={
            "analyst_copy": outputs.link(target, roots),
            "parquet": outputs.link(link, roots),
            "tables": len(tables),
        }
    )


@dg.asset(
    key=["exports", "dbt_docs"],
    deps=[KPI_VALUES],
    group_name=GROUP,
    owners=OWNERS,
    kinds={"dbt"},
    description=(
        "The dbt docs site (one static HTML file) for analysts: models, columns, tests and lineage."
    ),
)
def dbt_docs(
    context: dg.AssetExecutionContext,
    dbt: ToexDbtCliResource,
    warehouse: WarehouseResource,
    paths: PlatformPaths,
):
    if engine.is_spark():
        return _not_on_spark(context, "exports__dbt_docs")
    site = paths.published / "dbt_docs.html"
    stamp = site.with_name(".dbt_docs.fingerprint")
    fingerprint = _docs_fingerprint(warehouse)
    roots = paths.output_roots()
    if site.is_file() and stamp.is_file() and stamp.read_text() == fingerprint:
        # The site shows the project and the warehouse's tables and columns, no figures: it
        # changes only when they do (docs/SCALE_LOG.md: 3-5 s a run saved).
        context.log.info("dbt docs unchanged: same project manifest and warehouse schema")
        return dg.MaterializeResult(
            metadata={"dbt_docs": outputs.link(site, roots), "rebuilt": False}
        )
    cached = _docs_cache() / f"{fingerprint}.html"
    if cached.is_file():
        # Generated already for the same project and schema (another data folder, a fresh one).
        context.log.info(f"dbt docs: the site generated for the same project and schema ({cached})")
        _publish_site(cached, site, stamp, fingerprint)
        return dg.MaterializeResult(
            metadata={"dbt_docs": outputs.link(site, roots), "rebuilt": False}
        )
    # In a target folder of its own, never the project's target/ that the definitions read.
    # `--no-compile` documents the prepared manifest, which it reads from that folder.
    target = Path(toex_dbt.project_dir) / "target" / f"dbt_docs-{context.run_id[:8]}"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(toex_dbt.manifest_path, target / "manifest.json")
    with dbt_env(warehouse.path):
        invocation = dbt.cli(
            ["docs", "generate", "--static", "--no-compile"],
            manifest=toex_dbt.manifest_path,
            target_path=target,
            raise_on_error=False,
        )
    invocation.wait()
    if not invocation.is_successful():
        raise dg.Failure(f"dbt docs generate failed: {invocation.get_error()}"[:4000])
    generated = invocation.target_path / "static_index.html"
    _publish_site(generated, site, stamp, fingerprint)
    _keep_in_cache(generated, cached)
    shutil.rmtree(invocation.target_path, ignore_errors=True)
    return dg.MaterializeResult(metadata={"dbt_docs": outputs.link(site, roots), "rebuilt": True})


# Sites kept in the project's target/ for other data folders (~3.7 MB each): the newest few, one
# per project and schema version.
DOCS_CACHE_KEEP = 3


def _docs_cache() -> Path:
    return Path(toex_dbt.project_dir) / "target" / "dbt_docs_sites"


def _publish_site(source: Path, site: Path, stamp: Path, fingerprint: str) -> None:
    """`source` becomes the published site, atomically, with the fingerprint it was made for."""
    site.parent.mkdir(parents=True, exist_ok=True)
    tmp = site.with_suffix(".tmp")
    shutil.copyfile(source, tmp)
    _publish_mode(tmp)
    os.replace(tmp, site)
    stamp.write_text(fingerprint)
    _publish_mode(stamp)


def _keep_in_cache(generated: Path, cached: Path) -> None:
    """Housekeeping: a failure here never fails the step (the site is published already)."""
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
        shutil.copyfile(generated, tmp)
        os.replace(tmp, cached)  # another process may write the same site: same content
        sites = sorted(cached.parent.glob("*.html"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in sites[DOCS_CACHE_KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def _docs_fingerprint(warehouse: WarehouseResource) -> str:
    """What the dbt docs site is made of: the prepared manifest (models, columns, tests, lineage)
    and the catalog, i.e. the warehouse's relations and column types (no row counts). Not the
    manifest's parse times and ids, which every `toex prepare` renews with nothing else changed."""
    digest = hashlib.sha256(_manifest_content(Path(toex_dbt.manifest_path)))
    # Never read_only in-process: DuckDB refuses mixed configurations.
    with warehouse.connect() as con:
        # What dbt documents: its sources (raw, ops.platform_usage) and models; not the
        # platform's own bookkeeping tables, which appear as runs go (revisions, rejections).
        columns = con.execute(
            "SELECT table_schema, table_name, column_name, data_type "
            "FROM information_schema.columns WHERE table_schema IN "
            "('raw', 'staging', 'intermediate', 'marts', 'kpis') "
            "OR (table_schema = 'ops' AND table_name = 'platform_usage') ORDER BY ALL"
        ).fetchall()
    digest.update(repr(columns).encode())
    return digest.hexdigest()


# Renewed by every parse although the project is the same (dbt's artifact metadata, node times).
_PARSE_STAMPS = frozenset(
    {"generated_at", "invocation_id", "invocation_started_at", "run_started_at", "user_id"}
)


def _manifest_content(manifest: Path) -> bytes:
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "created_at"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    data = json.loads(manifest.read_bytes())
    data["metadata"] = {k: v for k, v in data.get("metadata", {}).items() if k not in _PARSE_STAMPS}
    return json.dumps(strip(data), sort_keys=True).encode()


def _publish_mode(path: Path) -> None:
    from dagster_project.publish import permissions

    permissions.set_dir(path.parent)
    permissions.set_file(path)


def _not_on_spark(context, step: str) -> dg.MaterializeResult:
    """Said plainly in the run's log and on the asset: this part needs the DuckDB warehouse."""
    from dagster_project.engines import spark

    reason = spark.NOT_ON_SPARK[step].format(tables=spark.spark_dir() / "warehouse")
    context.log.warning(f"Spark engine: {step} not produced: {reason}")
    return dg.MaterializeResult(metadata={"status": f"not produced on the Spark engine: {reason}"})


def _copy_closed_warehouse(warehouse: WarehouseResource, target: Path) -> None:
    """The warehouse file as it stands between steps: this run holds the run lock, every
    connection is closed and checkpointed, so the file is complete and nothing writes to it.
    A byte copy takes seconds where `COPY FROM DATABASE` re-encodes every table (38 s at
    scale 1000). The copy goes through DuckDB instead should a write-ahead log remain, or when
    free blocks make up more than `COMPACT_COPY_SLACK` of the file (docs/OPERATIONS.md)."""
    from dagster_project import warehouse as wh

    source = Path(warehouse.path)
    wal = Path(str(source) + ".wal")
    with warehouse.connect() as con:
        if (wal.exists() and wal.stat().st_size) or wh.slack(con, source) > wh.COMPACT_COPY_SLACK:
            wh.copy_database(con, target)
            return
    wh.copy_file(source, target)


def build_quarterly_schedule(job_name: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="quarterly_publication",
        job_name=job_name,
        # TOEX_PUBLICATION_CRON overrides the timing (the end-to-end test ticks it every minute).
        cron_schedule=os.environ.get("TOEX_PUBLICATION_CRON", DEADLINE_CRON),
        execution_timezone=DEADLINE_TIMEZONE,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"{DEADLINE_HOUR:02d}:00 {DEADLINE_TIMEZONE} time (GMT in January, BST in "
        f"April, July and October) on day {DEADLINE_DAY} after each quarter ends (time for late "
        "moderation): ingests the newest inbox delivery and publishes the quarter just closed.",
    )
    def quarterly_publication(context: dg.ScheduleEvaluationContext):
        quarter = default_reporting_quarter(context.scheduled_execution_time.date())
        ensure_quarter_partitions(context.instance, quarter)
        return dg.RunRequest(
            run_key=quarter.label,
            partition_key=quarter.label,
            tags={"toex/quarter": quarter.label, "toex/trigger": "quarterly_publication"},
        )

    return quarterly_publication


assets = [quarter_exports, external_release, analyst_copy, dbt_docs]

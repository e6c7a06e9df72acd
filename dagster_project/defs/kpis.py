"""KPI domain: the dbt project (staging → intermediate → marts → kpis) as Dagster assets,
the reporting layer's dbt tests as asset checks, plus the platform-usage measurements (Q4.2)
dbt reads."""

import contextlib
import json
import os
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg

from dagster_project import engine
from dagster_project.contract import contracts
from dagster_project.dbt_project import (  # dagster-dbt through dbt_project: see there
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    ToexDbtCliResource,
    dbt_assets,
    dbt_env,
    dbt_threads,
    get_asset_check_key_for_test,
    toex_dbt,
)
from dagster_project.dbt_project import raw_rows as count_raw_rows
from dagster_project.defs.jobs import PUBLISH_JOB
from dagster_project.fiscal import Quarter
from dagster_project.partitions import default_reporting_quarter, run_quarter_of
from dagster_project.resources import PlatformPaths, WarehouseResource

OWNERS = ["team:toex-analytics"]
PLATFORM_USAGE_KEY = dg.AssetKey(["ops", "platform_usage"])
DBT_OP = "toex_dbt_models"
# dbt tests on these layers are Dagster asset checks; the others (about 200 on staging,
# intermediate and marts) run dbt-side: a failure still fails the build, and each model's
# materialisation lists its tests. As checks they cost ~3 events each in the run's event log,
# a third of a demo run's wall time (docs/SCALE_LOG.md).
CHECKED_LAYERS = frozenset({"kpis"})


class QuarterConfig(dg.Config):
    """Used when a run has no fiscal-quarter partition (e.g. materialising dbt models alone);
    unset, the default is decided when the run starts, not when the code is loaded."""

    reporting_quarter: str | None = None


def reporting_quarter(context, config: QuarterConfig) -> Quarter:
    if quarter := run_quarter_of(context):
        return quarter
    return (
        Quarter.parse(config.reporting_quarter)
        if config.reporting_quarter
        else default_reporting_quarter()
    )


class ToexDbtTranslator(DagsterDbtTranslator):
    """Sources map onto the ingestion assets; models are grouped and keyed by layer (folder)."""

    def get_asset_key(self, props: Mapping[str, Any]) -> dg.AssetKey:
        if props["resource_type"] == "source":
            return dg.AssetKey([props["source_name"], props["name"]])
        if props["resource_type"] == "seed":
            return dg.AssetKey(["reference", props["name"]])
        return dg.AssetKey([self._layer(props), props["name"]])

    def get_group_name(self, props: Mapping[str, Any]) -> str | None:
        return "reference" if props["resource_type"] == "seed" else self._layer(props)

    def get_owners(self, props: Mapping[str, Any]):
        return OWNERS

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        if asset_spec.key.path[0] not in CHECKED_LAYERS:
            return None
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        rules = manifest["nodes"][unique_id].get("test_metadata") or {}
        if spec is not None and rules.get("name") == "model_rules" and not spec.description:
            spec = spec._replace(description=describe_model_rules(rules.get("kwargs", {})))
        return spec

    @staticmethod
    def _layer(props: Mapping[str, Any]) -> str:
        fqn = props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "models"


def describe_model_rules(kwargs: Mapping[str, Any]) -> str:
    """A model_rules check's description (dbt/tests/generic/model_rules.sql): every rule it
    covers. A broken rule fails the check, and dbt's error names the model and each broken rule
    with its count of rows or duplicated values."""
    parts = [f"not null: {', '.join(kwargs['not_null'])}"] if kwargs.get("not_null") else []
    if kwargs.get("unique"):
        parts.append(f"unique: {', '.join(kwargs['unique'])}")
    for column, values in (kwargs.get("accepted_values") or {}).items():
        parts.append(f"{column} in {{{', '.join(map(str, values))}}} (or null)")
    for columns in kwargs.get("unique_combinations") or []:
        parts.append(f"unique combination: ({', '.join(columns)})")
    for expression in kwargs.get("expressions") or []:
        parts.append(f"true on every row: {expression}")
    for column, (low, high) in (kwargs.get("between") or {}).items():
        parts.append(f"{column} between {low} and {high} (or null)")
    return "The model's column rules, run by dbt as one test: " + "; ".join(parts) + "."


def run_config(quarter: Quarter) -> dict:
    cfg = {"config": {"reporting_quarter": quarter.slug}}
    return {DBT_OP: cfg, "ops__platform_usage": cfg}


@dg.asset(
    key=PLATFORM_USAGE_KEY,
    group_name="ingest",
    owners=OWNERS,
    kinds={"duckdb"},
    deps=[dg.AssetKey(["raw", e]) for e in contracts()],
    description="Q4.2 measured from the platform itself: warehouse bytes and rows (DuckDB) and "
    "pipeline runs started in the quarter (the Dagster instance). One row set per reporting "
    "quarter, kept across runs.",
)
def platform_usage(
    context: dg.AssetExecutionContext, config: QuarterConfig, warehouse: WarehouseResource
):
    q = reporting_quarter(context, config)
    # A publish run is the second half of a pipeline run (defs/jobs.py): counted once, by its
    # ingest run.
    runs = [
        r
        for r in context.instance.get_run_records(
            dg.RunsFilter(created_after=_utc(q.start), created_before=_utc(q.next().start))
        )
        if r.dagster_run.job_name != PUBLISH_JOB
    ]
    with warehouse.connect() as con:
        size = con.execute(
            "SELECT sum(total_blocks * block_size) FROM pragma_database_size() "
            "WHERE database_name = current_database()"
        ).fetchone()[0]
        file_bytes = Path(warehouse.path).stat().st_size
        rows = con.execute(
            "SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchone()[0]
        con.execute(
            """CREATE TABLE IF NOT EXISTS ops.platform_usage (reporting_quarter VARCHAR, """
            """measure VARCHAR,
            period_type VARCHAR, period_start DATE, period_end DATE, value DOUBLE, unit VARCHAR)"""
        )
        # Measured once per quarter, at its first run, then frozen: a re-run of the quarter must
        # publish byte-identical figures, and these would otherwise change with every run.
        frozen = con.execute(
            "SELECT count(*) FROM ops.platform_usage WHERE reporting_quarter = ?", [q.label]
        ).fetchone()[0]
        if not frozen:
            con.executemany(
                "INSERT INTO ops.platform_usage VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        q.label,
                        "warehouse_bytes",
                        "as_at",
                        q.end,
                        q.end,
                        float(max(file_bytes, size or 0)),
                        "bytes",
                    ],
                    [q.label, "warehouse_rows", "as_at", q.end, q.end, float(rows), "rows"],
                    [
                        q.label,
                        "pipeline_runs",
                        "quarter",
                        q.start,
                        q.end,
                        float(len(runs)),
                        "count",
                    ],
                ],
            )
    return dg.MaterializeResult(
        metadata={
            "reporting_quarter": q.label,
            "warehouse_bytes": file_bytes,
            "warehouse_rows": rows,
            "pipeline_runs": len(runs),
            "recorded": "already recorded for the quarter (kept)" if frozen else "now",
        }
    )


def _utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


# Source tests stay dbt-side too (CHECKED_LAYERS): as checks on the raw assets they would also
# make Dagster split this op into one step per level of the raw assets' dependencies.
@dbt_assets(
    manifest=toex_dbt.manifest_path,
    project=toex_dbt,
    name=DBT_OP,
    dagster_dbt_translator=ToexDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
)
def toex_dbt_models(
    context: dg.AssetExecutionContext,
    dbt: ToexDbtCliResource,
    config: QuarterConfig,
    warehouse: WarehouseResource,
    paths: PlatformPaths,
):
    quarter = reporting_quarter(context, config)
    with warehouse.connect() as con:
        raw_rows = count_raw_rows(con)
    threads = dbt_threads(raw_rows)
    context.log.info(
        f"dbt build for reporting quarter {quarter.label} on {warehouse.path} "
        f"({raw_rows:,} raw rows: {threads} dbt thread(s))"
    )
    _remove_stale_targets()
    if engine.is_spark():  # the same build on the Spark cluster (engines/spark.py)
        from dagster_project.engines import spark

        invocation = spark.dbt_build(context, dbt, warehouse, Path(paths.landing), quarter.label)
        yield from _asset_events(context, invocation)
    else:
        with dbt_env(
            warehouse.path, quarter.label, threads
        ):  # read by dbt's subprocess as it starts
            # Unit tests check the SQL on fixed fixtures, not the data: they run in the test
            # suite and CI (tests/dbt), not in every pipeline run (dbt's own advice).
            # dbt.log only for warnings and errors: at debug level it wrote ~7,500 JSON events
            # (every SQL statement) for the demo, ~1 s of dbt's ~16 s CPU, into a target folder
            # that a successful build deletes; a failed one keeps its compiled SQL (target/run).
            invocation = dbt.cli(
                ["build", "--exclude-resource-type", "unit_test", "--log-level-file", "warn"],
                context=context,
                raise_on_error=False,
            )
            # Each model's materialisation appears as soon as the model and its dbt-side tests
            # finish, so the run shows progress while dbt works (not one burst when it exits).
            yield from _asset_events(context, invocation)
        # Row counts need the warehouse, which dbt's process holds while it runs (dagster-dbt's
        # fetch_row_counts would open it from this process): recorded once dbt has exited.
        materialised = {tuple(key.path) for key in context.selected_asset_keys}
        for key, rows in _row_counts(warehouse).items():
            if key in materialised:
                yield dg.AssetObservation(
                    asset_key=dg.AssetKey(list(key)), metadata={"dagster/row_count": rows}
                )
    if not invocation.is_successful():
        raise dg.Failure(
            f"dbt build failed for {quarter.label}: "
            f"{_failed_nodes(invocation.target_path) or invocation.get_error()}"[:4000]
        )
    # dagster-dbt gives every invocation a target folder of its own (~17 MB: compiled SQL,
    # run_results, a copy of the partial parse); the events above were its last reader. The
    # latest run_results.json stays where a plain `dbt build` leaves it (node timings: make bench).
    with contextlib.suppress(OSError):
        os.replace(
            invocation.target_path / "run_results.json",
            Path(toex_dbt.project_dir) / "target" / "run_results.json",
        )
    shutil.rmtree(invocation.target_path, ignore_errors=True)


def _failed_nodes(target_path: Path) -> str:
    """What failed, from the build's run_results.json: each failed or errored node with dbt's
    message (a model_rules test's names the model and every broken rule); empty if unreadable."""
    try:
        results = json.loads((target_path / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return ""
    return "; ".join(
        f"{r['unique_id']} {r['status']}: {' '.join((r.get('message') or '').split())}"
        for r in results
        if r.get("status") in ("error", "fail")
    )


# Far beyond any dbt build (~3 min at scale 1000, docs/SCALE_LOG.md).
STALE_TARGET_SECONDS = 3 * 3600


def _remove_stale_targets() -> None:
    """Target folders of earlier dbt steps: a failed build keeps its own for inspection until a
    later build, a killed run never reached its clean-up. Only old ones: another process
    (a second test worker, another clone's warehouse) may be building in this project now."""
    cutoff = time.time() - STALE_TARGET_SECONDS
    target = Path(toex_dbt.project_dir) / "target"
    for stale in (
        *target.glob(f"{DBT_OP}-*"),
        *target.glob("dbt_docs-*"),
    ):  # dbt_docs: exports.dbt_docs
        with contextlib.suppress(OSError):
            if stale.stat().st_mtime < cutoff:
                shutil.rmtree(stale, ignore_errors=True)


def _asset_events(context, invocation):
    """dagster-dbt's events for models and for the tests that are asset checks, as dbt emits
    them. The other tests' results are tallied per model (status → names) into the model's
    `dbt_tests` metadata, so its Output waits for the model's last dbt-side test, or until a
    model that depends on it finishes (Dagster takes a multi-asset's outputs in dependency
    order; a test with two parents runs after both, which can be after the first's children)."""
    translator, manifest = invocation.dagster_dbt_translator, invocation.manifest
    checks = context.selected_asset_check_keys
    pending = _dbt_side_tests(manifest, translator, checks)
    tallies, held = defaultdict(Counter), {}
    for raw in invocation.stream_raw_events():
        data = raw.raw_event["data"]
        unique_id = data.get("node_info", {}).get("unique_id", "")
        if raw.raw_event["info"]["name"] == "LogTestResult" and unique_id in pending["parent"]:
            key = pending["parent"][unique_id]
            tallies[key][(data.get("status"), manifest["nodes"][unique_id]["name"])] += 1
            pending["left"][key] -= 1
            if pending["left"][key] <= 0 and key in held:
                yield _with_tests(held.pop(key)[1], tallies[key])
            continue
        for event in raw.to_default_asset_events(
            manifest=manifest,
            dagster_dbt_translator=translator,
            context=context,
            target_path=invocation.target_path,
            project=toex_dbt,
        ):
            if isinstance(event, dg.Output):
                key = tuple(context.asset_key_for_output(event.output_name).path)
                upstream = _ancestors(manifest, unique_id)
                for earlier in [k for k, (uid, _) in held.items() if uid in upstream]:
                    yield _with_tests(held.pop(earlier)[1], tallies.get(earlier))
                if pending["left"].get(key, 0) > 0:
                    held[key] = (unique_id, event)
                    continue
                event = _with_tests(event, tallies.get(key))
            yield event
    for key, (_, event) in held.items():  # tests that never reported (skipped, or not selected)
        yield _with_tests(event, tallies.get(key))


def _ancestors(manifest, unique_id: str) -> set[str]:
    parents, seen, todo = manifest.get("parent_map", {}), set(), [unique_id]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def _dbt_side_tests(manifest, translator, checks) -> dict:
    """For each dbt test that is not a selected asset check: the model (asset key) it reports on,
    and per model how many such tests are still to come."""
    parent_of, left = {}, Counter()
    for unique_id, test in manifest["nodes"].items():
        if test.get("resource_type") != "test":
            continue
        key = get_asset_check_key_for_test(manifest, translator, unique_id, project=toex_dbt)
        if key is not None and key in checks:
            continue
        parent = test.get("attached_node") or next(iter(test["depends_on"]["nodes"]), "")
        props = manifest["nodes"].get(parent) or manifest["sources"].get(parent)
        if props:
            parent_of[unique_id] = tuple(translator.get_asset_key(props).path)
            left[parent_of[unique_id]] += 1
    return {"parent": parent_of, "left": left}


def _with_tests(event: dg.Output, tally: Counter | None) -> dg.Output:
    return (
        event.with_metadata({**event.metadata, "dbt_tests": _describe_tests(tally)})
        if tally
        else event
    )


def _describe_tests(tally: Counter) -> str:
    by_status = Counter()
    for (status, _), n in tally.items():
        by_status[status] += n
    text = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    flagged = sorted(name for (status, name) in tally if status != "pass")
    return text + (f" ({', '.join(flagged)})" if flagged else "")


def _row_counts(warehouse: WarehouseResource) -> dict[tuple[str, str], int]:
    """Rows of the tables dbt built. Not of its views (the staging layer): counting a view runs
    its query over the raw table, and each count is one more event in the run's log."""
    with warehouse.connect() as con:
        tables = con.execute(
            """SELECT table_schema, table_name FROM information_schema.tables
            WHERE table_type = 'BASE TABLE' AND table_schema IN ('staging', 'intermediate', """
            """'marts', 'kpis', 'reference')"""
        ).fetchall()
        return {
            (s, t): con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0]
            for s, t in tables
        }


assets = [platform_usage, toex_dbt_models]
resources = {"dbt": ToexDbtCliResource.for_project()}

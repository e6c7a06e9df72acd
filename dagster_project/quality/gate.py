"""Evaluate suites inside a Dagster asset check step: parameters from the warehouse,
validation through GX (imported here, at run time only), history row per expectation, and per
suite one `AssetCheckResult` per severity: `quality_gate` (error expectations, blocking) and
`quality_warnings` (warn expectations)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from dagster_project import outputs
from dagster_project.quality import history
from dagster_project.quality.suites import Suite

GATE = "quality_gate"
WARNINGS = "quality_warnings"
CHECK_FOR_SEVERITY = {"error": GATE, "warn": WARNINGS}
MAX_MESSAGE = 400


def docs_dir(data_dir: Path) -> Path:
    return data_dir / "gx_docs"


KEEP_RUN_STORES = 3  # ~0.8 MB a run with their Data Docs pages (docs/OPERATIONS.md)


def store_dir(data_dir: Path, run_id: str) -> Path:
    """GX's stores for one run: the Data Docs index lists that run's validations (the whole
    history is in `quality.validation_results`), and building it stays as fast as the run is
    small. The stores of the last KEEP_RUN_STORES runs are kept."""
    return data_dir / "gx_store" / run_id


def _prune_stores(data_dir: Path, keep: int = KEEP_RUN_STORES) -> None:
    import shutil

    root = data_dir / "gx_store"
    runs = (
        sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        if root.is_dir()
        else []
    )
    for old in runs[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
        # Data Docs keep one page folder per suite and run (validations/<suite>/<run_id>/).
        for page in (docs_dir(data_dir) / "validations").glob(f"*/{old.name}"):
            shutil.rmtree(page, ignore_errors=True)


def reporting_quarter(context, con, suite: Suite) -> str | None:
    """The run's fiscal-quarter partition (`2025-26 Q1`), else the latest quarter in the table."""
    if not suite.quarter_column:
        return None
    from dagster_project.fiscal import Quarter

    tag = context.run.tags.get("dagster/partition") if context is not None else None
    if tag:
        return Quarter.parse(tag).label
    row = con.execute(f"SELECT max({suite.quarter_column}) FROM {suite.table}").fetchone()
    return row[0] if row else None


def _short(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def _table(outcomes) -> str:
    lines = ["| expectation | severity | result | observed | message |", "|---|---|---|---|---|"]
    for o in sorted(outcomes, key=lambda o: (o.success, o.severity, o.expectation)):
        state = "ERRORED" if o.errored else ("pass" if o.success else "FAIL")
        observed = str(o.observed_value if o.observed_value is not None else "").replace("|", "/")[
            :120
        ]
        lines.append(
            f"| {o.expectation} | {o.severity} | {state} | {observed} | "
            f"{_short(o.message).replace('|', '/')} |"
        )
    return "\n".join(lines)


def evaluate_suites(
    context,
    suites: list[Suite],
    warehouse,
    data_dir: Path,
    landing: Path | None = None,
    selected: set[tuple[str, str]] | None = None,
):
    """Run `suites` in one step and yield their check results: each suite's own results, as if
    it had run alone; what they share is the set-up (one read of the parameters, one GX context
    and connection, one Data Docs build, one write of the history). `landing` (where the
    validated Parquet is) is needed on the Spark engine only. `selected`: the (asset path, check
    name) pairs to report (all by default)."""
    from dagster_project.quality.runner import SuiteBatch, runtime_parameters
    from dagster_project.quality.worker import run_suites

    batches, notes = [], {}
    with warehouse.connect(read_only=True) as con:
        for suite in suites:
            quarter = reporting_quarter(context, con, suite)
            params, notes[suite.name] = runtime_parameters(con, suite)
            batches.append(SuiteBatch(suite, params, quarter))
    run_id = context.run.run_id if context is not None else "adhoc"
    from dagster_project import engine

    if (
        engine.is_spark()
    ):  # the same suites, GX's Spark datasource on the cluster (engines/spark_quality.py)
        runs = [
            _run_on_spark(
                b.suite, warehouse, data_dir, landing, b.reporting_quarter, b.parameters, run_id
            )
            for b in batches
        ]
    else:
        runs = run_suites(
            batches,
            warehouse.path,
            run_id=run_id,
            docs_dir=docs_dir(data_dir),
            store_dir=store_dir(data_dir, run_id),
        )
    _prune_stores(data_dir)
    checked_at = datetime.now(UTC).replace(tzinfo=None)
    with warehouse.connect() as con:
        for run in runs:
            history.record(con, run_id, checked_at, run.suite.asset_path, run.outcomes)
            blocking = [o for o in run.outcomes if o.severity == "error" and not o.success]
            if blocking:
                from dagster_project.ingest.load import block_current_delivery

                block_current_delivery(
                    con,
                    f"{run.suite.asset_path}:{GATE}",
                    "; ".join(_short(o.line()) for o in blocking),
                )
    roots = outputs.output_roots(data_dir)  # links that open from the UI (outputs_server)
    for b, run in zip(batches, runs, strict=True):
        yield from _check_results(b, run, notes[b.suite.name], roots, selected)


def _check_results(batch, run, notes: dict, roots, selected: set[tuple[str, str]] | None):
    suite, quarter = batch.suite, batch.reporting_quarter
    common: dict = {
        "suite": suite.name,
        "suite_file": f"expectations/{suite.path.name}",
        "parameters": dg.MetadataValue.json(
            {**notes, **({"reporting_quarter": quarter} if quarter else {})}
        ),
        "validation_seconds": round(run.seconds, 3),
        "history_table": history.TABLE,
    }
    if (
        run.gx_import_seconds > 0.05
    ):  # the first suite of a process pays for `import great_expectations`
        common["gx_import_seconds"] = round(run.gx_import_seconds, 3)
    if run.docs_index:
        common["data_docs"] = outputs.link(run.docs_index, roots)
    if run.docs_page:
        common["validation_result_page"] = outputs.link(run.docs_page, roots)
    key = dg.AssetKey(list(suite.asset))
    for severity, check_name in CHECK_FOR_SEVERITY.items():
        outcomes = [o for o in run.outcomes if o.severity == severity]
        if not outcomes:
            continue
        if selected is not None and (suite.asset_path, check_name) not in selected:
            continue
        failed = [o for o in outcomes if not o.success]
        if failed:
            description = "; ".join(_short(o.line()) for o in failed)
        else:
            description = (
                f"suite {suite.name}: all {len(outcomes)} {severity} expectation(s) passed"
            )
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=check_name,
            passed=not failed,
            severity=dg.AssetCheckSeverity.ERROR
            if severity == "error"
            else dg.AssetCheckSeverity.WARN,
            description=description,
            metadata={
                **common,
                "expectations": dg.MetadataValue.md(_table(outcomes)),
                "failed_expectations": dg.MetadataValue.json([o.expectation for o in failed]),
                "errored_expectations": dg.MetadataValue.json(
                    [o.expectation for o in failed if o.errored]
                ),
            },
        )


def _run_on_spark(
    suite: Suite, warehouse, data_dir: Path, landing: Path | None, quarter, params, run_id: str
):
    from dagster_project.engines import spark
    from dagster_project.engines.spark_quality import run_suite_on_spark
    from dagster_project.settings import Settings

    landing = landing or Settings.from_env().landing
    return run_suite_on_spark(
        suite,
        landing=landing,
        delivery_id=spark.current_delivery(warehouse),
        reporting_quarter=quarter,
        parameters=params,
        run_id=run_id,
        docs_dir=docs_dir(data_dir),
        store_dir=store_dir(data_dir, run_id),
    )

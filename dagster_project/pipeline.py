"""Run a quarter end to end through the Dagster definitions, in this process.

`toex run` and tests call `run_quarter`; it executes the same two jobs the UI and the daemon
run (`toex_quarterly`, the ingest, then `toex_publish` when it succeeded; `defs/jobs.py`) with
Dagster's in-process executor under an exclusive run lock.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._utils.error import serializable_error_info_from_exc_info

from dagster_project import runlog
from dagster_project import warehouse as wh
from dagster_project.definitions import MAIN_JOB, PUBLISH_JOB, build_definitions
from dagster_project.defs.jobs import INGEST_RUN_TAG, PUBLISH_RUN_TAG
from dagster_project.failure import describe, one_line
from dagster_project.fiscal import Quarter
from dagster_project.partitions import ensure_quarter_partitions
from dagster_project.settings import Settings

log = logging.getLogger("toex.pipeline")
MAX_WARNING_LINES = 30


@dataclass
class RunOutcome:
    """A quarter's outcome: `run_id` is the last run that ran (the publish run, or the ingest run
    that stopped it); `run_ids` every run, in order."""

    success: bool
    run_id: str
    blocking_failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    step_failures: list[str] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.success and not self.blocking_failures and not self.step_failures else 1


def ingest_config(extracts: Path | None = None, replay_delivery_id: str = "") -> dict:
    delivery = {
        "delivery_dir": str(extracts.resolve()) if extracts else "",
        "replay_delivery_id": replay_delivery_id,
    }
    return _with_console({"ingest__delivery": {"config": delivery}})


def publish_config(quarter: Quarter, external_threshold: int | None = None) -> dict:
    from dagster_project.defs import kpis

    ops = kpis.run_config(quarter)
    if external_threshold is not None:
        ops["exports__external_release"] = {
            "config": {"enabled": True, "threshold": external_threshold}
        }
    return _with_console(ops)


def _with_console(ops: dict) -> dict:
    # Dagster's own DEBUG events stay in the instance's event log; the console shows INFO.
    return {"ops": ops, "loggers": {"console": {"config": {"log_level": "INFO"}}}}


def execute(
    quarter: Quarter,
    settings: Settings,
    extracts: Path | None = None,
    replay_delivery_id: str = "",
    instance: dg.DagsterInstance | None = None,
    exports_only: bool = False,
    external_threshold: int | None = None,
    run_id: str | None = None,
    listener=None,
) -> RunOutcome:
    """Ingest then publish `quarter` in this process, one run each (the publish only when the
    ingest succeeded); `exports_only` re-publishes from the warehouse as it stands (a backfill's
    earlier quarters) in one publish run. `run_id` is the publish run's. `listener(entry)` sees
    each event as it is written (runlog.Progress)."""
    instance = instance or dg.DagsterInstance.get()
    ensure_quarter_partitions(instance, quarter)
    publish_id = run_id or str(uuid.uuid4())
    log.info("running %s for %s: warehouse %s", MAIN_JOB, quarter.label, settings.warehouse)
    from dagster_project import engine

    if engine.is_spark():
        from dagster_project.engines.spark import announce

        announce(log)
    try:
        return _execute_runs(
            quarter,
            settings,
            instance,
            publish_id,
            extracts,
            replay_delivery_id,
            exports_only,
            external_threshold,
            listener,
        )
    finally:
        # The quality worker (quality/worker.py) served both runs; it ends with them, so it no
        # longer holds this command's output (runlog.captured waits for its last writer).
        from dagster_project.quality import worker

        worker.stop()
        try:  # both jobs' runs, per job and quarter, as the daemon's run_history_retention does
            runlog.prune_runs(instance, None, settings.keep_runs)
        except Exception:  # housekeeping: never fail a finished run for it
            log.exception("could not prune old runs (TOEX_KEEP_RUNS)")


def _execute_runs(
    quarter: Quarter,
    settings: Settings,
    instance: dg.DagsterInstance,
    publish_id: str,
    extracts: Path | None,
    replay_delivery_id: str,
    exports_only: bool,
    external_threshold: int | None,
    listener,
) -> RunOutcome:
    tags = {"toex/quarter": quarter.label}
    if exports_only:
        return _execute_job(
            _job(settings, PUBLISH_JOB, exports_only=True),
            _with_console({}),
            quarter,
            instance,
            publish_id,
            tags,
            listener,
        )
    ingest_id = str(uuid.uuid4())
    ingested = _execute_job(
        _job(settings, MAIN_JOB),
        ingest_config(extracts, replay_delivery_id),
        quarter,
        instance,
        ingest_id,
        tags | {PUBLISH_RUN_TAG: publish_id},
        listener,
    )
    if ingested.exit_code:
        return ingested
    published = _execute_job(
        _job(settings, PUBLISH_JOB),
        publish_config(quarter, external_threshold),
        quarter,
        instance,
        publish_id,
        tags | {INGEST_RUN_TAG: ingest_id},
        listener,
    )
    published.warnings = ingested.warnings + published.warnings
    published.run_ids = [ingest_id, publish_id]
    return published


def _execute_job(
    job: dg.JobDefinition,
    config: dict,
    quarter: Quarter,
    instance: dg.DagsterInstance,
    run_id: str,
    tags: dict,
    listener,
) -> RunOutcome:
    if listener is not None:
        instance.add_event_listener(run_id, listener)
    result = job.execute_in_process(
        run_config=config,
        instance=instance,
        run_id=run_id,
        raise_on_error=False,
        partition_key=quarter.label,
        tags=tags,
    )
    outcome = RunOutcome(success=result.success, run_id=result.run_id, run_ids=[result.run_id])
    for ev in result.get_asset_check_evaluations():
        name = f"{ev.asset_key.to_user_string()}:{ev.check_name}"
        text = f"{name} — {one_line(ev.description or 'failed')}"
        if ev.passed:
            continue
        if ev.severity == dg.AssetCheckSeverity.ERROR:
            outcome.blocking_failures.append(text)
        else:
            outcome.warnings.append(text)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            outcome.step_failures.append(
                f"{event.step_key}: {describe(event.step_failure_data.error)}"
            )
    if outcome.exit_code == 0:
        # Nothing failed, yet a step did not run (an output its inputs needed was never
        # emitted): the quarter is not fully published, so the run has not succeeded.
        outcome.step_failures += [
            f"{event.step_key}: not run: {one_line(event.message or 'skipped')}"
            for event in result.all_events
            if event.event_type == dg.DagsterEventType.STEP_SKIPPED
        ]
    return outcome


def _job(settings: Settings, name: str, exports_only: bool = False) -> dg.JobDefinition:
    job = build_definitions(settings).resolve_job_def(name)
    if exports_only:
        job = job.get_subset(asset_selection={dg.AssetKey(["exports", "quarter_exports"])})
    return job


def step_keys(settings: Settings, exports_only: bool = False) -> set[str]:
    """The steps a quarter's runs execute (one per op: assets and checks)."""
    names = [PUBLISH_JOB] if exports_only else [MAIN_JOB, PUBLISH_JOB]
    return {node.name for name in names for node in _job(settings, name, exports_only).graph.nodes}


def _report(
    outcome: RunOutcome,
    quarter: Quarter,
    console=None,
    progress=None,
    settings: Settings | None = None,
    log_path: Path | None = None,
    started: float | None = None,
) -> int:
    """The warnings an operator must read, the failures with their causes, and a summary."""
    say = console.say if console else (lambda line: print(line))
    err = console.err if console else (lambda line: print(line, file=sys.stderr))
    warnings = list(outcome.warnings) + [
        w for w in (progress.warnings if progress else []) if w not in outcome.warnings
    ]
    if warnings:
        say(f"warnings ({len(warnings)}):")
        for w in warnings[:MAX_WARNING_LINES]:
            say(f"  - {w if len(w) <= 220 else w[:219] + '…'}")
        if len(warnings) > MAX_WARNING_LINES:
            say(f"  … {len(warnings) - MAX_WARNING_LINES} more in the log")
    for f in outcome.step_failures:
        err(f"toex: step failed: {f}")
    for f in outcome.blocking_failures:
        err(f"toex: blocking check failed: {f}")
    took = f" in {runlog.elapsed(started)}" if started is not None else ""
    if outcome.exit_code == 0:
        if settings is not None:
            say(f"published: {settings.exports / quarter.slug} (pack, workbook, kpi_values)")
            for path in progress.published if progress else []:  # an external release
                say(f"published: {path}")
            if progress is None or "exports__analyst_copy" in progress.started:
                say(
                    f"analysts' copy: {settings.published / 'toex.duckdb'} "
                    "(+ parquet/, dbt_docs.html)"
                )
        after = f", after ingest run {outcome.run_ids[0]}" if len(outcome.run_ids) > 1 else ""
        say(
            f"run {outcome.run_id} for {quarter.label} succeeded{took}{after} "
            f"({len(warnings)} warning(s))"
        )
    else:
        where = settings.exports / quarter.slug if settings is not None else None
        still = (
            f"; still published: {where} (unchanged)"
            if where is not None and where.exists()
            else ""
        )
        err(f"toex: run {outcome.run_id} for {quarter.label} did not complete cleanly{still}")
    if log_path is not None:
        say(f"full log: {log_path}")
    return outcome.exit_code


def _execute_reported(quarter: Quarter, settings: Settings, verbose: bool, **kwargs) -> int:
    """One run with its console view: stage lines as they finish, then `_report`; the rest in
    `<data>/logs/<run_id>.log`."""
    run_id = str(uuid.uuid4())
    log_path = settings.logs / f"{run_id}.log"
    started = time.monotonic()
    with runlog.captured(log_path, verbose) as console:
        runs = "publish" if kwargs.get("exports_only") else "ingest, then publish"
        console.say(f"toex: {quarter.label}: {runs} run {run_id}")
        progress = runlog.Progress(console, step_keys(settings, kwargs.get("exports_only", False)))
        collector = runlog.WarningCollector(progress)
        logging.getLogger().addHandler(collector)
        quiet = runlog.chatter_to_log()
        try:
            outcome = execute(quarter, settings, run_id=run_id, listener=progress, **kwargs)
        except Exception:  # outside any step (definitions, instance): still a one-line cause
            log.exception("run %s failed outside its steps", run_id)
            cause = describe(serializable_error_info_from_exc_info(sys.exc_info()))
            outcome = RunOutcome(success=False, run_id=run_id, step_failures=[f"run: {cause}"])
        finally:
            logging.getLogger().removeHandler(collector)
            quiet()
        progress.finish()
        code = _report(outcome, quarter, console, progress, settings, log_path, started)
    runlog.prune_logs(settings.logs, current=log_path)
    return code


def run_quarter(
    quarter: Quarter,
    extracts: Path | None,
    settings: Settings,
    replay_delivery_id: str = "",
    external_threshold: int | None = None,
    verbose: bool = False,
) -> int:
    """`toex run`: the caller holds the run lock (see cli.py)."""
    return _execute_reported(
        quarter,
        settings,
        verbose,
        extracts=extracts,
        replay_delivery_id=replay_delivery_id,
        external_threshold=external_threshold,
    )


def backfill(
    quarters: list[Quarter], extracts: Path | None, settings: Settings, verbose: bool = False
) -> int:
    """The latest quarter runs the whole job (ingest, dbt builds every quarter's KPIs); each
    earlier quarter then re-publishes its exports from that warehouse, one run per partition."""
    last, earlier = quarters[-1], quarters[:-1]
    if extracts is None:
        code = _execute_reported(
            last, settings, verbose, replay_delivery_id=_current_delivery_id(settings)
        )
    else:
        code = _execute_reported(last, settings, verbose, extracts=extracts)
    if code:
        return code
    for q in earlier:
        code = max(code, _execute_reported(q, settings, verbose, exports_only=True))
    return code


def _current_delivery_id(settings: Settings) -> str:
    with wh.connect(settings.warehouse, read_only=True) as con:
        row = con.execute("SELECT delivery_id FROM ingest.current_delivery").fetchone()
    if not row:
        raise SystemExit("toex: no delivery has been ingested yet: pass --extracts DIR")
    return row[0]

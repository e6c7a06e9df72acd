"""Run a quarter end to end through the Dagster definitions, in this process.

`toex run` and tests call `run_quarter`; it executes the same job the UI shows
(`toex_quarterly`) with Dagster's in-process executor under an exclusive run lock.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from dagster_project import warehouse as wh
from dagster_project.definitions import MAIN_JOB, build_definitions
from dagster_project.fiscal import Quarter
from dagster_project.partitions import ensure_quarter_partitions
from dagster_project.settings import Settings

log = logging.getLogger("toex.pipeline")


@dataclass
class RunOutcome:
    success: bool
    run_id: str
    blocking_failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    step_failures: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.success and not self.blocking_failures and not self.step_failures else 1


def run_config(quarter: Quarter, extracts: Path | None = None, replay_delivery_id: str = "",
               external_threshold: int | None = None) -> dict:
    from dagster_project.defs import kpis

    ops = {"ingest__delivery": {"config": {"delivery_dir": str(extracts.resolve()) if extracts else "",
                                           "replay_delivery_id": replay_delivery_id}}}
    ops.update(kpis.run_config(quarter))
    if external_threshold is not None:
        ops["exports__external_release"] = {"config": {"enabled": True, "threshold": external_threshold}}
    # Dagster's own DEBUG events stay in the instance's event log; the console shows INFO.
    return {"ops": ops, "loggers": {"console": {"config": {"log_level": "INFO"}}}}


def execute(quarter: Quarter, settings: Settings, extracts: Path | None = None,
            replay_delivery_id: str = "", instance: dg.DagsterInstance | None = None,
            exports_only: bool = False, external_threshold: int | None = None) -> RunOutcome:
    """Run the main job for `quarter` in this process; `exports_only` re-publishes from the
    warehouse as it stands (a backfill's earlier quarters)."""
    defs = build_definitions(settings)
    job = defs.resolve_job_def(MAIN_JOB)
    if exports_only:
        job = job.get_subset(asset_selection={dg.AssetKey(["exports", "quarter_exports"])})
    instance = instance or dg.DagsterInstance.get()
    ensure_quarter_partitions(instance, quarter)
    log.info("running %s for %s: warehouse %s", MAIN_JOB, quarter.label, settings.warehouse)
    from dagster_project import engine

    if engine.is_spark():
        from dagster_project.engines.spark import announce

        announce(log)
    config = {"loggers": run_config(quarter)["loggers"]} if exports_only else run_config(quarter, extracts, replay_delivery_id, external_threshold)
    result = job.execute_in_process(
        run_config=config, instance=instance,
        raise_on_error=False, partition_key=quarter.label, tags={"toex/quarter": quarter.label},
    )
    outcome = RunOutcome(success=result.success, run_id=result.run_id)
    for ev in result.get_asset_check_evaluations():
        name = f"{ev.asset_key.to_user_string()}:{ev.check_name}"
        text = f"{name} — {ev.description or 'failed'}"
        if ev.passed:
            continue
        if ev.severity == dg.AssetCheckSeverity.ERROR:
            outcome.blocking_failures.append(text)
        else:
            outcome.warnings.append(text)
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            err = event.step_failure_data.error
            outcome.step_failures.append(f"{event.step_key}: {err.message.strip() if err else 'failed'}")
    return outcome


def _report(outcome: RunOutcome, quarter: Quarter) -> int:
    for w in outcome.warnings:
        log.warning("check warning: %s", w)
    for f in outcome.step_failures:
        print(f"toex: step failed: {f}", file=sys.stderr)
    for f in outcome.blocking_failures:
        print(f"toex: blocking check failed: {f}", file=sys.stderr)
    if outcome.exit_code == 0:
        log.info("run %s for %s succeeded (%d warning(s))", outcome.run_id, quarter.label, len(outcome.warnings))
    else:
        print(f"toex: run {outcome.run_id} for {quarter.label} did not complete cleanly", file=sys.stderr)
    return outcome.exit_code


def run_quarter(quarter: Quarter, extracts: Path | None, settings: Settings, replay_delivery_id: str = "",
                external_threshold: int | None = None) -> int:
    """`toex run`: the caller holds the run lock (see cli.py)."""
    outcome = execute(quarter, settings, extracts, replay_delivery_id, external_threshold=external_threshold)
    return _report(outcome, quarter)


def backfill(quarters: list[Quarter], extracts: Path | None, settings: Settings) -> int:
    """The latest quarter runs the whole job (ingest, dbt builds every quarter's KPIs); each
    earlier quarter then re-publishes its exports from that warehouse, one run per partition."""
    last, earlier = quarters[-1], quarters[:-1]
    if extracts is None:
        outcome = execute(last, settings, replay_delivery_id=_current_delivery_id(settings))
    else:
        outcome = execute(last, settings, extracts)
    code = _report(outcome, last)
    if code:
        return code
    for q in earlier:
        log.info("backfill: publishing %s", q.label)
        code = max(code, _report(execute(q, settings, exports_only=True), q))
    return code


def _current_delivery_id(settings: Settings) -> str:
    with wh.connect(settings.warehouse, read_only=True) as con:
        row = con.execute("SELECT delivery_id FROM ingest.current_delivery").fetchone()
    if not row:
        raise SystemExit("toex: no delivery has been ingested yet: pass --extracts DIR")
    return row[0]

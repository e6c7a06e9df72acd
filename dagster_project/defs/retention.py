"""Run-history retention for the runs the daemon launches (UI, delivery sensor, schedule, the
follow-on publish): `toex run` prunes at its end, this sensor does the same in the daemon, so
operating from the UI does not grow `dagster_home` by ~5 MB a run (TOEX_KEEP_RUNS,
docs/OPERATIONS.md)."""

import dagster as dg

from dagster_project import runlog
from dagster_project.settings import Settings

RETENTION_SECONDS = 600


def build_run_retention_sensor() -> dg.SensorDefinition:
    @dg.sensor(
        name="run_history_retention",
        minimum_interval_seconds=RETENTION_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Deletes finished runs beyond TOEX_KEEP_RUNS (default 1) per job and quarter, "
        "always keeping each quarter's newest successful run: what the UI shows as published.",
    )
    def run_history_retention(context: dg.SensorEvaluationContext):
        keep = Settings.from_env().keep_runs
        if keep is None:
            return dg.SkipReason("TOEX_KEEP_RUNS=all: every run is kept")
        deleted = runlog.prune_runs(context.instance, None, keep)
        return dg.SkipReason(f"deleted {deleted} old run(s); keeping {keep} per job and quarter")

    return run_history_retention

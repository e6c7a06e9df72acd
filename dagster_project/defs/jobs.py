"""A quarter runs as two runs: ingest, then publish.

Dagster shows every asset and check a failed run planned as failed. In one run, a delivery
rejected at ingestion would paint the quarter's publication, its dbt models and their checks red
although none of them ran and the publication is unchanged and live. So:

- `toex_quarterly` (what the UI, the delivery sensor and the schedule launch, for a quarter):
  lands the delivery and loads the raw tables, with their checks and raw quality suites;
- `toex_publish`: dbt, the quality suites on the models, and the quarter's exports. It starts
  only when an ingest run succeeds: `publish_after_ingest` launches it for runs the daemon ran;
  `toex run` runs both in its own process and tags its ingest run so the sensor leaves it alone.

The two runs name each other in their tags, and the publication reports the check results of
both (`checks_of_publication`).
"""

from __future__ import annotations

import dagster as dg

from dagster_project.defs import ingest
from dagster_project.partitions import QUARTER_TAG

MAIN_JOB = "toex_quarterly"
PUBLISH_JOB = "toex_publish"
INGEST_RUN_TAG = "toex/ingest_run"  # on a publish run: the ingest run it follows
PUBLISH_RUN_TAG = "toex/publish_run"  # on an ingest run whose launcher runs the publish itself
CARRIED_TAGS = (QUARTER_TAG, "toex/delivery_folder", "toex/trigger", "dagster/schedule_name")

INGESTION = dg.AssetSelection.assets(ingest.DELIVERY_KEY, *(a.key for a in ingest.raw_assets))


def build_jobs() -> tuple[dg.UnresolvedAssetJobDefinition, dg.UnresolvedAssetJobDefinition]:
    """(ingest job, publish job)."""
    return (
        dg.define_asset_job(
            MAIN_JOB,
            selection=INGESTION,
            executor_def=dg.in_process_executor,
            description=(
                "Ingest a delivery for a quarter: land it and load every raw table with its "
                f"checks. When it succeeds, {PUBLISH_JOB} follows and publishes the quarter; a "
                "rejected delivery stops here and the quarter as published stays unchanged."
            ),
        ),
        dg.define_asset_job(
            PUBLISH_JOB,
            selection=dg.AssetSelection.all() - INGESTION,
            executor_def=dg.in_process_executor,
            description=(
                "Build the dbt models from the raw tables, run the quality suites and publish "
                f"the quarter's exports. Launched when a {MAIN_JOB} run succeeds."
            ),
        ),
    )


def build_publish_sensor(ingest_job, publish_job) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        name="publish_after_ingest",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[ingest_job],
        request_job=publish_job,
        minimum_interval_seconds=5,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=(
            f"Starts {PUBLISH_JOB} for the quarter of each {MAIN_JOB} run that succeeds "
            "(launched from the UI, by the delivery sensor or by the schedule)."
        ),
    )
    def publish_after_ingest(context: dg.RunStatusSensorContext):
        run = context.dagster_run
        if PUBLISH_RUN_TAG in run.tags:
            return dg.SkipReason(
                f"run {run.run_id} is published by its launcher (run {run.tags[PUBLISH_RUN_TAG]})"
            )
        quarter = run.tags.get("dagster/partition")
        if not quarter:
            return dg.SkipReason(f"run {run.run_id} has no quarter (partition): nothing to publish")
        return dg.RunRequest(
            run_key=run.run_id,
            partition_key=quarter,
            tags={INGEST_RUN_TAG: run.run_id}
            | {k: run.tags[k] for k in CARRIED_TAGS if k in run.tags},
        )

    return publish_after_ingest


def runs_of_publication(run: dg.DagsterRun) -> list[str]:
    """The runs a publication's results come from: its ingest run (when it follows one), then
    itself."""
    ingest_run = run.tags.get(INGEST_RUN_TAG)
    return [ingest_run, run.run_id] if ingest_run else [run.run_id]

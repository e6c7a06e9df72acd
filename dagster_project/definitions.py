"""The platform's Dagster definitions: what the UI shows and what `toex run` executes.

Domains live in `defs/`; this module only merges them. A quarter runs as an ingest run and
then a publish run (`defs/jobs.py` says why). Every write runs in one process (in-process
executor) and the instance queues runs one at a time: DuckDB allows a single writing process
per file.
"""

from __future__ import annotations

import dagster as dg

from dagster_project import instance_sync, run_owner
from dagster_project.defs import delivery_sensor, ingest, jobs, retention
from dagster_project.resources import default_resources
from dagster_project.settings import Settings

MAIN_JOB, PUBLISH_JOB = jobs.MAIN_JOB, jobs.PUBLISH_JOB
# The code location's and the run workers' own instance connections (`toex` applied it already).
instance_sync.apply_from_env()


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    from dagster_project.defs import exports, kpis, quality

    assets: list = [ingest.delivery, *ingest.raw_assets, *kpis.assets, *exports.assets]
    asset_checks: list = [*quality.asset_checks]
    ingest_job, publish_job = jobs.build_jobs()
    return dg.Definitions(
        assets=assets,
        asset_checks=asset_checks,
        jobs=[ingest_job, publish_job],
        sensors=[
            delivery_sensor.build_delivery_sensor(MAIN_JOB),
            jobs.build_publish_sensor(ingest_job, publish_job),
            run_owner.build_dead_run_sweeper(),
            retention.build_run_retention_sensor(),
        ],
        schedules=[exports.build_quarterly_schedule(MAIN_JOB)],
        resources={**default_resources(settings), **kpis.resources},
        executor=dg.in_process_executor,
    )


defs = build_definitions()

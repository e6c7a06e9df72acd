"""The platform's Dagster definitions: what the UI shows and what `toex run` executes.

Domains live in `defs/`; this module only merges them. Every write runs in one process
(in-process executor) and the instance queues runs one at a time: DuckDB allows a single
writing process per file.
"""

from __future__ import annotations

import dagster as dg

from dagster_project import run_owner
from dagster_project.defs import delivery_sensor, ingest
from dagster_project.resources import default_resources
from dagster_project.settings import Settings

MAIN_JOB = "toex_quarterly"


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    from dagster_project.defs import exports, kpis, quality

    assets: list = [ingest.delivery, *ingest.raw_assets, *kpis.assets, *exports.assets]
    asset_checks: list = [*quality.asset_checks]
    main_job = dg.define_asset_job(
        MAIN_JOB,
        selection=dg.AssetSelection.all(),
        executor_def=dg.in_process_executor,
        description=(
            "Ingest the current delivery and materialise every table, check and export "
            "of a quarter."
        ),
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=asset_checks,
        jobs=[main_job],
        sensors=[
            delivery_sensor.build_delivery_sensor(MAIN_JOB),
            run_owner.build_dead_run_sweeper(),
        ],
        schedules=[exports.build_quarterly_schedule(MAIN_JOB)],
        resources={**default_resources(settings), **kpis.resources},
        executor=dg.in_process_executor,
    )


defs = build_definitions()

"""Fiscal-quarter partitions, keyed by the pack's own labels (`2025-26 Q1`).

A dynamic partitions definition, because time-window partitions can only show dates as
keys and a static list would stop growing until the code location reloads. Keys are added
by whoever needs them — the quarterly schedule, `toex run`, `toex backfill` and
`toex prepare` — always for every quarter from inception, so a backfill since inception
can be launched from the UI at any time.
"""

from __future__ import annotations

from datetime import date

import dagster as dg

from dagster_project.fiscal import Quarter, quarters_between
from dagster_project.settings import Settings

fiscal_quarters = dg.DynamicPartitionsDefinition(name="fiscal_quarter")


def inception_quarter() -> Quarter:
    return Quarter.containing(Settings.from_env().inception)


def latest_complete_quarter(today: date | None = None) -> Quarter:
    return Quarter.containing(today or date.today()).previous()


def default_reporting_quarter(today: date | None = None) -> Quarter:
    """`TOEX_REPORTING_QUARTER` (e.g. the demo's 2025-26-Q1), else the latest complete quarter
    (on `today`: the schedule passes its tick's date)."""
    import os

    env = os.environ.get("TOEX_REPORTING_QUARTER")
    return Quarter.parse(env) if env else latest_complete_quarter(today)


def ensure_quarter_partitions(instance: dg.DagsterInstance, up_to: Quarter) -> list[str]:
    """Add every quarter label from inception to `up_to`; returns the labels added."""
    wanted = [q.label for q in quarters_between(inception_quarter(), up_to)]
    have = set(instance.get_dynamic_partitions(fiscal_quarters.name))
    missing = [k for k in wanted if k not in have]
    if missing:
        instance.add_dynamic_partitions(fiscal_quarters.name, missing)
    return missing


def run_quarter_of(context) -> Quarter | None:
    """The quarter a run is for: its partition (UI, schedule, backfill), else None."""
    key = context.run.tags.get("dagster/partition")
    return Quarter.parse(key) if key else None


QUARTER_TAG = "toex/quarter"


def tag_run_with_quarter(context) -> None:
    """Give a partitioned run the `toex/quarter` tag `toex run` and the schedule set at launch,
    whichever way it was launched (UI, sensor, backfill), so runs filter by quarter."""
    key = context.run.tags.get("dagster/partition")
    if key and QUARTER_TAG not in context.run.tags:
        context.instance.add_run_tags(context.run.run_id, {QUARTER_TAG: Quarter.parse(key).label})

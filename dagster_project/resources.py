"""Dagster resources shared by every domain: the warehouse and the platform's folders."""


import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project import warehouse
from dagster_project.settings import Settings


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse. Opened per step and closed at once, so dbt (a subprocess) can
    take the file in its turn: runs execute in one process, steps one after another."""

    path: str

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # The run's owner is the process that holds the warehouse: recorded so a killed run can be
        # told from a running one (run_owner.py).
        if context.instance is not None and context.run is not None:
            from dagster_project.run_owner import claim_run

            claim_run(context.instance, context.run.run_id)

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(Path(self.path), read_only=read_only) as con:
            if not read_only:
                warehouse.ensure_schemas(con)
            yield con


class PlatformPaths(dg.ConfigurableResource):
    """Folders: delivery inbox, immutable landing area, published exports."""

    inbox: str
    landing: str
    exports: str

    @classmethod
    def from_settings(cls, s: Settings) -> "PlatformPaths":
        return cls(inbox=str(s.inbox), landing=str(s.landing), exports=str(s.exports))


def default_resources(settings: Settings | None = None) -> dict:
    s = settings or Settings.from_env()
    return {"warehouse": WarehouseResource(path=str(s.warehouse)), "paths": PlatformPaths.from_settings(s)}

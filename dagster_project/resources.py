"""Dagster resources shared by every domain: the warehouse and the platform's folders."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project import warehouse
from dagster_project.settings import Settings, published_dir


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
        if context.run is not None and _runs_quality_suites(context.run):
            # GX's import starts now, on the other core, while the first steps run.
            from dagster_project.quality import worker

            worker.start(self.path)

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        from dagster_project.quality import worker

        worker.run_ended(self.path)

    @contextlib.contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        with warehouse.connect(Path(self.path), read_only=read_only) as con:
            if not read_only:
                warehouse.ensure_schemas(con)
            yield con


def _runs_quality_suites(run: dg.DagsterRun) -> bool:
    """Whether the run may execute a quality suite step (`gx_*`, defs/quality.py)."""
    from dagster_project.quality.gate import GATE, WARNINGS

    if run.step_keys_to_execute is not None and not any(
        k.startswith("gx_") for k in run.step_keys_to_execute
    ):
        return False
    checks = run.asset_check_selection
    return checks is None or any(k.name in (GATE, WARNINGS) for k in checks)


class PlatformPaths(dg.ConfigurableResource):
    """Folders: delivery inbox, immutable landing area, published exports, and the data folder
    every other output lives in (never derived from the exports folder: `--out` moves only it)."""

    inbox: str
    landing: str
    exports: str
    data_dir: str = ""  # empty: $TOEX_DATA_DIR as the settings resolve it
    keep_versions: int = 3  # publications kept per quarter (TOEX_KEEP_VERSIONS)

    @classmethod
    def from_settings(cls, s: Settings) -> "PlatformPaths":
        return cls(
            inbox=str(s.inbox),
            landing=str(s.landing),
            exports=str(s.exports),
            data_dir=str(s.data_dir),
            keep_versions=s.keep_versions,
        )

    @property
    def data(self) -> Path:
        return Path(self.data_dir) if self.data_dir else Settings.from_env().data_dir

    @property
    def published(self) -> Path:
        return published_dir(self.data)

    def output_roots(self) -> dict[str, Path]:
        """The folders the outputs server serves, for links that open from the UI."""
        from dagster_project import outputs

        return outputs.output_roots(self.data, Path(self.exports))


def default_resources(settings: Settings | None = None) -> dict:
    s = settings or Settings.from_env()
    return {
        "warehouse": WarehouseResource(path=str(s.warehouse)),
        "paths": PlatformPaths.from_settings(s),
    }

"""The dbt project as Dagster sees it. The manifest is prepared once, at setup/build time
(`toex prepare`, run by `make setup`), never on import: parsing on every import costs
seconds per process (see shared notes on `dg` and `prepare_if_dev`).

dbt's partial parsing is kept valid from `toex prepare` to every run: dbt re-parses the whole
project (~7 CPU s against ~3) when its `--vars` or its profile's connection (the warehouse path)
differ from the saved parse. So dbt runs from the warehouse's folder and names the warehouse by
its file name (`toex-dbt`, dbt_main.py): the same `path` for every data folder's `toex.duckdb`
(a test's, the benchmark's, production's). The reporting quarter reaches dbt as an environment
variable: a new value keeps the saved parse, and dbt renders the SQL with it when it compiles.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

# dagster-dbt runs dbt in a subprocess (`toex-dbt`, dbt_main.py); in this process it only reads
# the manifest and dbt's JSON events. So dbt-core is not imported here (~1.3 CPU s in every
# process that loads the definitions: `toex`, the code location, each run worker; docs/SCALE_LOG.md,
# "fixed6"): dagster-dbt then takes its own stand-ins for dbt's node types and statuses (the same
# values) and reads the default selection (`fqn:*`, every node) from the manifest rather than
# through dbt's selector. A None entry makes `import dbt` fail, Python's documented way; a
# process that imported dbt before keeps it. Every dagster-dbt import goes through this module.
sys.modules.setdefault("dbt", None)

from dagster_dbt import (  # noqa: E402
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.asset_utils import get_asset_check_key_for_test  # noqa: E402

from dagster_project.dbt_main import IN_WAREHOUSE_DIR_ENV, WAREHOUSE_ENV  # noqa: E402
from dagster_project.settings import DBT_PROJECT_DIR  # noqa: E402

__all__ = [  # dagster-dbt's names the definitions use, imported here (above)
    "DagsterDbtTranslator",
    "DagsterDbtTranslatorSettings",
    "dbt_assets",
    "get_asset_check_key_for_test",
]

toex_dbt = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
THREADS_ENV = "TOEX_DBT_THREADS"  # profiles.yml
# Above this many raw rows dbt runs one model at a time. Measured (docs/SCALE_LOG.md): at 1.9 M
# rows two threads are fine; at 18.4 M, under the 1 GB memory cap, two heavy models at once spill
# and compete (dbt 213-226 s with two threads, 159-177 s with one; 85.4 s against 78.4 s after
# the heavy models' rewrite, "big5"), while at scale 1 one thread costs ~2 s.
LARGE_RAW_ROWS = 5_000_000
QUARTER_ENV = "TOEX_DBT_REPORTING_QUARTER"  # macros/fiscal_calendar.sql, toex_reporting_quarter()


def dbt_executable() -> str:
    """The venv's dbt, as `toex-dbt` (dbt_main.py), even when `toex` is called by path without
    the venv on PATH; plain dbt where `toex-dbt` is not installed (correct, with a full parse)."""
    for name in ("toex-dbt", "dbt"):
        beside = Path(sys.executable).parent / name
        if beside.exists():
            return str(beside)
    return shutil.which("toex-dbt") or shutil.which("dbt") or "dbt"


class ToexDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two start-up costs per dbt step (measured, docs/SCALE_LOG.md):
    - `dbt --version` in a subprocess (1.5 s): the executable is this environment's, so dbt's
      version is the installed dbt-core's;
    - an in-process dbt adapter (1.9 s the first time, 0.6 s after), which dagster-dbt uses
      only to fetch column schemas; these assets do not ask for them."""

    @cached_property
    def _cli_version(self):
        from packaging.version import Version

        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None

    @classmethod
    def for_project(cls) -> ToexDbtCliResource:
        return cls(project_dir=toex_dbt, dbt_executable=dbt_executable())


def raw_rows(con) -> int:
    """Rows in the warehouse's raw tables (DuckDB's estimate: no scan), the delivery's size."""
    return con.execute("""SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables()
        WHERE database_name = current_database() AND schema_name = 'raw'""").fetchone()[0]


def dbt_threads(raw_rows: int) -> int:
    """$TOEX_DBT_THREADS if set, else 1 for a large delivery and 2 otherwise."""
    explicit = os.environ.get(THREADS_ENV)
    if explicit:
        return int(explicit)
    return 1 if raw_rows > LARGE_RAW_ROWS else 2


@contextlib.contextmanager
def dbt_env(
    warehouse: str | Path, reporting_quarter: str | None = None, threads: int | None = None
):
    """Environment for a dbt subprocess started inside the block, restored afterwards.
    `toex-dbt` runs it from the warehouse's folder (its saved parse stays valid, dbt_main.py)."""
    values = {
        WAREHOUSE_ENV: str(Path(warehouse).resolve()),
        IN_WAREHOUSE_DIR_ENV: "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    if reporting_quarter:
        values[QUARTER_ENV] = reporting_quarter
    if threads:
        values[THREADS_ENV] = str(threads)
    with environ(values):
        yield


@contextlib.contextmanager
def environ(values: dict[str, str]):
    """`values` in this process's environment (read by a subprocess started inside the block),
    the previous values restored afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def prepare(warehouse: str | Path) -> Path:
    """Run `dbt deps` (if the project has packages) and `dbt parse`, leaving target/manifest.json
    for the definitions to load; parsed as the runs' dbt starts (`toex-dbt` for `warehouse`), so
    their parse is partial."""
    # From scratch: dbt's partial parse can keep a stale view of a YAML-only change (a singular
    # test's config, seen here), and every run's partial parse starts from the state saved now.
    (Path(toex_dbt.project_dir) / "target" / "partial_parse.msgpack").unlink(missing_ok=True)
    # The runs' dbt starts in the warehouse's folder (dbt_main.py): so does this parse, whose
    # saved state they reuse, before the first run has made the folder.
    Path(warehouse).resolve().parent.mkdir(parents=True, exist_ok=True)
    # Not dagster-dbt's preparer: it parses with plain `dbt` (the absolute warehouse path, another
    # profile hash than the runs') and then marks the seeds changed in the saved parse (for a
    # project prepared in one place and run in another), so every run re-parsed the 4 seeds
    # and the files around them (docs/SCALE_LOG.md, "The dbt step").
    dbt = ToexDbtCliResource.for_project()
    with dbt_env(warehouse):
        if any(
            (Path(toex_dbt.project_dir) / name).exists()
            for name in ("packages.yml", "dependencies.yml")
        ):
            dbt.cli(["deps", "--quiet"], target_path=toex_dbt.target_path).wait()
        dbt.cli(["parse", "--quiet"], target_path=toex_dbt.target_path).wait()
    return toex_dbt.manifest_path

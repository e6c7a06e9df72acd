"""The dbt project as Dagster sees it. The manifest is prepared once, at setup/build time
(`toex prepare`, run by `make setup`), never on import: parsing on every import costs
seconds per process (see shared notes on `dg` and `prepare_if_dev`)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.settings import DBT_PROJECT_DIR

toex_dbt = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_executable() -> str:
    """The venv's dbt, even when `toex` is called by path without the venv on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def prepare() -> Path:
    """Run `dbt deps`/`dbt parse` and leave target/manifest.json for the definitions to load."""
    import os

    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ["PATH"] = str(Path(dbt_executable()).parent) + os.pathsep + os.environ.get("PATH", "")
    toex_dbt.preparer.prepare(toex_dbt)
    return toex_dbt.manifest_path

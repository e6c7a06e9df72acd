"""Where the platform keeps things: environment variables (nothing reads a `.env` file), with
defaults.

TOEX_HOME        project root (default: the current directory)
TOEX_DATA_DIR    data root (default: $TOEX_HOME/data): every output lives under it unless a
                 variable below moves one (the analysts' copy and dbt docs in published/, Data Docs
                 in gx_docs/, GX results in gx_store/, run logs in logs/, the Dagster instance in
                 dagster_home/)
TOEX_WAREHOUSE   the DuckDB warehouse file (default: $TOEX_DATA_DIR/warehouse/toex.duckdb)
TOEX_INBOX       where delivery folders arrive (default: $TOEX_DATA_DIR/inbox)
TOEX_LANDING     immutable landing area (default: $TOEX_DATA_DIR/landing)
TOEX_EXPORTS     published exports (default: $TOEX_DATA_DIR/exports)
TOEX_INCEPTION   programme inception date (default: dbt var inception_date, dbt/dbt_project.yml)
TOEX_PUBLISH_MODE  mode of published files, octal (default 0640; folders 0750):
                 publish/permissions.py
TOEX_KEEP_VERSIONS  publications kept per quarter under <exports>/.versions (default 3, at least 2:
                 the live one and the one before it are never deleted)
TOEX_KEEP_RUNS   runs kept per quarter in the Dagster instance after each CLI run, besides the
                 quarter's newest successful run (default 1; `all` keeps every run: ~5 MB of
                 event log each, docs/OPERATIONS.md)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster_project.kpi_catalogue import inception_date

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
# One run per quarter (and that quarter's newest success): every retained run is ~5 MB of
# Dagster event log whatever the data's size, so keeping them all grows the data folder
# without bound (issue 11; docs/OPERATIONS.md, "What grows on disk").
DEFAULT_KEEP_RUNS = 1


@dataclass(frozen=True)
class Settings:
    home: Path
    data_dir: Path
    warehouse: Path
    inbox: Path
    landing: Path
    exports: Path
    inception: date
    keep_versions: int = 3
    keep_runs: int | None = DEFAULT_KEEP_RUNS  # per quarter (TOEX_KEEP_RUNS); None keeps all

    @property
    def published(self) -> Path:
        """The analysts' read-only warehouse copy, its Parquet and the dbt docs site."""
        return published_dir(self.data_dir)

    @property
    def logs(self) -> Path:
        """One log file per run (`<run_id>.log`): everything the console leaves out."""
        return self.data_dir / "logs"

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        env = os.environ
        home = Path(env.get("TOEX_HOME", Path.cwd())).resolve()
        data = Path(env.get("TOEX_DATA_DIR", home / "data")).resolve()
        values = dict(
            home=home,
            data_dir=data,
            warehouse=Path(env.get("TOEX_WAREHOUSE", data / "warehouse" / "toex.duckdb")),
            inbox=Path(env.get("TOEX_INBOX", data / "inbox")),
            landing=Path(env.get("TOEX_LANDING", data / "landing")),
            exports=Path(env.get("TOEX_EXPORTS", data / "exports")),
            inception=date.fromisoformat(env["TOEX_INCEPTION"])
            if env.get("TOEX_INCEPTION")
            else inception_date(),
            keep_versions=int(env.get("TOEX_KEEP_VERSIONS") or 3),
            keep_runs=_keep_runs(env.get("TOEX_KEEP_RUNS") or str(DEFAULT_KEEP_RUNS)),
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        for k, v in values.items():
            if isinstance(v, Path):
                values[k] = v.resolve()
        return cls(**values)


def published_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "published"


def _keep_runs(text: str) -> int | None:
    """TOEX_KEEP_RUNS: a number of runs (at least 1) or `all`."""
    if text.strip().lower() == "all":
        return None
    if text.strip().isdigit() and int(text) >= 1:
        return int(text)
    raise ValueError(f"TOEX_KEEP_RUNS must be a number of runs (at least 1) or 'all', got {text!r}")

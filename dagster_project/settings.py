"""Where the platform keeps things: environment variables (nothing reads a `.env` file), with
defaults.

TOEX_HOME        project root (default: the current directory)
TOEX_DATA_DIR    data root (default: $TOEX_HOME/data)
TOEX_WAREHOUSE   the DuckDB warehouse file (default: $TOEX_DATA_DIR/warehouse/toex.duckdb)
TOEX_INBOX       where delivery folders arrive (default: $TOEX_DATA_DIR/inbox)
TOEX_LANDING     immutable landing area (default: $TOEX_DATA_DIR/landing)
TOEX_EXPORTS     published exports (default: $TOEX_DATA_DIR/exports)
TOEX_INCEPTION   programme inception date (default: dbt var inception_date, dbt/dbt_project.yml)
TOEX_PUBLISH_MODE  mode of published files, octal (default 0640; folders 0750): publish/permissions.py
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


@dataclass(frozen=True)
class Settings:
    home: Path
    data_dir: Path
    warehouse: Path
    inbox: Path
    landing: Path
    exports: Path
    inception: date

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
            inception=date.fromisoformat(env["TOEX_INCEPTION"]) if env.get("TOEX_INCEPTION") else inception_date(),
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        for k, v in values.items():
            if isinstance(v, Path):
                values[k] = v.resolve()
        return cls(**values)

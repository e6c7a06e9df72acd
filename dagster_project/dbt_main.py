"""`toex-dbt`: dbt itself, started from the warehouse's folder when the dbt step asks for it.

dbt re-parses the whole project (~7 CPU s against ~3 with its saved parse) when the profile's
connection values differ from the saved parse's (dbt's `profile_hash`), and dbt-duckdb's `path`
is one of them. Named relative to its own folder, every warehouse called `toex.duckdb` has the
same `path`, so the parse `toex prepare` saved stays valid for any data folder (a test's, the
benchmark's). A warehouse with another file name is another dbt `database` (dbt-duckdb takes
it from the stem) and gets a full parse, as it must.

Only with IN_WAREHOUSE_DIR_ENV set (`dbt_project.dbt_env`) and an absolute TOEX_WAREHOUSE
whose folder exists; otherwise exactly `dbt`. Kept free of heavy imports: it starts every dbt
process.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster_project.process_exit import exit_now

WAREHOUSE_ENV = "TOEX_WAREHOUSE"  # profiles.yml
IN_WAREHOUSE_DIR_ENV = "TOEX_DBT_IN_WAREHOUSE_DIR"


def enter_warehouse_dir() -> None:
    """Make the working directory the warehouse's folder and TOEX_WAREHOUSE its file name."""
    warehouse = Path(os.environ.get(WAREHOUSE_ENV, ""))
    asked = os.environ.pop(IN_WAREHOUSE_DIR_ENV, None)  # not for dbt's own subprocesses
    if asked and warehouse.is_absolute() and warehouse.parent.is_dir():
        os.chdir(warehouse.parent)
        os.environ[WAREHOUSE_ENV] = warehouse.name


def main() -> None:
    enter_warehouse_dir()
    from dbt.cli.main import cli

    try:
        code = cli()  # click ends with SystemExit(dbt's code)
    except SystemExit as done:
        code = done.code
    exit_now(code)  # without freeing dbt's modules one by one (process_exit.py)


if __name__ == "__main__":
    main()

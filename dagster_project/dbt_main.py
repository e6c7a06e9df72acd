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
import sys
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


# dbt's level names (dbt_common.events.logger.send_to_logger) as Python's logging levels.
_LEVELS = {"test": 10, "debug": 10, "info": 20, "warn": 30, "error": 40}
LOG_FILTER_ENV = "TOEX_DBT_LOG_FILTER"  # "0": dbt's own line writing, unfiltered


def skip_lines_below_level() -> None:
    """Build a log line only for a logger that keeps it.

    dbt fires ~4,400 events in a scale-1 build, and each of its two loggers (stdout's JSON, the
    dbt.log file) turns every event into a line (protobuf to dict, json.dumps, the secrets scrub)
    before Python's logging drops it by level: ~8,100 lines built for the ~370 kept
    (docs/SCALE_LOG.md, "dbtnode", "fixed7"). The same test Python's logging then applies
    (`isEnabledFor`) is made first; a kept line is built and sent exactly as dbt does.
    Then the same for whole events (`_skip_events_no_logger_keeps`). dbt-common is pinned
    (requirements.lock); tests/test_dbt_log_filter.py fails if the code replaced here changes.
    """
    if os.environ.get(LOG_FILTER_ENV) == "0":
        return
    from dbt_common.events import logger as dbt_logger

    write_line = dbt_logger._Logger.write_line
    is_print_event = dbt_logger._is_print_event

    def write_line_if_kept(self, msg) -> None:
        python_logger = self._python_logger
        if python_logger is not None:
            level = "error" if is_print_event(msg) else msg.info.level
            numeric = _LEVELS.get(level)
            if numeric is not None and not python_logger.isEnabledFor(numeric):
                return
        write_line(self, msg)

    dbt_logger._Logger.write_line = write_line_if_kept
    _skip_events_no_logger_keeps()


def _skip_events_no_logger_keeps() -> None:
    """Turn a debug event into a message only if a logger keeps it. dbt makes every event a
    message (protobuf `ParseDict`, its text, the time) before any logger looks at it: ~4,000
    debug events a scale-1 build, none written (docs/SCALE_LOG.md, "fixed7"). An event is dropped
    here only where dbt would do nothing with it: its level is debug (or test), no logger is
    enabled for that level, it is not a print event (sent as an error), it asks for no
    warn-or-error handling, and the only callback is dbt's own `track_behavior_change_warn`
    (which reads behaviour-change events only). Everything else goes to dbt's `fire_event`."""
    from dbt_common.events import event_manager
    from dbt_common.events import logger as dbt_logger

    fire_event = event_manager.EventManager.fire_event
    print_events = dbt_logger.PRINT_EVENT_NAMES

    def only_dbts_tracking(callbacks) -> bool:
        tracking = sys.modules.get("dbt.tracking")
        own = getattr(tracking, "track_behavior_change_warn", None)
        return all(c is own for c in callbacks)

    def fire_event_if_kept(self, e, level=None, node=None, force_warn_or_error_handling=False):
        if (
            (level or e.level_tag()).value in ("debug", "test")
            and not force_warn_or_error_handling
            and type(e).__name__ not in print_events
            and only_dbts_tracking(self.callbacks)
            and not os.environ.get("DBT_TEST_BINARY_SERIALIZATION")
            and all(
                lg._python_logger is not None
                and not lg._python_logger.isEnabledFor(_LEVELS["debug"])
                for lg in self.loggers
            )
        ):
            return
        fire_event(self, e, level, node, force_warn_or_error_handling)

    event_manager.EventManager.fire_event = fire_event_if_kept


def main() -> None:
    enter_warehouse_dir()
    skip_lines_below_level()
    from dbt.cli.main import cli

    try:
        code = cli()  # click ends with SystemExit(dbt's code)
    except SystemExit as done:
        code = done.code
    exit_now(code)  # without freeing dbt's modules one by one (process_exit.py)


if __name__ == "__main__":
    main()

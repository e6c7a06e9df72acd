"""How hard the Dagster instance's SQLite files are synced to disk (TOEX_DAGSTER_SQLITE_SYNC).

A run of the quarterly job writes ~970 events to the instance's SQLite files (the run's own file
and the index), one commit each, and Dagster opens a fresh connection for every one; with SQLite's
default (`synchronous=FULL`) every commit waits for the disk. Measured here (docs/SCALE.md): ~10 ms
an event with the syncs, ~2.5 ms without, so ~8 s of a scale-1 run.

- unset or `full`: SQLite's default, unchanged;
- `normal`: the syncs SQLite's WAL mode (which Dagster uses) needs to stay consistent;
- `off`: no syncs. A process that dies (SIGKILL, OOM) loses nothing, but a power loss or an
  operating-system crash during a run can lose or corrupt the run history. The warehouse, the
  landing area and the publications are other files with their own atomicity: not affected.

The tests use `off` (tests/conftest.py): their instances are scratch."""

from __future__ import annotations

import os

SYNC_ENV = "TOEX_DAGSTER_SQLITE_SYNC"
LEVELS = ("full", "normal", "off")
_applied: str | None = None


def apply_from_env() -> str:
    """Set the level for every SQLite connection this process opens from now on (SQLAlchemy's
    `connect` event, which Dagster's storages go through); returns it."""
    global _applied
    level = (os.environ.get(SYNC_ENV) or "full").strip().lower()
    if level not in LEVELS:
        raise SystemExit(f"toex: {SYNC_ENV}={level!r}: expected one of {', '.join(LEVELS)}")
    if level == "full" or _applied is not None:
        return _applied or level
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _sync(dbapi_connection, _record):
        if type(dbapi_connection).__module__ == "sqlite3":
            dbapi_connection.execute(f"PRAGMA synchronous={level.upper()}")

    _applied = level
    return level

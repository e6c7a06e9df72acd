"""How hard the Dagster instance's SQLite files are synced to disk (TOEX_DAGSTER_SQLITE_SYNC).

A run of the quarterly job writes ~950 events to the instance's SQLite files (the run's own file
and the index), one commit each, and Dagster opens a fresh connection for every one. With
SQLite's default (`synchronous=FULL`) every commit waits for the disk, and so does every close:
the last connection to a WAL database checkpoints it (two syncs) and deletes the log.
Measured (docs/SCALE_LOG.md, "Fixed cost (scale 1)"): ~12-23 ms a commit on this machine,
~0.3-0.8 ms with `normal` as applied here.

- unset or `normal` (the default): `PRAGMA synchronous=NORMAL` on every SQLite connection, and
  one idle connection per database file held open by the process (the pooled engine of
  `_reuse_engines`), so Dagster's per-write connections no longer checkpoint as they close.
  Dagster opens its SQLite files in WAL mode, where NORMAL stays consistent: a power loss or
  operating-system crash may lose the last commits before a checkpoint, never corrupts the run
  history (SQLite: "WAL mode is safe from
  corruption with synchronous=NORMAL"). SQLite still checkpoints every ~4 MB of log and when the
  process ends (the held connections are closed at exit);
- `full`: SQLite's default, as Dagster runs it (every commit and close synced);
- `off`: no syncs at all. A process that dies (SIGKILL, OOM) loses nothing, but a power loss
  or an operating-system crash during a run can lose or corrupt the run history.
The warehouse, the landing area and the publications are other files with their own atomicity:
not affected by any level.

Every process that opens the instance applies it: `toex` (cli.py, before it opens the instance),
the code location and the run workers (definitions.py), and `dagster dev`'s webserver and daemon
through the instance's scheduler class (`SyncedDaemonScheduler`, named in the dagster.yaml toex
writes). The tests use `off` (tests/conftest.py): their instances are scratch."""

from __future__ import annotations

import atexit
import os
import threading
from collections import OrderedDict

from dagster._core.scheduler import DagsterDaemonScheduler

SYNC_ENV = "TOEX_DAGSTER_SQLITE_SYNC"
LEVELS = ("full", "normal", "off")
DEFAULT_LEVEL = "normal"
_applied: str | None = None


def level_from_env() -> str:
    level = (os.environ.get(SYNC_ENV) or DEFAULT_LEVEL).strip().lower()
    if level not in LEVELS:
        raise SystemExit(f"toex: {SYNC_ENV}={level!r}: expected one of {', '.join(LEVELS)}")
    return level


def apply_from_env() -> str:
    """Set the level for every SQLite connection this process opens from now on (SQLAlchemy's
    `connect` event, which Dagster's storages go through); returns it. The first call decides."""
    global _applied
    level = level_from_env()
    if _applied is not None:
        return _applied
    _applied = level
    if level == "full":
        return level
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _reuse_engines()

    @event.listens_for(Engine, "connect")
    def _sync(dbapi_connection, _record):
        if type(dbapi_connection).__module__ == "sqlite3":
            dbapi_connection.execute(f"PRAGMA synchronous={level.upper()}")

    return level


# Dagster's SQLite storages call SQLAlchemy's create_engine for every connection they open (~6,000 a
# scale-1 run), without a pool (NullPool), and dispose of it after each use. One engine per file
# serves them all, with a pool of one idle connection per file: ~3,200 SQLite connections a
# scale-1 run were opened (with their pragmas) and closed again, ~0.5 ms of CPU each
# (docs/SCALE_LOG.md, "fixed6").
_STORAGE_MODULES = (
    "dagster._core.storage.event_log.sqlite.sqlite_event_log",
    "dagster._core.storage.runs.sqlite.sqlite_run_storage",
    "dagster._core.storage.schedules.sqlite.sqlite_schedule_storage",
)
_ENGINES_KEPT = 64  # files: a webserver opens many runs' files; an engine costs nothing held


def _reuse_engines() -> None:
    """One engine per file, pooling its connections: SQLAlchemy's QueuePool with one idle
    connection (its default for a SQLite file; others are opened as needed and closed when
    returned). A returned connection is rolled back, so it holds no transaction or lock; in WAL
    mode an idle connection blocks no writer and no checkpoint. Dagster's `engine.dispose()`
    after each use would close the pool, so it does nothing on these engines; they are closed
    when evicted and at exit (SQLite then checkpoints and removes the log). A forked child never
    touches its parent's connections (SQLite's rule): it starts with no engines. Patches the
    modules' `create_engine` name: pinned Dagster (requirements.lock);
    tests/test_instance_sync.py fails loudly if an upgrade moves it."""
    import importlib

    import sqlalchemy
    from sqlalchemy.pool import NullPool, QueuePool

    engines: OrderedDict[tuple, object] = OrderedDict()
    lock = threading.Lock()

    def pooled(url, kwargs):
        database = sqlalchemy.engine.make_url(url).database
        if not database or database == ":memory:":  # each connection its own database: no pool
            return sqlalchemy.create_engine(url, **kwargs)
        connect_args = {**kwargs.get("connect_args", {}), "check_same_thread": False}
        options = {**kwargs, "poolclass": QueuePool, "pool_size": 1, "max_overflow": -1}
        engine = sqlalchemy.create_engine(url, **(options | {"connect_args": connect_args}))
        engine.dispose = _kept  # Dagster's dispose after each use
        return engine

    def create_engine(url, **kwargs):
        if kwargs.get("poolclass") is not NullPool:
            return sqlalchemy.create_engine(url, **kwargs)
        key = (str(url), repr(sorted(kwargs.items())))
        with lock:
            engine = engines.get(key)
            if engine is None:
                engine = engines[key] = pooled(url, kwargs)
                if len(engines) > _ENGINES_KEPT:
                    _close(engines.popitem(last=False)[1])
        return engine

    def close_all():
        with lock:
            for engine in engines.values():
                _close(engine)
            engines.clear()

    def forget():  # in a forked child: its parent's connections stay referenced, never used
        nonlocal lock
        _inherited.extend(engines.values())
        engines.clear()
        lock = threading.Lock()

    atexit.register(close_all)
    os.register_at_fork(after_in_child=forget)
    for name in _STORAGE_MODULES:
        module = importlib.import_module(name)
        if module.create_engine is not sqlalchemy.create_engine:
            raise RuntimeError(f"{name}.create_engine is not SQLAlchemy's: Dagster changed")
        module.create_engine = create_engine


def _kept(*_args, **_kwargs) -> None:
    """An engine's `dispose` while it is kept: its pool stays."""


def _close(engine) -> None:
    type(engine).dispose(engine)  # SQLAlchemy's own: closes the pooled connections


_inherited: list = []


class SyncedDaemonScheduler(DagsterDaemonScheduler):
    """Dagster's default scheduler, unchanged. Named in the dagster.yaml toex writes because every
    process that opens the instance loads it at once (the storage first, then this), and it needs
    no path in its config: how `dagster dev`'s webserver and daemon apply the level."""

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        apply_from_env()
        return super().from_config_value(inst_data, config_value)

"""Great Expectations 1.x on DuckDB: the one workaround the quality gates need, kept here.

Why
---
GX has no DuckDB datasource; the way in is its generic SQL datasource with the
`duckdb-engine` SQLAlchemy dialect (`context.data_sources.add_sql(connection_string=
"duckdb:///PATH")`). As installed (great-expectations 1.24.1, duckdb-engine 0.17.0,
duckdb 2.0.1, SQLAlchemy 2.0) *every* expectation on that path errors with
`MetricResolutionError: list index out of range`: `SqlAlchemyExecutionEngine.execute_query`
opens a connection in a `with` block, executes, closes the connection and only then is the
result fetched; DuckDB's cursor result is gone with its connection, so GX reads an empty
list. Upstream: https://github.com/great-expectations/great_expectations/issues/11579 and
https://github.com/great-expectations/great_expectations/issues/10738 (a native DuckDB
execution engine is an open pull request, #12084).

The fix
-------
GX already keeps one connection open for the life of the execution engine for dialects
whose temporary tables live per connection (`_PERSISTED_CONNECTION_DIALECTS`: sqlite,
mssql, bigquery, databricks): `get_connection()` then yields the same, still-open
connection, and the engine is created with a `StaticPool`. Registering `duckdb` in that
tuple makes DuckDB take the same, well-trodden path. Nothing else changes: every metric
is still computed by SQL inside DuckDB (no table is pulled into pandas).

It touches a private module attribute, so: GX is pinned exactly (`great-expectations==
1.24.1` in pyproject.toml/requirements.lock), `ensure_duckdb_support()` refuses loudly if
the attribute is missing or has changed shape, and `tests/test_quality_gx_duckdb.py` fails
when an upgrade breaks it (the attribute exists, and a real expectation on a DuckDB table
succeeds through the SQL datasource). When GX ships DuckDB support, delete this module.

One consequence is handled too: on a persisted connection a failing statement leaves
DuckDB's transaction aborted ("Current transaction is aborted (please ROLLBACK)"), so one
erroring expectation would make every later one in the suite error as well.
`prepare()` adds a SQLAlchemy `handle_error` listener (public API) to the engine GX
validates with, which rolls the aborted transaction back: an erroring expectation fails
alone.

Because the execution engine now holds its connection open, `release()` must be called
when a validation is done: DuckDB allows one writing process per file, and the next step
(dbt runs as a subprocess) needs the warehouse.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import sys
import types
from typing import Any

log = logging.getLogger("toex.quality")

GX_VERSION = "1.24.1"  # the version this workaround was written and tested against
PATCHED_MODULE = "great_expectations.execution_engine.sqlalchemy_execution_engine"
PATCHED_ATTRIBUTE = "_PERSISTED_CONNECTION_DIALECTS"
DIALECT = "duckdb"


class GXDuckDBPatchError(RuntimeError):
    """The installed Great Expectations no longer has what the DuckDB workaround relies on."""


class _DuckDBDialect(str):
    """`"duckdb"`, shaped like a member of GX's `GXSqlDialect` enum (which has no DuckDB).

    GX compares entries of the tuple with dialect names (`"duckdb" in tuple`, true for a
    str) and reads their `.value` (`connection_string.startswith(d.value)`)."""

    @property
    def value(self) -> str:
        return str(self)


def _quiet_environment() -> None:
    # No usage statistics leave this network; no progress bars in the run logs.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def _defer_scipy_stats() -> None:
    """Make `scipy.stats` load on first use instead of at `import great_expectations`.

    GX imports `scipy.stats` at import time for three distribution expectations/metrics
    (KL divergence, KS tests) that no suite here uses; it was ~25 % of the import's CPU
    (2.6 s → 1.95 s measured 2026-11-29). `importlib.util.LazyLoader` (standard library)
    defers the module's execution to its first attribute access, so anything that does use
    `scipy.stats` gets the real module. Nothing is done if it is loaded already."""
    if "scipy.stats" in sys.modules or "great_expectations" in sys.modules:
        return
    try:
        spec = importlib.util.find_spec("scipy.stats")
    except ImportError:
        return
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["scipy.stats"] = module
    loader.exec_module(module)
    sys.modules["scipy"].stats = module


class _ImportedOnUse(types.ModuleType):
    """Stands in `sys.modules` for a top-level module until an attribute of it is read, then
    imports it and answers. `importlib.util.LazyLoader` (used for scipy.stats above) cannot do
    this for a module reached by an `import` statement: Python's import reads the module's
    `__spec__`, which makes a lazy module load at once; here `__spec__` is None."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__spec__ = None

    def __getattr__(self, attribute: str):
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attribute)


def _defer_altair() -> None:
    """Make `altair` load on first use instead of at `import great_expectations`: GX imports it
    for the KL-divergence expectation's charts only (no suite here uses it): ~0.2 of GX's ~2.3
    CPU s of import, measured 2026-11-30 (docs/SCALE_LOG.md, "fixed7"). Nothing is done if it
    is loaded already."""
    if "altair" in sys.modules or "great_expectations" in sys.modules:
        return
    if importlib.util.find_spec("altair") is not None:
        sys.modules["altair"] = _ImportedOnUse("altair")


def ensure_duckdb_support() -> None:
    """Register DuckDB among GX's persisted-connection dialects (idempotent)."""
    _quiet_environment()
    _defer_scipy_stats()
    _defer_altair()
    import great_expectations

    module = importlib.import_module(PATCHED_MODULE)
    current = getattr(module, PATCHED_ATTRIBUTE, None)
    if not isinstance(current, tuple) or not hasattr(module, "SqlAlchemyExecutionEngine"):
        raise GXDuckDBPatchError(
            f"great_expectations {great_expectations.__version__}: "
            f"{PATCHED_MODULE}.{PATCHED_ATTRIBUTE} is {type(current).__name__}, "
            "not the tuple the DuckDB workaround extends "
            f"(written for {GX_VERSION}). "
            "See dagster_project/quality/gx_duckdb.py: re-check upstream issues 11579/10738 "
            "and adapt or drop it."
        )
    if DIALECT in current:
        return
    if great_expectations.__version__ != GX_VERSION:
        log.warning(
            "great_expectations %s: the DuckDB workaround was written for %s (see %s)",
            great_expectations.__version__,
            GX_VERSION,
            __name__,
        )
    setattr(module, PATCHED_ATTRIBUTE, (*current, _DuckDBDialect(DIALECT)))


def connection_string(path: str) -> str:
    return f"duckdb:///{path}"


def engine_kwargs(path: str, memory_limit: str = "512MB", read_only: bool = True) -> dict[str, Any]:
    """`create_engine` kwargs for the SQL datasource: a read-only connection with a DuckDB
    `memory_limit` (DuckDB spills to disk beyond it), so a ten-million-row table validates in
    bounded memory.

    DuckDB refuses a second connection to a file with a *different* configuration while one
    is open in the same process; should a step have left one open, validate with the default
    configuration (no limit) rather than fail the gate for a reason unrelated to the data."""
    import duckdb

    config: dict[str, Any] = {"memory_limit": memory_limit}
    try:
        duckdb.connect(path, read_only=read_only, config=config).close()
    except duckdb.ConnectionException as exc:
        if "different configuration" not in str(exc):
            raise
        log.warning(
            "another connection to %s is open in this process: validating without memory_limit",
            path,
        )
        return {}
    return {"connect_args": {"read_only": read_only, "config": config}}


def _rollback_aborted_transaction(context) -> None:
    conn = context.connection
    if conn is None or conn.closed:
        return
    import duckdb

    try:
        conn.connection.dbapi_connection.rollback()
    except duckdb.Error as exc:  # "no transaction is active": nothing to undo
        log.debug("rollback after a failed statement: %s", exc)


def prepare(datasource) -> None:
    """Call before validating with `datasource` (see the module docstring)."""
    from sqlalchemy import event

    engine = datasource.get_execution_engine().engine
    if not event.contains(engine, "handle_error", _rollback_aborted_transaction):
        event.listen(engine, "handle_error", _rollback_aborted_transaction)


def release(datasource) -> None:
    """Close every DuckDB connection GX holds for `datasource` (its execution engine keeps
    one open because of the workaround), so the warehouse file is free again."""
    execution_engine = datasource.get_execution_engine()
    conn = getattr(execution_engine, "_connection", None)
    if conn is not None:
        conn.close()
        execution_engine._connection = None
    execution_engine.engine.dispose()  # StaticPool: closes the one DBAPI connection
    datasource.get_engine().dispose()


def prefetch_reflection(datasource, tables: list[str]) -> None:
    """Reflect the columns of `tables` (`schema.table`) in one query per schema, and have the
    datasource's engine answer GX's per-table column reflection from it.

    Why: GX asks SQLAlchemy for each table's columns before validating it. duckdb-engine
    answers through DuckDB's emulation of PostgreSQL's `pg_catalog`, whose query costs about
    the same for one table as for all of them (~70–130 ms on the warehouse's catalogue of
    ~1,400 columns, measured 2026-11-29): per table, that was most of the SQL time of the raw
    suites at scale 1. SQLAlchemy's public `Inspector.get_multi_columns` gives the same
    column dictionaries (`tests/test_quality_gx_duckdb.py` compares them); only this engine's
    dialect instance is changed, and a table not prefetched is reflected as before. It is an
    optimisation only: if the prefetch fails, every table is reflected as before."""
    import copy

    from sqlalchemy import inspect

    engine = datasource.get_execution_engine().engine
    by_schema: dict[str, list[str]] = {}
    for t in tables:
        schema, _, name = t.rpartition(".")
        by_schema.setdefault(schema, []).append(name)
    columns: dict[tuple, list] = {}
    try:
        inspector = inspect(engine)
        for schema, names in by_schema.items():
            columns.update(inspector.get_multi_columns(schema=schema or None, filter_names=names))
    except Exception:  # the per-table reflection still works: only slower
        log.warning("could not prefetch column metadata; reflecting per table", exc_info=True)
        return
    dialect = engine.dialect
    reflect_columns = dialect.get_columns

    def get_columns(connection, table_name, schema=None, **kw):
        found = columns.get((schema, str(table_name)))
        if found is None:
            return reflect_columns(connection, table_name, schema=schema, **kw)
        return copy.deepcopy(found)

    dialect.get_columns = get_columns

"""The quality suites in a process of their own, started when a run starts, so that importing
Great Expectations overlaps the run's first steps on the other core.

Why: `import great_expectations` is ~2 CPU s (docs/SCALE_LOG.md, "The quality stage"), paid in a
run's first quality step, which the raw loads that reference `raw/operations` wait for: at
scale 1 it sat on the critical path of every run. Imported in a thread it competed with
ingestion for the GIL (measured: quality −3 s, ingestion +3 s); a process uses the second core.

How: the warehouse resource calls `start()` as a run starts (every launch path: `toex run`, the
UI's and the daemon's run workers); the worker spawns, imports GX and waits. `run_suites` sends it
the step's suites and returns what `runner.run_suites` returns there (plain data: outcomes, Data
Docs paths). The worker opens the warehouse read-only and lets it go before it answers (as
`runner.run_suites` does in-process), so the step then writes the history as before. Without a
live worker (not started, it died, the Spark engine, TOEX_GX_WORKER=0) the suites run in this
process, as before: same code, same results.

Memory: the worker's interpreter and libraries count again in the process tree (~0.2 GB more
at scale 1, measured). For a large delivery (more raw rows than `dbt_project.LARGE_RAW_ROWS`, where
dbt's peak nears 2 GiB, docs/SCALE_LOG.md) no worker is started, and one that served the ingest run
is stopped when that run ends, so it is never alive during dbt there.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import traceback
from pathlib import Path

log = logging.getLogger("toex.quality")

ENABLED_ENV = "TOEX_GX_WORKER"  # "0": the suites always run in the step's own process

_lock = threading.Lock()
_worker = None  # (process, connection) while one is alive


def enabled() -> bool:
    from dagster_project import engine

    return os.environ.get(ENABLED_ENV, "1").strip() != "0" and not engine.is_spark()


def _large(warehouse: Path) -> bool:
    """A large delivery loaded (dbt_project.LARGE_RAW_ROWS); unknown (held by another process)
    counts as large: no worker, as before."""
    if not warehouse.exists():  # a first run
        return False
    from dagster_project import dbt_project
    from dagster_project import warehouse as wh

    try:
        # No wait for another process's lock: a guess only, never a delay before the run.
        with wh.connect(warehouse, read_only=True, wait_seconds=0) as con:
            return dbt_project.raw_rows(con) > dbt_project.LARGE_RAW_ROWS
    except Exception:
        return True


def start(warehouse: str | Path) -> None:
    """Make sure a worker is alive for a run on `warehouse` (none on a large one). Never fails a
    run: without a worker the suites run in-process."""
    global _worker
    try:
        with _lock:
            if not enabled() or _large(Path(warehouse)):
                _stop_locked()
                return
            if _worker is not None and _worker[0].is_alive():
                return
            import multiprocessing

            ctx = multiprocessing.get_context("spawn")  # not fork: the parent has threads
            parent, child = ctx.Pipe()
            process = ctx.Process(target=_serve, args=(child,), name="toex-gx-worker", daemon=True)
            process.start()
            child.close()
            _worker = (process, parent)
    except Exception:  # an optimisation only
        log.warning("could not start the quality worker: suites run in-process", exc_info=True)
        _worker = None


def stop() -> None:
    with _lock:
        _stop_locked()


def run_ended(warehouse: str | Path) -> None:
    """At a run's end: a worker is not kept for the next run (dbt's) of a large delivery."""
    if _worker is not None and _large(Path(warehouse)):
        stop()


def _stop_locked(kill: bool = False) -> None:
    global _worker
    if _worker is None:
        return
    process, conn = _worker
    _worker = None
    if kill:
        process.terminate()
    else:
        with contextlib.suppress(OSError):
            conn.send(None)
    conn.close()
    process.join(timeout=5)
    if process.is_alive():
        process.terminate()


atexit.register(stop)


def run_suites(batches, warehouse, **kwargs):
    """`runner.run_suites(batches, warehouse, **kwargs)`, in the worker if one is alive."""
    from dagster_project.quality import runner

    with _lock:
        if _worker is not None and _worker[0].is_alive():
            _, conn = _worker
            try:
                conn.send((batches, str(warehouse), kwargs, dict(os.environ), os.getcwd()))
                ok, value = conn.recv()
            except (EOFError, OSError):  # it died: this step runs the suites itself
                log.warning("the quality worker stopped: suites run in-process", exc_info=True)
                _stop_locked()
            except BaseException:  # interrupted (a cancelled run): its answer would go astray
                _stop_locked(kill=True)
                raise
            else:
                if ok:
                    return value
                raise value
    return runner.run_suites(batches, warehouse, **kwargs)


def _serve(conn) -> None:
    """The worker: import GX, then validate what it is sent until told to stop (None) or its
    parent is gone (end of file)."""
    import sys

    # This process serves the DuckDB engine only (`enabled`): GX's Spark support, an optional
    # import, is left out (a None entry makes `import pyspark` fail, Python's documented way),
    # 0.5 of GX's ~3 CPU s of import measured. The Spark engine validates in its own process.
    sys.modules.setdefault("pyspark", None)
    from dagster_project.quality import gx_duckdb, runner

    gx_duckdb.ensure_duckdb_support()
    import great_expectations  # noqa: F401  (the import this process exists to do early)

    from dagster_project.process_exit import exit_now

    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            job = None
        if job is None:  # without Python's teardown of GX's modules (~1 s), as toex ends
            exit_now(0)
        batches, warehouse, kwargs, environ, cwd = job
        try:  # the step's environment and folder, as if it ran in-process
            os.environ.clear()
            os.environ.update(environ)
            os.chdir(cwd)
            reply = (True, runner.run_suites(batches, warehouse, **kwargs))
        except Exception as exc:  # the step reports it, as if raised in-process
            reply = (False, _picklable(exc))
        try:
            conn.send(reply)
        except Exception as exc:  # an unpicklable result: say so rather than hang the step
            conn.send((False, RuntimeError(f"quality worker: could not return the result: {exc}")))


def _picklable(exc: Exception) -> Exception:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError("".join(traceback.format_exception(exc)))

"""The DuckDB warehouse: connections, schemas and the one-writer rule.

DuckDB allows one writing process per file. The platform therefore (1) runs every
write of a pipeline run in one process (Dagster's in-process executor, runs queued one at
a time), (2) takes an exclusive run lock beside the warehouse for the whole run, so a
second `toex run` waits or refuses with a clear message, and (3) gives analysts a
published read-only copy instead of the live file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import mmap
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

log = logging.getLogger("toex.warehouse")

SCHEMAS = ("raw", "ingest", "ops")
# DuckDB's own default is 80% of RAM: 8.8 GiB peak at scale 1000. Beyond this limit DuckDB
# spills to `<warehouse>.tmp`. The dbt profile reads the same variable (dbt/profiles.yml).
MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT = "TOEX_DUCKDB_MEMORY_LIMIT", "1GB"
LOCK_WAIT_ENV, DEFAULT_LOCK_WAIT_SECONDS = "TOEX_WAREHOUSE_WAIT", 30.0


# The analysts' copy is written through DuckDB (compact) instead of copied byte for byte when
# more than this share of the warehouse file holds no live data (docs/OPERATIONS.md). At scale 1
# the file keeps 3-12 % free between runs: at 5 % a byte copy could carry ~1.2 MB of it, which
# with the warehouse's own could take five runs past issue 11's 5 MB (4.0 MB measured at 5 %).
COMPACT_COPY_SLACK = 0.02


def lock_wait_seconds() -> float:
    """How long opening the warehouse waits for another process's DuckDB lock to go."""
    return float(os.environ.get(LOCK_WAIT_ENV) or DEFAULT_LOCK_WAIT_SECONDS)


def memory_limit() -> str:
    return os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT


class WarehouseBusy(RuntimeError):
    pass


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


@contextlib.contextmanager
def connect(
    path: Path, read_only: bool = False, wait_seconds: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, waiting a while (`lock_wait_seconds` unless given) if another process
    holds DuckDB's file lock."""
    path = Path(path)
    if wait_seconds is None:
        wait_seconds = lock_wait_seconds()
    if not read_only:
        _private_dir(path.parent)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"warehouse {path} is in use by another process ({exc}). "
                    "Only one pipeline run may write at a time; analysts should query the "
                    "published read-only copy."
                ) from exc
            time.sleep(0.5)
    try:
        if not read_only and path.exists():
            os.chmod(path, 0o600)
        # SET, not a connect-time config: DuckDB refuses a second in-process connection to the
        # file whose configuration differs from the first's.
        con.execute(f"SET memory_limit = '{memory_limit()}'")
        yield con
    finally:
        con.close()


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")


@contextlib.contextmanager
def run_lock(warehouse: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Exclusive lock for a whole pipeline run against `warehouse` (advisory, flock)."""
    lock_path = Path(str(warehouse) + ".run.lock")
    _private_dir(lock_path.parent)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"another pipeline run holds {lock_path} ({holder}); "
                        "wait for it to finish or pass --wait SECONDS"
                    ) from None
                time.sleep(1.0)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S')}".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def slack(con: duckdb.DuckDBPyConnection, path: Path) -> float:
    """The share of the file at `path` that is free blocks (DuckDB reuses them, never returns
    them), so a byte copy would carry them too."""
    used = con.execute(
        "SELECT used_blocks * block_size FROM pragma_database_size() "
        "WHERE database_name = current_database()"
    ).fetchone()[0]
    size = Path(path).stat().st_size
    return max(0.0, 1 - used / size) if size else 0.0


def copy_database(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """The database `con` is connected to, written into a new file `target` as one consistent
    snapshot (one transaction): only live data, freshly packed, no free blocks."""
    con.execute(f"ATTACH '{target}' AS copy_target")
    try:
        source = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f'COPY FROM DATABASE "{source}" TO copy_target')
    finally:
        con.execute("DETACH copy_target")


# Direct I/O writes whole blocks of this size from a page-aligned buffer (mmap's).
DIRECT_BLOCK = 4096
DIRECT_CHUNK = 8 << 20


def copy_file(source: Path, target: Path) -> None:
    """A byte copy of `source` into a new file `target`, written with direct I/O (`O_DIRECT`):
    the copy goes to the disk without passing through the page cache. A buffered copy of the
    scale-1000 warehouse (1 GB) cost 0.3 CPU s with little unwritten data in the cache but 2.9-5.7
    CPU s (6-13 s of wall) with 1-2 GB of it, as after the pipeline's writes: the kernel throttles
    the writer and makes it reclaim pages; direct I/O 0.14-0.24 CPU s either way (docs/SCALE_LOG.md,
    "big4"). Where the file system refuses direct I/O (EINVAL), a plain copy (`shutil.copyfile`)."""
    direct = getattr(os, "O_DIRECT", 0)
    if direct:
        try:
            _copy_direct(Path(source), Path(target), direct)
            return
        except OSError as exc:
            if exc.errno != errno.EINVAL:
                raise
            Path(target).unlink(missing_ok=True)
    shutil.copyfile(source, target)


def _copy_direct(source: Path, target: Path, direct: int) -> None:
    """Whole blocks from a page-aligned buffer (direct I/O needs both); the last block is
    written whole and the file cut to the source's size."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | direct, 0o600)
    try:
        with mmap.mmap(-1, DIRECT_CHUNK) as buffer, open(source, "rb", buffering=0) as src:
            size = 0
            while True:
                filled = 0
                while filled < DIRECT_CHUNK:  # a full chunk unless the file ends
                    n = src.readinto(memoryview(buffer)[filled:])
                    if not n:
                        break
                    filled += n
                if not filled:
                    break
                size += filled
                whole = -(-filled // DIRECT_BLOCK) * DIRECT_BLOCK
                buffer[filled:whole] = bytes(whole - filled)
                if os.write(fd, memoryview(buffer)[:whole]) != whole:
                    raise OSError(errno.EIO, f"short write copying {source} to {target}")
                if filled < DIRECT_CHUNK:
                    break
        os.ftruncate(fd, size)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)

"""`toex` exit codes and the one-writer rule, through the installed command."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from dagster_project import warehouse as wh

TOEX = str(Path(sys.executable).parent / "toex")


def _toex(*args, env_extra=None, timeout=120):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([TOEX, *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_unknown_quarter_is_a_usage_error(tmp_path):
    p = _toex("run", "--extracts", str(tmp_path), "--quarter", "2025-26-Q7")
    assert p.returncode == 2
    assert "not a financial quarter: '2025-26-Q7'" in p.stderr


def test_missing_extracts_folder_is_a_usage_error(tmp_path):
    p = _toex("run", "--extracts", str(tmp_path / "nope"), "--quarter", "2025-26-Q1")
    assert p.returncode == 2 and "not a folder" in p.stderr


def test_second_run_refuses_while_one_holds_the_warehouse(tmp_path):
    warehouse = tmp_path / "w" / "toex.duckdb"
    with wh.run_lock(warehouse):
        p = _toex(
            "run",
            "--extracts",
            str(tmp_path),
            "--quarter",
            "2025-26-Q1",
            "--warehouse",
            str(warehouse),
            env_extra={"TOEX_HOME": str(tmp_path)},
        )
    assert p.returncode == 1
    assert "another pipeline run holds" in p.stderr and f"pid {os.getpid()}" in p.stderr


def test_run_lock_waits_when_asked(tmp_path):
    warehouse = tmp_path / "toex.duckdb"
    held = threading.Event()

    def hold():
        with wh.run_lock(warehouse):
            held.set()
            time.sleep(1.5)

    t = threading.Thread(target=hold)
    t.start()
    held.wait()
    started = time.monotonic()
    with wh.run_lock(warehouse, wait_seconds=30):
        waited = time.monotonic() - started
    t.join()
    assert waited >= 1.0


def test_duckdb_file_lock_gives_a_clear_message(tmp_path):
    """A second *process* cannot open a warehouse another process writes: say so plainly."""
    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); "
            "print('open', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        import pytest

        with (
            pytest.raises(wh.WarehouseBusy, match="in use by another process"),
            wh.connect(path, wait_seconds=1),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()

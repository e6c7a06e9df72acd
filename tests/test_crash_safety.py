"""Crash safety and overlap, with real processes: a run SIGKILLed in the middle of dbt or of
the export leaves the warehouse usable and the previous publication intact, and the next run
completes; an analyst holding the published copy open keeps reading through a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dagster_project.publish import verify_publication

pytestmark = pytest.mark.slow

TOEX = str(Path(sys.executable).parent / "toex")
SLUG = "2025-26-Q1"


def _start(env, delivery) -> subprocess.Popen:
    # Output to a file, not a pipe: an unread pipe fills up and blocks the run.
    log = Path(env["TOEX_HOME"]) / f"run-{time.monotonic_ns()}.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [TOEX, "run", "--extracts", str(delivery), "--quarter", SLUG],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    proc.log_path = log
    return proc


def _tail(proc) -> str:
    return proc.log_path.read_text()[-3000:]


def _children(pid: int) -> list[str]:
    out = subprocess.run(
        ["ps", "-o", "args=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout
    return out.splitlines()


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the run ended before the crash point: " + _tail(proc)
        assert time.monotonic() < deadline, "crash point never reached"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _publication(root: Path) -> tuple[str, dict]:
    link = root / "exports" / SLUG
    return os.readlink(link), verify_publication(link)


def _assert_warehouse_usable(root: Path) -> None:
    con = duckdb.connect(str(root / "warehouse" / "toex.duckdb"))
    try:
        assert con.execute("SELECT count(*) FROM kpis.kpi_values").fetchone()[0] > 0
        assert con.execute("SELECT count(*) FROM raw.operations").fetchone()[0] > 0
    finally:
        con.close()


def _complete_run(env, delivery) -> None:
    p = subprocess.run(
        [TOEX, "run", "--extracts", str(delivery), "--quarter", SLUG],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert p.returncode == 0, p.stderr[-3000:]


def test_sigkill_during_dbt(published_copy):
    root, env, delivery = published_copy
    before = _publication(root)
    proc = _start(env, delivery)
    _kill_when(proc, lambda: any("dbt" in c and " build" in c for c in _children(proc.pid)))
    time.sleep(0.5)
    assert _publication(root) == before, "the previous publication is untouched"
    _assert_warehouse_usable(root)
    _complete_run(env, delivery)
    assert _publication(root)[0] != before[0]


def test_sigkill_during_export(published_copy):
    root, env, delivery = published_copy
    before = _publication(root)
    versions = root / "exports" / ".versions" / SLUG
    proc = _start(env, delivery)
    _kill_when(proc, lambda: any(p.name.startswith(".staging-") for p in versions.iterdir()))
    assert _publication(root) == before
    _assert_warehouse_usable(root)
    _complete_run(env, delivery)
    link, manifest = _publication(root)
    assert link != before[0] and manifest["quarter"]
    assert not [p for p in versions.iterdir() if p.name.startswith(".staging-")], (
        "stale staging cleaned"
    )


def test_analyst_reads_published_copy_during_a_run(published_copy):
    root, env, delivery = published_copy
    copy = root / "published" / "toex.duckdb"
    analyst = duckdb.connect(str(copy), read_only=True)
    try:
        n = analyst.execute("SELECT count(*) FROM kpis.kpi_values").fetchone()[0]
        proc = _start(env, delivery)
        reads = 0
        while proc.poll() is None:
            assert analyst.execute("SELECT count(*) FROM kpis.kpi_values").fetchone()[0] == n
            reads += 1
            time.sleep(0.5)
        assert proc.returncode == 0, _tail(proc)
        assert reads > 5
        assert analyst.execute(
            "SELECT sum(value) FROM kpis.kpi_values WHERE measure = 'disruptions'"
        ).fetchone()[0]
    finally:
        analyst.close()
    fresh = duckdb.connect(str(copy), read_only=True)
    assert fresh.execute("SELECT count(*) FROM kpis.kpi_values").fetchone()[0] == n, (
        "same delivery, same figures"
    )
    fresh.close()

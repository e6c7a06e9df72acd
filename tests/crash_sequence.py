"""Runs killed at chosen points, then the runs after them, on one private copy of the demo run.

One sequence serves the crash-safety tests (tests/test_crash_safety.py), the killed Parquet copy
(tests/test_security_pipeline.py) and the dead-run test (tests/test_dead_runs.py): each kill needs
a run up to its point, and each needs a next run that completes, so they share those runs
instead of each paying for its own (the `crash_sequence` fixture in tests/conftest.py):

1. a run SIGKILLed while dbt builds (toex and its dbt child, as an OOM kill or `kill -9` would);
2. a complete run, which marks the killed run failed, while an analyst reads the published copy;
3. a run SIGKILLed while the export writes its staging folder;
4. a run SIGKILLed while the analysts' Parquet copy is staged (after the export);
5. a complete run, which cleans up what 3 and 4 left.

The sequence records what it saw; the tests assert. Only a run that never reaches its crash
point, or a fault of the sequence itself, fails it outright (every test on it then errors)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.publish import verify_publication
from dagster_project.run_owner import PID_TAG

TOEX = str(Path(sys.executable).parent / "toex")
SLUG = "2025-26-Q1"


def start(env, delivery) -> subprocess.Popen:
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


def tail(proc) -> str:
    return proc.log_path.read_text()[-3000:]


def _descendants(pid: int) -> list[str]:
    """The command lines of every process under `pid` (dbt is a child, or deeper)."""
    out = subprocess.run(
        ["ps", "-ww", "-eo", "pid=,ppid=,args="], capture_output=True, text=True
    ).stdout.splitlines()
    rows = [line.split(None, 2) for line in out]
    below, found = {pid}, []
    for _ in range(5):  # a few levels are enough
        for row in rows:
            if len(row) == 3 and int(row[1]) in below and int(row[0]) not in below:
                below.add(int(row[0]))
                found.append(row[2])
    return found


def kill_when(proc: subprocess.Popen, ready, timeout: float = 1200) -> None:
    """SIGKILL the run's process group once `ready()`; the whole run may come first: minutes on
    a loaded machine."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the run ended before the crash point: " + tail(proc)
        assert time.monotonic() < deadline, "crash point never reached"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def publication(root: Path) -> tuple[str, dict]:
    link = root / "exports" / SLUG
    return os.readlink(link), verify_publication(link)


def warehouse_counts(root: Path) -> tuple[int, int]:
    """(kpi_values rows, raw operations rows): the warehouse opens read-write and holds both."""
    con = duckdb.connect(str(root / "warehouse" / "toex.duckdb"))
    try:
        return (
            con.execute("SELECT count(*) FROM kpis.kpi_values").fetchone()[0],
            con.execute("SELECT count(*) FROM raw.operations").fetchone()[0],
        )
    finally:
        con.close()


def staging(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".staging-")]


@dataclass
class Kill:
    publication_before: tuple[str, dict]
    publication_after: tuple[str, dict]
    warehouse_counts: tuple[int, int]


@dataclass
class Completed:
    returncode: int
    output: str
    publication_after: tuple[str, dict] | None


@dataclass
class CrashSequence:
    root: Path
    killed_in_dbt: Kill
    dead_run_id: str
    dead_pid: int
    dead_status_after_kill: dg.DagsterRunStatus
    dead_status_after_next_run: dg.DagsterRunStatus | None = None
    dead_failure_message: str = ""
    host: str = field(default_factory=socket.gethostname)
    recovery: Completed | None = None
    analyst_n: int = 0
    analyst_reads: list[int] = field(default_factory=list)
    analyst_disruptions: float | None = None
    analyst_fresh_n: int | None = None
    killed_in_export: Kill | None = None
    export_staging_after_kill: list[str] = field(default_factory=list)
    parquet_link_before: str = ""
    parquet_link_after_kill: str = ""
    parquet_table_after_kill: bool = False
    parquet_staging_after_kill: list[str] = field(default_factory=list)
    final: Completed | None = None
    export_staging_after_final: list[str] = field(default_factory=list)
    parquet_leftovers_after_final: list[str] = field(default_factory=list)
    parquet_table_after_final: bool = False
    parquet_link_after_final: str = ""


def _owned_run(home: Path, pid: int) -> dg.DagsterRun:
    """The run the process was in when killed: its newest (its ingest run, if any, finished)."""
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={PID_TAG: str(pid)}))
        assert runs, f"no run owned by process {pid}"
        return runs[0]  # newest first


def _complete(root: Path, env, delivery) -> Completed:
    proc = start(env, delivery)
    proc.wait(timeout=1200)
    return Completed(
        proc.returncode, tail(proc), publication(root) if proc.returncode == 0 else None
    )


def run_crash_sequence(root: Path, env: dict, delivery: Path) -> CrashSequence:
    # The killed run is older than the next run's success: the default retention
    # (TOEX_KEEP_RUNS=1, docs/OPERATIONS.md) would delete it before the tests read how it ended.
    env = {**env, "TOEX_KEEP_RUNS": "all"}
    home = Path(env["DAGSTER_HOME"])
    published = root / "published"
    exports_versions = root / "exports" / ".versions" / SLUG
    parquet_versions = published / ".parquet.versions"
    parquet_table = published / "parquet" / "kpis" / "kpi_values.parquet"

    # 1. Killed while dbt builds.
    before = publication(root)
    proc = start(env, delivery)
    kill_when(proc, lambda: any("dbt" in c and " build" in c for c in _descendants(proc.pid)))
    time.sleep(0.5)
    dead = _owned_run(home, proc.pid)
    seq = CrashSequence(
        root=root,
        killed_in_dbt=Kill(before, publication(root), warehouse_counts(root)),
        dead_run_id=dead.run_id,
        dead_pid=proc.pid,
        dead_status_after_kill=dead.status,
    )

    # 2. The next run completes while an analyst reads the published copy.
    analyst = duckdb.connect(str(published / "toex.duckdb"), read_only=True)
    try:
        count = "SELECT count(*) FROM kpis.kpi_values"
        seq.analyst_n = analyst.execute(count).fetchone()[0]
        proc = start(env, delivery)
        while proc.poll() is None:
            seq.analyst_reads.append(analyst.execute(count).fetchone()[0])
            time.sleep(0.5)
        seq.analyst_disruptions = analyst.execute(
            "SELECT sum(value) FROM kpis.kpi_values WHERE measure = 'disruptions'"
        ).fetchone()[0]
    finally:
        analyst.close()
    seq.recovery = Completed(
        proc.returncode, tail(proc), publication(root) if proc.returncode == 0 else None
    )
    with duckdb.connect(str(published / "toex.duckdb"), read_only=True) as fresh:
        seq.analyst_fresh_n = fresh.execute(count).fetchone()[0]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        seq.dead_status_after_next_run = instance.get_run_by_id(dead.run_id).status
        failures = instance.all_logs(dead.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        seq.dead_failure_message = failures[0].message if failures else ""
    assert seq.recovery.returncode == 0, "the run after the kill in dbt failed: " + tail(proc)

    # 3. Killed while the export stages the quarter's files.
    before = publication(root)
    proc = start(env, delivery)
    kill_when(proc, lambda: bool(staging(exports_versions)))
    seq.killed_in_export = Kill(before, publication(root), warehouse_counts(root))
    seq.export_staging_after_kill = staging(exports_versions)

    # 4. Killed while the analysts' Parquet copy is staged.
    seq.parquet_link_before = os.readlink(published / "parquet")
    proc = start(env, delivery)
    kill_when(proc, lambda: parquet_versions.is_dir() and bool(staging(parquet_versions)))
    seq.parquet_link_after_kill = os.readlink(published / "parquet")
    seq.parquet_table_after_kill = parquet_table.is_file()
    seq.parquet_staging_after_kill = staging(parquet_versions)

    # 5. The next run completes and cleans up.
    seq.final = _complete(root, env, delivery)
    seq.export_staging_after_final = staging(exports_versions)
    seq.parquet_leftovers_after_final = [
        p.name
        for p in [*parquet_versions.iterdir(), *published.iterdir()]
        if ".staging-" in p.name or p.name.endswith(".tmp")
    ]
    seq.parquet_table_after_final = parquet_table.is_file()
    seq.parquet_link_after_final = os.readlink(published / "parquet")
    return seq

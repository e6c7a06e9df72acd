"""Runs killed at chosen points, then a run after them, on one private copy of the demo run.

One sequence serves the crash-safety tests (tests/test_crash_safety.py), the killed Parquet copy
(tests/test_security_pipeline.py) and the dead-run test (tests/test_dead_runs.py): each kill needs
a run up to its point, and each needs a later run that completes, so they share those runs
instead of each paying for its own (the `crash_sequence` fixture in tests/conftest.py):

1. a run SIGKILLed while dbt builds (toex and its dbt child, as an OOM kill or `kill -9` would);
2. a run SIGKILLed while the export writes its staging folder: the run after the kill in dbt,
   which marks that run failed and must get through ingestion, dbt and the checks to get there;
3. a run SIGKILLed while the analysts' Parquet copy is staged (after the export);
4. a complete run, which marks run 3 failed and cleans up what 2 and 3 left, while an analyst
   reads the published copy.

Every run after a kill starts where the kill left the data folder: no complete run between the
kills (one fewer whole run than a complete run after each kill). The sequence records what it
saw; the tests assert. Only a run that never reaches its crash point, or a fault of the sequence
itself, fails it outright (every test on it then errors)."""

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

from benchmarks.procmon import parent_pids
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


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process, read from /proc: `ps` polled 20 times
    a second cost ~7 ms of CPU a call, seconds a sequence."""
    found = []
    for pid, ppid in parent_pids().items():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # ended meanwhile
            continue
        found.append((pid, ppid, args))
    return found


def _descendants(pid: int) -> list[str]:
    """The command lines of every process under `pid` (dbt is a child, or deeper)."""
    rows = _processes()
    below, found = {pid}, []
    for _ in range(5):  # a few levels are enough
        for child, parent, args in rows:
            if parent in below and child not in below:
                below.add(child)
                found.append(args)
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
    run_id: str  # the run the killed process was in: its newest (its ingest run, if any, finished)
    pid: int
    status_after_kill: dg.DagsterRunStatus
    output: str  # all the killed `toex run` printed


@dataclass
class Completed:
    returncode: int
    output: str
    publication_after: tuple[str, dict] | None


@dataclass
class CrashSequence:
    root: Path
    killed_in_dbt: Kill
    killed_in_export: Kill
    killed_in_parquet_copy: Kill
    final: Completed | None  # set once the last run has ended
    # The run killed in dbt, once the run after it (the one killed in the export) had started.
    dead_status_after_next_run: dg.DagsterRunStatus | None = None
    dead_failure_message: str = ""
    host: str = field(default_factory=socket.gethostname)
    analyst_n: int = 0
    analyst_reads: list[int] = field(default_factory=list)
    analyst_disruptions: float | None = None
    analyst_fresh_n: int | None = None
    export_staging_after_kill: list[str] = field(default_factory=list)
    parquet_link_before: str = ""
    parquet_link_after_kill: str = ""
    parquet_table_after_kill: bool = False
    parquet_staging_after_kill: list[str] = field(default_factory=list)
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


def _killed(root: Path, home: Path, env, delivery, ready) -> Kill:
    """A run from the folder as it stands, SIGKILLed once `ready(its process)`."""
    before = publication(root)
    proc = start(env, delivery)
    kill_when(proc, lambda: ready(proc))
    time.sleep(0.5)
    dead = _owned_run(home, proc.pid)
    return Kill(
        publication_before=before,
        publication_after=publication(root),
        warehouse_counts=warehouse_counts(root),
        run_id=dead.run_id,
        pid=proc.pid,
        status_after_kill=dead.status,
        output=proc.log_path.read_text(),
    )


def run_crash_sequence(root: Path, env: dict, delivery: Path) -> CrashSequence:
    # The killed runs are older than the last run's success: the default retention
    # (TOEX_KEEP_RUNS=1, docs/OPERATIONS.md) would delete them before the tests read how they ended.
    env = {**env, "TOEX_KEEP_RUNS": "all"}
    home = Path(env["DAGSTER_HOME"])
    published = root / "published"
    exports_versions = root / "exports" / ".versions" / SLUG
    parquet_versions = published / ".parquet.versions"
    parquet_table = published / "parquet" / "kpis" / "kpi_values.parquet"

    # 1. Killed while dbt builds.
    in_dbt = _killed(
        root,
        home,
        env,
        delivery,
        lambda proc: any("dbt" in c and " build" in c for c in _descendants(proc.pid)),
    )

    # 2. The next run marks the first failed, gets through dbt and is killed while the export
    # stages the quarter's files.
    in_export = _killed(root, home, env, delivery, lambda _: bool(staging(exports_versions)))
    export_staging_after_kill = staging(exports_versions)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        dead_status = instance.get_run_by_id(in_dbt.run_id).status
        failures = instance.all_logs(in_dbt.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)

    # 3. Killed while the analysts' Parquet copy is staged.
    parquet_link_before = os.readlink(published / "parquet")
    in_parquet = _killed(
        root,
        home,
        env,
        delivery,
        lambda _: parquet_versions.is_dir() and bool(staging(parquet_versions)),
    )
    seq = CrashSequence(
        root=root,
        killed_in_dbt=in_dbt,
        killed_in_export=in_export,
        killed_in_parquet_copy=in_parquet,
        final=None,
        dead_status_after_next_run=dead_status,
        dead_failure_message=failures[0].message if failures else "",
        export_staging_after_kill=export_staging_after_kill,
        parquet_link_before=parquet_link_before,
        parquet_link_after_kill=os.readlink(published / "parquet"),
        parquet_table_after_kill=parquet_table.is_file(),
        parquet_staging_after_kill=staging(parquet_versions),
    )

    # 4. The next run completes, and cleans up, while an analyst reads the published copy.
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
    seq.final = Completed(
        proc.returncode,
        proc.log_path.read_text(),
        publication(root) if proc.returncode == 0 else None,
    )
    with duckdb.connect(str(published / "toex.duckdb"), read_only=True) as fresh:
        seq.analyst_fresh_n = fresh.execute(count).fetchone()[0]
    seq.export_staging_after_final = staging(exports_versions)
    seq.parquet_leftovers_after_final = [
        p.name
        for p in [*parquet_versions.iterdir(), *published.iterdir()]
        if ".staging-" in p.name or p.name.endswith(".tmp")
    ]
    seq.parquet_table_after_final = parquet_table.is_file()
    seq.parquet_link_after_final = os.readlink(published / "parquet")
    return seq

"""Helpers for the dbt tests: a scratch warehouse with the raw layer, and a dbt runner that
never writes to dbt/target (Dagster's manifest lives there)."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import duckdb

from dagster_project.contract import contracts, raw_table_ddl
from dagster_project.dbt_main import IN_WAREHOUSE_DIR_ENV
from dagster_project.dbt_project import QUARTER_ENV
from dagster_project.settings import DBT_PROJECT_DIR

PLATFORM_USAGE_DDL = (
    "CREATE TABLE IF NOT EXISTS ops.platform_usage (reporting_quarter VARCHAR, measure VARCHAR, "
    "period_type VARCHAR, period_start DATE, period_end DATE, value DOUBLE, unit VARCHAR)"
)


# The parse `toex prepare` saved (`make setup` runs it, from scratch), which every pipeline run's
# dbt starts from too.
SAVED_PARSE = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"


def dbt_executable(from_scratch: bool = False) -> str:
    return str(Path(sys.executable).parent / ("dbt" if from_scratch else "toex-dbt"))


def create_raw_layer(warehouse: Path) -> None:
    """The ingestion's interface, empty: schema raw with one table per extract, plus ops."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute("CREATE SCHEMA IF NOT EXISTS ops")
        for contract in contracts().values():
            con.execute(raw_table_ddl(contract))
        con.execute(PLATFORM_USAGE_DDL)
    finally:
        con.close()


def run_dbt(
    args: list[str],
    warehouse: Path,
    scratch: Path,
    timeout: int = 600,
    *,
    from_scratch: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """dbt on `warehouse` with its target and logs in `scratch`; the quarter comes from the
    args' --vars unless `env` sets TOEX_DBT_REPORTING_QUARTER (an ambient one is dropped).

    As the pipeline's dbt step starts it (`toex-dbt` from the warehouse's folder, which must be
    called toex.duckdb to match): from the parse saved in `scratch`'s target, or else from the
    one `toex prepare` saved, so dbt re-parses only what changed since (~4 CPU s less a call;
    a changed `--vars` still re-parses everything), forked from this process's dbt zygote
    (below). `from_scratch`: plain dbt in a process of its own, with the absolute path and no
    saved parse, as a user runs it by hand."""
    full = {k: v for k, v in os.environ.items() if k != QUARTER_ENV}
    full.update(
        {
            "TOEX_WAREHOUSE": str(Path(warehouse).resolve()),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DBT_TARGET_PATH": str(scratch / "target"),
            "DBT_LOG_PATH": str(scratch / "logs"),
            "DBT_PARTIAL_PARSE": "false" if from_scratch else "true",
            **({} if from_scratch else {IN_WAREHOUSE_DIR_ENV: "1"}),
            **(env or {}),
        }
    )
    saved = scratch / "target" / SAVED_PARSE.name
    if not from_scratch and not saved.exists() and SAVED_PARSE.is_file():
        saved.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAVED_PARSE, saved)
    cmd = [
        dbt_executable(from_scratch),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]
    if not from_scratch:
        return _zygote.run(cmd, full, scratch, timeout)
    return subprocess.run(
        cmd, env=full, capture_output=True, text=True, timeout=timeout, cwd=scratch, check=False
    )


# A process that has imported dbt-core, its DuckDB adapter and `toex-dbt`'s module, and forks a
# child per dbt command: the child takes the command's environment, folder and output files and
# runs `toex-dbt`'s own `main()`, so it is the `toex-dbt` process it replaces (the same code from
# the same entry point, with dbt's imports done before the fork rather than after the exec).
# ~1.9 CPU s of imports once per test process instead of once per dbt command (docs/SCALE_LOG.md,
# "loop8"). Refuses to fork once it has a thread (a fork keeps only the calling one).
ZYGOTE = """
import json, os, sys
import dbt.adapters.duckdb.impl, dbt.cli.main  # what every dbt command imports first
from dagster_project import dbt_main

for line in sys.stdin:
    job = json.loads(line)
    if len(os.listdir("/proc/self/task")) > 1:
        print(json.dumps({"refused": "threads"}), flush=True)
        continue
    pid = os.fork()
    if pid == 0:
        os.setsid()  # its own group: a timeout kills what it started too
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        for fd, name in ((1, "stdout"), (2, "stderr")):
            os.dup2(os.open(job[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        sys.argv = job["argv"]
        try:
            dbt_main.main()  # ends the child (process_exit.exit_now)
        finally:
            os._exit(70)  # never back in the loop
    print(json.dumps({"pid": pid}), flush=True)
    print(json.dumps({"status": os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])}), flush=True)
os._exit(0)  # stdin closed: the test process has ended
"""


class _Zygote:
    """This test process's zygote, started at its first dbt command (a fresh `toex-dbt` process
    per command when it cannot fork one)."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        atexit.register(self.stop)

    def run(self, cmd: list[str], env: dict, cwd: Path, timeout: float):
        if self.proc is None or self.proc.poll() is not None:
            self.stop()
            self.proc = subprocess.Popen(
                [sys.executable, "-c", ZYGOTE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env={k: v for k, v in os.environ.items() if k != IN_WAREHOUSE_DIR_ENV},
            )
        out, err = cwd / "toex-dbt.stdout", cwd / "toex-dbt.stderr"
        job = {"argv": cmd, "env": env, "cwd": str(cwd), "stdout": str(out), "stderr": str(err)}
        try:
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
            first = json.loads(self.proc.stdout.readline() or "{}")  # "": the zygote died
        except OSError:
            first = {}
        if "pid" not in first:
            return subprocess.run(
                cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd, check=False
            )
        reply: dict = {}
        reader = threading.Thread(
            target=lambda: reply.update(json.loads(self.proc.stdout.readline()))
        )
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            os.killpg(first["pid"], signal.SIGKILL)
            reader.join()
            raise subprocess.TimeoutExpired(cmd, timeout)
        return subprocess.CompletedProcess(cmd, reply["status"], out.read_text(), err.read_text())

    def stop(self) -> None:
        """Its loop, and so the zygote, ends when its input does."""
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
            self.proc.stdout.close()


_zygote = _Zygote()

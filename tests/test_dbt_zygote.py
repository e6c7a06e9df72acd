"""The dbt zygote's protocol (dagster_project/dbt_zygote.py), without dbt: a zygote whose
"dbt" runs the Python code given as the client's first argument. The client is the real
`toex-dbt` (dbt_main.py), started as dagster-dbt starts it (stdout a pipe, stderr onto it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dagster_project import dbt_project, dbt_zygote

TOEX_DBT = Path(dbt_project.dbt_executable())
# The zygote under test: no dbt import, and its children run `sys.argv[1]` as Python code.
SERVE = (
    "import sys; from dagster_project import dbt_zygote as z; "
    "z.serve(sys.argv[1], {preload}, lambda: exec(sys.argv[1]))"
)


@pytest.fixture
def zygote(tmp_path):
    def start(preload: str = "lambda: None") -> str:
        path = str(tmp_path / "socket")
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVE.format(preload=preload), path], stdin=subprocess.PIPE
        )
        started.append(proc)
        deadline = time.monotonic() + 30
        while not os.path.exists(path):
            assert proc.poll() is None and time.monotonic() < deadline, "zygote did not start"
            time.sleep(0.02)
        return path

    started: list[subprocess.Popen] = []
    yield start
    for proc in started:
        proc.stdin.close()  # as the death of the process that started it (a killed run)
        assert proc.wait(timeout=10) == 0
        assert not os.path.exists(proc.args[-1])  # its socket removed


def client(socket_path: str, code: str, **kwargs) -> subprocess.Popen:
    env = dict(os.environ, **{dbt_zygote.SOCKET_ENV: socket_path}, **kwargs.pop("env", {}))
    return subprocess.Popen(
        [str(TOEX_DBT), code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        **kwargs,
    )


def wait_for_line(proc: subprocess.Popen, prefix: bytes) -> bytes:
    line = proc.stdout.readline()
    assert line.startswith(prefix), line
    return line


def test_the_child_has_the_clients_argv_streams_folder_environment_and_exit_code(zygote, tmp_path):
    path = zygote()
    code = (
        "import os, sys; print('cwd', os.getcwd()); print('env', os.environ['TOEX_X']);"
        "print('argv', len(sys.argv)); print('stdin', sys.stdin.readline().strip());"
        "print('parent', os.getppid()); print('to stderr', file=sys.stderr); sys.exit(3)"
    )
    proc = client(path, code, cwd=tmp_path, env={"TOEX_X": "from the client"})
    out, _ = proc.communicate(b"a line\n", timeout=30)
    text = out.decode()
    assert proc.returncode == 3, text
    assert f"cwd {tmp_path}" in text
    assert "env from the client" in text
    assert "argv 2" in text
    assert "stdin a line" in text
    assert "to stderr" in text  # the client's stderr (here: its stdout, as dagster-dbt sets it)
    assert f"parent {proc.pid}\n" not in text  # forked by the zygote, not run by the client


def test_the_socket_variable_does_not_reach_dbt(zygote):
    path = zygote()
    proc = client(path, f"import os; print(os.environ.get('{dbt_zygote.SOCKET_ENV}'))")
    out, _ = proc.communicate(timeout=30)
    assert out.decode().strip() == "None" and proc.returncode == 0


def test_sigint_to_the_client_reaches_dbt_and_its_code_comes_back(zygote):
    path = zygote()
    code = (
        "import sys, time\n"
        "try:\n    print('ready', flush=True); time.sleep(60)\nexcept KeyboardInterrupt:\n"
        "    print('interrupted', flush=True); sys.exit(2)"
    )
    proc = client(path, code)
    wait_for_line(proc, b"ready")
    proc.send_signal(signal.SIGINT)  # what dagster-dbt does when a run is terminated
    out, _ = proc.communicate(timeout=30)
    assert b"interrupted" in out and proc.returncode == 2


def test_sigterm_ends_dbt_and_the_client_the_same_way(zygote):
    path = zygote()
    proc = client(path, "import os, time; print('ready', os.getpid(), flush=True); time.sleep(60)")
    child = int(wait_for_line(proc, b"ready").split()[1])
    proc.terminate()
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGTERM
    assert _gone(child)


def test_dbt_dies_with_a_killed_client(zygote):
    """A SIGKILLed step (tests/crash_sequence.py) must not leave dbt holding the warehouse."""
    path = zygote()
    proc = client(path, "import os, time; print('ready', os.getpid(), flush=True); time.sleep(60)")
    child = int(wait_for_line(proc, b"ready").split()[1])
    proc.kill()
    proc.wait(timeout=10)
    assert _gone(child)


def test_a_client_without_zygote_runs_dbt_itself(tmp_path):
    assert dbt_zygote.run_in_zygote(["toex-dbt"]) is None  # no socket named
    os.environ[dbt_zygote.SOCKET_ENV] = str(tmp_path / "none")
    try:
        assert dbt_zygote.run_in_zygote(["toex-dbt"]) is None  # a dead one
    finally:
        os.environ.pop(dbt_zygote.SOCKET_ENV, None)


def test_a_zygote_with_a_thread_refuses_to_fork(zygote, monkeypatch):
    path = zygote(
        preload="lambda: __import__('threading').Thread(target=__import__('time').sleep, "
        "args=(60,), daemon=True).start()"
    )
    monkeypatch.setenv(dbt_zygote.SOCKET_ENV, path)
    assert dbt_zygote.run_in_zygote(["toex-dbt", "print('never')"]) is None


def test_switched_off_or_large_no_zygote_starts(monkeypatch, tmp_path):
    monkeypatch.delenv(dbt_zygote.ENABLED_ENV, raising=False)  # off by default
    dbt_zygote.start_for(tmp_path / "toex.duckdb")
    assert not dbt_zygote.alive()
    monkeypatch.setenv(dbt_zygote.ENABLED_ENV, "0")
    dbt_zygote.start_for(tmp_path / "toex.duckdb")
    assert not dbt_zygote.alive()
    monkeypatch.setenv(dbt_zygote.ENABLED_ENV, "1")
    monkeypatch.setattr(dbt_project, "large_delivery", lambda warehouse: True)
    dbt_zygote.start_for(tmp_path / "toex.duckdb")
    assert not dbt_zygote.alive()
    assert dbt_zygote.SOCKET_ENV not in os.environ


def test_the_zygote_ends_with_its_run(monkeypatch, tmp_path):
    """Started as `toex run`'s ingest run ends (its publish run follows in the process), ended
    with the publish run: the process is gone and so is its socket."""
    monkeypatch.setattr(dbt_project, "large_delivery", lambda warehouse: False)
    monkeypatch.setenv(dbt_zygote.ENABLED_ENV, "1")
    dbt_zygote.run_ended(tmp_path / "toex.duckdb", next_run_here=True)
    try:
        assert dbt_zygote.alive()
        process, folder = dbt_zygote._zygote
        assert os.environ[dbt_zygote.SOCKET_ENV].startswith(folder)
    finally:
        dbt_zygote.run_ended(tmp_path / "toex.duckdb", next_run_here=False)
    assert process.poll() is not None and not os.path.exists(folder)
    assert dbt_zygote.SOCKET_ENV not in os.environ


def _gone(pid: int, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False

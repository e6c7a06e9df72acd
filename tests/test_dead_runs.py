"""A run whose process was killed is marked failed, so the one-at-a-time run queue moves on."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun

from dagster_project.cli import INSTANCE_CONFIG
from dagster_project.run_owner import HOST_TAG, PID_TAG, fail_dead_runs, owner_tags


def _gone_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _run(instance, tags: dict[str, str], status=dg.DagsterRunStatus.STARTED) -> str:
    run_id = str(uuid.uuid4())
    instance.add_run(DagsterRun(job_name="toex_quarterly", run_id=run_id, status=status, tags=tags))
    return run_id


def test_only_runs_of_this_host_whose_process_is_gone_are_ended():
    with dg.DagsterInstance.ephemeral() as instance:
        dead = _run(instance, owner_tags(_gone_pid()))
        alive = _run(instance, owner_tags())
        elsewhere = _run(
            instance, {PID_TAG: str(_gone_pid()), HOST_TAG: socket.gethostname() + "-other"}
        )
        untagged = _run(instance, {})
        canceling = _run(instance, owner_tags(_gone_pid()), dg.DagsterRunStatus.CANCELING)
        assert sorted(fail_dead_runs(instance)) == sorted([dead, canceling])
        status = {
            r: instance.get_run_by_id(r).status
            for r in (dead, alive, elsewhere, untagged, canceling)
        }
        assert status == {
            dead: dg.DagsterRunStatus.FAILURE,
            alive: dg.DagsterRunStatus.STARTED,
            elsewhere: dg.DagsterRunStatus.STARTED,
            untagged: dg.DagsterRunStatus.STARTED,
            canceling: dg.DagsterRunStatus.CANCELED,
        }
        failure = instance.all_logs(dead, of_type=dg.DagsterEventType.RUN_FAILURE)[0]
        assert "is gone (killed or crashed)" in failure.message
        assert fail_dead_runs(instance) == []


def test_a_reused_pid_does_not_keep_a_dead_run_alive():
    tags = owner_tags()
    tags["toex/pid_started"] = "1"  # this pid, but a process that started at another time
    with dg.DagsterInstance.ephemeral() as instance:
        run = _run(instance, tags)
        assert fail_dead_runs(instance) == [run]


@pytest.mark.slow
def test_a_killed_toex_run_is_failed_and_the_next_run_succeeds(tmp_path):
    """SIGKILL `toex run` mid-run (after its run has started): the run stays STARTED; the next
    `toex run` marks it failed with the reason and itself succeeds."""
    from dagster_project.generator import generate

    delivery = tmp_path / "delivery"
    generate(delivery, seed=20250630, scale=1)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEX_")}
    env.update(
        {
            "DAGSTER_HOME": str(home),
            "TOEX_DATA_DIR": str(tmp_path / "data"),
            "TOEX_DEMO": "1",
            # The killed run is older than the second run's success: the default retention
            # (docs/OPERATIONS.md) would delete it before this test reads how it was marked.
            "TOEX_KEEP_RUNS": "all",
        }
    )
    toex = [
        str(Path(sys.executable).parent / "toex"),
        "run",
        "--extracts",
        str(delivery),
        "--quarter",
        "2025-26-Q1",
    ]
    first = subprocess.Popen(
        toex, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        run_id = _wait_for_owned_run(home, first)
        time.sleep(2)
        os.killpg(
            first.pid, signal.SIGKILL
        )  # toex and its dbt child, as an OOM kill or `kill -9` would
        first.wait()
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED, (
            "left unfinished by the kill"
        )

    second = subprocess.run(toex, env=env, capture_output=True, text=True, timeout=1200)
    assert second.returncode == 0, second.stderr[-3000:]
    assert (
        f"run {run_id} was left unfinished by a process that is gone: marked failed"
        in second.stderr
    )
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        failure = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[0]
        assert f"its process {first.pid} on {socket.gethostname()} is gone" in failure.message


def _wait_for_owned_run(home: Path, proc: subprocess.Popen, timeout: float = 600) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, (
            f"toex run ended (exit {proc.returncode}) before it could be killed"
        )
        with dg.DagsterInstance.from_config(str(home)) as instance:
            runs = instance.get_runs(filters=dg.RunsFilter(tags={PID_TAG: str(proc.pid)}))
        if runs and runs[0].status == dg.DagsterRunStatus.STARTED:
            return runs[0].run_id
        time.sleep(1)
    raise AssertionError(f"no started run owned by pid {proc.pid} within {timeout}s")

"""A run whose process was killed is marked failed, so the one-at-a-time run queue moves on."""

from __future__ import annotations

import socket
import subprocess
import uuid

import dagster as dg
import pytest
from dagster._core.storage.dagster_run import DagsterRun

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
def test_a_killed_toex_run_is_failed_and_the_next_run_succeeds(crash_sequence):
    """SIGKILL `toex run` mid-run (tests/crash_sequence.py: toex and its dbt child, as an OOM kill
    or `kill -9` would): the run stays STARTED; the next `toex run` marks it failed with the
    reason. Checked twice: the run killed in dbt, marked by the next run (itself killed later in
    the export), and the run killed in the Parquet copy, marked by the last run, which succeeds."""
    s = crash_sequence
    marked = "was left unfinished by a process that is gone: marked failed"
    in_dbt, next_run = s.killed_in_dbt, s.killed_in_export
    assert in_dbt.status_after_kill == dg.DagsterRunStatus.STARTED, "left unfinished by the kill"
    assert f"run {in_dbt.run_id} {marked}" in next_run.output, next_run.output
    assert s.dead_status_after_next_run == dg.DagsterRunStatus.FAILURE
    assert f"its process {in_dbt.pid} on {s.host} is gone" in s.dead_failure_message

    last_killed = s.killed_in_parquet_copy
    assert last_killed.status_after_kill == dg.DagsterRunStatus.STARTED
    assert s.final.returncode == 0, s.final.output
    assert f"run {last_killed.run_id} {marked}" in s.final.output, s.final.output

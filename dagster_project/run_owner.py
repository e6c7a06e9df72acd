"""Runs whose process died are marked failed, so the one-at-a-time run queue moves on.

Every toex run executes in one process (`toex run`'s in-process execution, or the daemon's run
worker with the in-process executor). A SIGKILL, an OOM kill or a power cut leaves that run
STARTED for good, and with `max_concurrent_runs: 1` the queue then launches nothing again: not the
schedule, the sensor, nor the UI. Dagster's run monitoring cannot see this (the default run
launcher has no worker health check), so each run records the process that owns it (pid, host and
the process's start time, which tells a reused pid apart) and `fail_dead_runs` ends the runs of
this host whose owner is gone. It is called when `toex` starts a run and by the
`dead_run_sweeper` sensor in the daemon.
"""

from __future__ import annotations

import os
import socket

import dagster as dg

PID_TAG, HOST_TAG, STARTED_TAG = "toex/pid", "toex/host", "toex/pid_started"
SWEEP_SECONDS = 60


def _process_started(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux); "" where /proc is absent."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22 of proc(5), counted after the command name


def owner_tags(pid: int | None = None) -> dict[str, str]:
    pid = pid or os.getpid()
    return {PID_TAG: str(pid), HOST_TAG: socket.gethostname(), STARTED_TAG: _process_started(pid)}


def owner_alive(tags: dict[str, str]) -> bool:
    pid = int(tags[PID_TAG])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    started = tags.get(STARTED_TAG, "")
    now = _process_started(pid)
    return not (started and now and now != started)


def claim_run(instance: dg.DagsterInstance, run_id: str) -> None:
    """Record this process as the run's owner (called as the run's resources start)."""
    instance.add_run_tags(run_id, owner_tags())


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed (or canceled) every unfinished run of this host whose owning process is gone."""
    host = socket.gethostname()
    unfinished = [
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
        dg.DagsterRunStatus.CANCELING,
    ]
    ended = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=unfinished, tags={HOST_TAG: host})):
        if PID_TAG not in run.tags or owner_alive(run.tags):
            continue
        reason = (
            f"run {run.run_id} ended by toex: its process {run.tags[PID_TAG]} on {host} is gone "
            "(killed or crashed) and never reported an end; its steps did not finish"
        )
        if run.status == dg.DagsterRunStatus.CANCELING:
            instance.report_run_canceled(run, message=reason)
        else:
            instance.report_run_failed(run, message=reason)
        ended.append(run.run_id)
    return ended


def build_dead_run_sweeper() -> dg.SensorDefinition:
    @dg.sensor(
        name="dead_run_sweeper",
        minimum_interval_seconds=SWEEP_SECONDS,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Marks failed the runs whose process was killed, so the run queue (one run "
        "at a time) is not blocked by a run that will never finish.",
    )
    def dead_run_sweeper(context: dg.SensorEvaluationContext):
        ended = fail_dead_runs(context.instance)
        return dg.SkipReason(f"marked failed: {', '.join(ended)}" if ended else "no dead run")

    return dead_run_sweeper

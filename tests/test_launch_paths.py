"""Every way a run starts besides `toex run`, end to end through a real `dagster dev` (webserver,
daemon, code server; run workers started by the daemon's run launcher):

(a) a partition launch through the UI's GraphQL API with no run config, a delivery in the inbox;
(b) the delivery sensor, turned on through the API, starting a run for a new inbox folder;
(c) the quarterly schedule, turned on through the API and ticked by the daemon.

Each launch is an ingest run, which must succeed; the daemon's follow-on sensor must then start
the quarter's publish run, which must succeed and publish. One server for the three (start-up
costs ~30 s); the tests run in file order on one xdist worker. The schedule's timing comes from
TOEX_PUBLICATION_CRON, set here to every minute: the daemon then ticks the real schedule
definition, nothing is called by hand.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster_server import dagster_dev, graphql

from dagster_project.cli import INSTANCE_CONFIG
from dagster_project.definitions import MAIN_JOB, PUBLISH_JOB
from dagster_project.defs.jobs import INGEST_RUN_TAG
from dagster_project.fiscal import Quarter
from dagster_project.partitions import QUARTER_TAG, ensure_quarter_partitions

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("launch_paths")]

QUARTER = Quarter.parse("2025-26-Q1")
LOCATION = {"repositoryLocationName": "toex", "repositoryName": "__repository__"}
RUN_TIMEOUT = 900  # seconds for one whole pipeline run on a loaded 2-core machine
EXPORTS_KEY = dg.AssetKey(["exports", "quarter_exports"])

LAUNCH = """mutation Launch($executionParams: ExecutionParams!) {
  launchPipelineExecution(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on InvalidSubsetError { message }
    ... on PipelineNotFoundError { message }
  }
}"""
RUN_STATUS = (
    """query Run($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status } } }"""
)
RUNS_TAGGED = """query Runs($filter: RunsFilter!) {
  runsOrError(filter: $filter) { __typename ... on Runs { results { runId status } } }
}"""
START_SENSOR = (
    """mutation Start($sel: SensorSelector!) {
  startSensor(sensorSelector: $sel) { __typename ... on Sensor { sensorState { status } } """
    """... on PythonError { message } }
}"""
)
START_SCHEDULE = (
    """mutation Start($sel: ScheduleSelector!) {
  startSchedule(scheduleSelector: $sel) {
    __typename ... on ScheduleStateResult { scheduleState { id status } } """
    """... on PythonError { message }
  }
}"""
)
STOP_SCHEDULE = (
    """mutation Stop($id: String!) {
  stopRunningSchedule(id: $id) { __typename ... on ScheduleStateResult { """
    """scheduleState { status } } }
}"""
)
SCHEDULE_TICK = """query Tick($sel: ScheduleSelector!) {
  scheduleOrError(scheduleSelector: $sel) {
    __typename ... on Schedule { scheduleState { status ticks(limit: 1) { status runIds } } }
  }
}"""
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


class Server:
    def __init__(self, url: str, home: Path, data: Path):
        self.url, self.home, self.data = url, home, data

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.home))

    def failure_report(self, run_id: str) -> str:
        with self.instance() as instance:
            lines = []
            for e in instance.all_logs(run_id):
                if e.dagster_event and e.dagster_event.event_type in (
                    dg.DagsterEventType.STEP_FAILURE,
                    dg.DagsterEventType.RUN_FAILURE,
                ):
                    error = getattr(e.dagster_event.event_specific_data, "error", None)
                    lines.append(
                        f"{e.dagster_event.event_type_value} {e.step_key or ''}: {e.message}"
                        + (f"\n{error.to_string()}" if error else "")
                    )
                elif e.level >= 40:
                    lines.append(f"ERROR {e.step_key or ''}: {e.message}")
        return "\n".join(lines)[-6000:] or "(no failure events)"

    def wait_for(self, run_id: str) -> str:
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            status = graphql(self.url, RUN_STATUS, {"runId": run_id})["runOrError"]["status"]
            if status in FINISHED:
                return status
            time.sleep(3)
        raise AssertionError(
            f"run {run_id} unfinished after {RUN_TIMEOUT}s\n{self.failure_report(run_id)}"
        )

    def wait_for_run_tagged(self, key: str, value: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        tags = [{"key": key, "value": value}]
        while time.monotonic() < deadline:
            runs = graphql(self.url, RUNS_TAGGED, {"filter": {"tags": tags}})["runsOrError"][
                "results"
            ]
            if runs:
                return runs[-1]["runId"]  # the first launched (newest come first)
            time.sleep(3)
        raise AssertionError(f"no run tagged {key}={value} within {timeout}s")

    def assert_published(self, ingest_run_id: str) -> None:
        """The ingest run succeeds, the daemon's follow-on sensor starts the publish run for its
        quarter, and that run publishes."""
        self._assert_succeeded(ingest_run_id)
        run_id = self.wait_for_run_tagged(INGEST_RUN_TAG, ingest_run_id, timeout=300)
        self._assert_succeeded(run_id)
        with self.instance() as instance:
            runs = {r: instance.get_run_by_id(r) for r in (ingest_run_id, run_id)}
            published = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        assert runs[ingest_run_id].job_name == MAIN_JOB and runs[run_id].job_name == PUBLISH_JOB
        for run in runs.values():
            assert run.tags.get("dagster/partition") == QUARTER.label
            assert run.tags.get(QUARTER_TAG) == QUARTER.label
        assert any(e.dagster_event.asset_key == EXPORTS_KEY for e in published), (
            "quarter_exports materialised"
        )
        assert (self.data / "exports" / QUARTER.slug / "kpi_values.csv").is_file()

    def _assert_succeeded(self, run_id: str) -> None:
        status = self.wait_for(run_id)
        assert status == "SUCCESS", f"run {run_id} ended {status}:\n{self.failure_report(run_id)}"


def _settled_copy(source: Path, target: Path) -> Path:
    """A delivery folder as a supplier leaves it: complete, untouched for a minute."""
    shutil.copytree(source, target)
    past = time.time() - 60
    for p in target.iterdir():
        os.utime(p, (past, past))
    return target


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from dagster_project.generator import generate

    root = tmp_path_factory.mktemp("launch_paths")
    home, data = root / "dagster_home", root / "data"
    home.mkdir()
    (home / "dagster.yaml").write_text(INSTANCE_CONFIG)
    generate(root / "demo_delivery", seed=20250630, scale=1)
    with dg.DagsterInstance.from_config(
        str(home)
    ) as instance:  # as `toex prepare` does before `make dev`
        ensure_quarter_partitions(instance, QUARTER)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEX_")}
    env.update(
        {
            "DAGSTER_HOME": str(home),
            "TOEX_DATA_DIR": str(data),
            "TOEX_DEMO": "1",
            "TOEX_REPORTING_QUARTER": QUARTER.slug,
            "TOEX_PUBLICATION_CRON": "* * * * *",
        }
    )
    with dagster_dev(env, root / "dagster_dev.log") as url:
        s = Server(url, home, data)
        s.demo_delivery = root / "demo_delivery"
        yield s


def test_a_partition_launched_from_the_ui_with_no_config_publishes(server):
    _settled_copy(server.demo_delivery, server.data / "inbox" / "2025-07-08")
    params = {
        "selector": {**LOCATION, "pipelineName": MAIN_JOB},
        "runConfigData": {},
        "mode": "default",
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": QUARTER.label}]},
    }
    answer = graphql(server.url, LAUNCH, {"executionParams": params})["launchPipelineExecution"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    server.assert_published(answer["run"]["runId"])


def test_b_the_delivery_sensor_starts_a_run_for_a_new_inbox_folder(server):
    answer = graphql(
        server.url, START_SENSOR, {"sel": {**LOCATION, "sensorName": "delivery_sensor"}}
    )["startSensor"]
    assert answer["__typename"] == "Sensor" and answer["sensorState"]["status"] == "RUNNING", answer
    _settled_copy(server.demo_delivery, server.data / "inbox" / "2025-07-15-redelivery")
    run_id = server.wait_for_run_tagged(
        "toex/delivery_folder", "2025-07-15-redelivery", timeout=300
    )
    server.assert_published(run_id)


def test_c_the_daemon_ticks_the_quarterly_schedule_and_its_run_publishes(server):
    # Its own delivery: the test must not depend on a and b having run on this server (xdist
    # may start the module's server on another worker).
    _settled_copy(server.demo_delivery, server.data / "inbox" / "2025-07-22-scheduled")
    sel = {**LOCATION, "scheduleName": "quarterly_publication"}
    answer = graphql(server.url, START_SCHEDULE, {"sel": sel})
    assert answer["startSchedule"]["__typename"] == "ScheduleStateResult", answer
    run_id = server.wait_for_run_tagged(
        "dagster/schedule_name", "quarterly_publication", timeout=300
    )
    _stop_after_tick(server, sel, answer["startSchedule"]["scheduleState"]["id"], run_id)
    server.assert_published(run_id)


def _stop_after_tick(
    server: Server, sel: dict, state_id: str, run_id: str, timeout: float = 120
) -> None:
    """A schedule's run key is unique per tick only: left on, it would queue a run every minute.
    Stop it once the tick that launched `run_id` is written (stopping earlier, the daemon's write
    of that tick puts the schedule back to running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = graphql(server.url, SCHEDULE_TICK, {"sel": sel})["scheduleOrError"]["scheduleState"]
        if (
            state["ticks"]
            and state["ticks"][0]["status"] == "SUCCESS"
            and run_id in state["ticks"][0]["runIds"]
        ):
            break
        time.sleep(2)
    stopped = graphql(server.url, STOP_SCHEDULE, {"id": state_id})["stopRunningSchedule"]
    assert stopped.get("scheduleState", {}).get("status") == "STOPPED", stopped

"""Every way a run starts besides `toex run`, end to end through a real `dagster dev` (webserver,
daemon, code server; run workers started by the daemon's run launcher):

(a) a partition launch through the UI's GraphQL API with no run config, a delivery in the inbox;
(b) the delivery sensor, turned on through the API, starting a run for a new inbox folder;
(c) the quarterly schedule, turned on through the API and ticked by the daemon.

Each launch is an ingest run, which must succeed; the daemon's follow-on sensor must then start
the quarter's publish run, which must succeed and publish. One server for the three and the
two browser tests (`dev_server`, tests/dagster_server.py: a start-up costs ~30 s);
they run in file order on one xdist worker. The schedule's timing comes from
TOEX_PUBLICATION_CRON, set here to every minute: the daemon then ticks the real schedule
definition, nothing is called by hand.
"""

from __future__ import annotations

import time

import pytest
from dagster_server import LOCATION, QUARTER, graphql, settled_copy

from dagster_project.definitions import MAIN_JOB

pytestmark = [pytest.mark.slow, pytest.mark.runs(1)]


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
START_SENSOR = (
    """mutation Start($sel: SensorSelector!) {
  startSensor(sensorSelector: $sel) { __typename ... on Sensor { sensorState { id status } } """
    """... on PythonError { message } }
}"""
)
STOP_SENSOR = (
    """mutation Stop($id: String!) {
  stopSensor(id: $id) { __typename ... on StopSensorMutationResult { """
    """instigationState { status } } ... on PythonError { message } }
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


def test_a_partition_launched_from_the_ui_with_no_config_publishes(dev_server):
    settled_copy(dev_server.demo_delivery, dev_server.data / "inbox" / "2025-07-08")
    params = {
        "selector": {**LOCATION, "pipelineName": MAIN_JOB},
        "runConfigData": {},
        "mode": "default",
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": QUARTER.label}]},
    }
    answer = graphql(dev_server.url, LAUNCH, {"executionParams": params})["launchPipelineExecution"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    dev_server.assert_published(answer["run"]["runId"])


def test_b_the_delivery_sensor_starts_a_run_for_a_new_inbox_folder(dev_server):
    answer = graphql(
        dev_server.url, START_SENSOR, {"sel": {**LOCATION, "sensorName": "delivery_sensor"}}
    )["startSensor"]
    assert answer["__typename"] == "Sensor" and answer["sensorState"]["status"] == "RUNNING", answer
    try:
        settled_copy(dev_server.demo_delivery, dev_server.data / "inbox" / "2025-07-15-redelivery")
        run_id = dev_server.wait_for_run_tagged(
            "toex/delivery_folder", "2025-07-15-redelivery", timeout=300
        )
    finally:
        # Left on, it would also start a run for test c's inbox folder beside the schedule's
        # (a whole ingest and publish more, and c no longer on its own).
        stopped = graphql(dev_server.url, STOP_SENSOR, {"id": answer["sensorState"]["id"]})
    assert stopped["stopSensor"].get("instigationState", {}).get("status") == "STOPPED", stopped
    dev_server.assert_published(run_id)


def test_c_the_daemon_ticks_the_quarterly_schedule_and_its_run_publishes(dev_server):
    # Its own delivery: the test must not depend on a and b having run on this server.
    settled_copy(dev_server.demo_delivery, dev_server.data / "inbox" / "2025-07-22-scheduled")
    sel = {**LOCATION, "scheduleName": "quarterly_publication"}
    answer = graphql(dev_server.url, START_SCHEDULE, {"sel": sel})
    assert answer["startSchedule"]["__typename"] == "ScheduleStateResult", answer
    run_id = dev_server.wait_for_run_tagged(
        "dagster/schedule_name", "quarterly_publication", timeout=300
    )
    _stop_after_tick(dev_server, sel, answer["startSchedule"]["scheduleState"]["id"], run_id)
    dev_server.assert_published(run_id)


def _stop_after_tick(server, sel: dict, state_id: str, run_id: str, timeout: float = 120) -> None:
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

"""Every way a run starts besides `toex run`, end to end through a real `dagster dev` (webserver,
daemon, code server; run workers started by the daemon's run launcher):

(a) a partition launch through the UI's GraphQL API with no run config, a delivery in the inbox;
(b) the delivery sensor, turned on through the API, starting a run for a new inbox folder;
(c) the quarterly schedule, turned on through the API and ticked by the daemon.

Each launch is an ingest run, which must succeed; the daemon's follow-on sensor must then start
the quarter's publish run, which must succeed and publish. One server for the three and the
two browser tests (`dev_server`, tests/dagster_server.py: a start-up costs ~30 s). The schedule's
timing comes from TOEX_PUBLICATION_CRON, set here to every minute: the daemon then ticks the real
schedule definition, nothing is called by hand.

The three launches are one sequence (`launches`, below), each test asserting on its own runs: the
schedule is turned on as (a) is launched, so its tick (at the next minute: 0-60 s) comes while
(a) and (b) run, not after them with the worker idle; the instance's one-run-at-a-time queue runs
the six runs one after another in whatever order they were launched. The inbox folders are laid
out so that what each run ingests does not depend on that order (`launches`' docstring).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from dagster_server import LOCATION, QUARTER, graphql, settled_copy

from dagster_project.definitions import MAIN_JOB
from dagster_project.ingest import rejections

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


UI_FOLDER, SENSOR_FOLDER = "2025-07-08", "2025-07-15-redelivery"
SCHEDULE = "quarterly_publication"


@dataclass
class Launches:
    ui_run: str  # (a)'s ingest run
    sensor_run: str  # (b)'s
    schedule_run: str  # (c)'s


# By server URL: the sequence runs once per server; if it failed, its error is the answer for the
# later tests too (their folders are already in that server's inbox).
_launched: dict[str, Launches | BaseException] = {}


@pytest.fixture
def launches(dev_server) -> Launches:
    """The three launches on `dev_server`, once (its tests run one after another on one worker):

    1. (a)'s folder goes into the inbox and (a) is launched with no config: it lands the newest
       settled folder, that one;
    2. the schedule is turned on: its first tick, at the next minute, queues (c)'s run behind
       whatever is queued then;
    3. once (a)'s run has ended (its folder landed: turned on earlier, the delivery sensor would
       start a run for that folder too), the delivery sensor is turned on and (b)'s folder appears
       in the inbox, settled but with an older stamp than (a)'s; once the sensor has started its
       run, it is turned off (left on, it would start runs for later folders);
    4. meanwhile a thread turns the schedule off as soon as its first tick is written.

    (c)'s run ingests the newest folder, (a)'s, whether it runs before or after (b)'s (which
    names its folder in its config); every publish run publishes the same data, in whatever
    order the queue runs them. Only (a)'s ingest run is awaited here; each test awaits its own."""
    if dev_server.url not in _launched:
        try:
            _launched[dev_server.url] = _launch_all(dev_server)
        except BaseException as exc:
            _launched[dev_server.url] = exc
            raise
    found = _launched[dev_server.url]
    if isinstance(found, BaseException):
        raise RuntimeError("the launch sequence failed in an earlier test") from found
    return found


def _launch_all(dev_server) -> Launches:
    inbox = dev_server.data / "inbox"
    settled_copy(dev_server.demo_delivery, inbox / UI_FOLDER)
    params = {
        "selector": {**LOCATION, "pipelineName": MAIN_JOB},
        "runConfigData": {},
        "mode": "default",
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": QUARTER.label}]},
    }
    answer = graphql(dev_server.url, LAUNCH, {"executionParams": params})["launchPipelineExecution"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    ui_run = answer["run"]["runId"]

    sel = {**LOCATION, "scheduleName": SCHEDULE}
    schedule = graphql(dev_server.url, START_SCHEDULE, {"sel": sel})["startSchedule"]
    assert schedule["__typename"] == "ScheduleStateResult", schedule
    with ThreadPoolExecutor(1) as pool:  # turned off at its first tick, whatever else is going on
        first_tick = pool.submit(
            _run_of_first_tick, dev_server, sel, schedule["scheduleState"]["id"]
        )
        dev_server.wait_for(ui_run)
        sensor_run = _sensor_run(dev_server, inbox)
        schedule_run = first_tick.result()
    return Launches(ui_run, sensor_run, schedule_run)


def _sensor_run(server, inbox) -> str:
    sel = {**LOCATION, "sensorName": "delivery_sensor"}
    answer = graphql(server.url, START_SENSOR, {"sel": sel})["startSensor"]
    assert answer["__typename"] == "Sensor" and answer["sensorState"]["status"] == "RUNNING", answer
    try:
        # Older than (a)'s folder: a launch with no config (the schedule's) still takes (a)'s.
        older = rejections.folder_stamp(inbox / UI_FOLDER) - 60
        settled_copy(server.demo_delivery, inbox / SENSOR_FOLDER, stamp=older)
        return server.wait_for_run_tagged("toex/delivery_folder", SENSOR_FOLDER, timeout=300)
    finally:
        stopped = graphql(server.url, STOP_SENSOR, {"id": answer["sensorState"]["id"]})
        assert stopped["stopSensor"].get("instigationState", {}).get("status") == "STOPPED", stopped


def test_a_partition_launched_from_the_ui_with_no_config_publishes(launches, dev_server):
    dev_server.assert_published(launches.ui_run)
    assert dev_server.landed_folder(launches.ui_run) == UI_FOLDER  # the newest settled folder


def test_b_the_delivery_sensor_starts_a_run_for_a_new_inbox_folder(launches, dev_server):
    dev_server.assert_published(launches.sensor_run)
    assert dev_server.landed_folder(launches.sensor_run) == SENSOR_FOLDER


def test_c_the_daemon_ticks_the_quarterly_schedule_and_its_run_publishes(launches, dev_server):
    dev_server.assert_published(launches.schedule_run)
    with dev_server.instance() as instance:
        tags = instance.get_run_by_id(launches.schedule_run).tags
    assert tags.get("dagster/schedule_name") == SCHEDULE, tags
    # A launch with no config: the newest settled, not rejected inbox folder.
    assert dev_server.landed_folder(launches.schedule_run) == UI_FOLDER


def _run_of_first_tick(server, sel: dict, state_id: str, timeout: float = 300) -> str:
    """The run the schedule's first tick launched. The schedule is turned off as soon as that
    tick is written (its run key is unique per tick only: left on, it would queue a run every
    minute; turned off before the tick is written, the daemon's write of the tick would turn it
    back on), or after `timeout` without one."""
    deadline = time.monotonic() + timeout
    run_ids: list[str] = []
    try:
        while not run_ids and time.monotonic() < deadline:
            time.sleep(2)
            state = graphql(server.url, SCHEDULE_TICK, {"sel": sel})["scheduleOrError"]
            tick = (state["scheduleState"]["ticks"] or [{}])[0]
            if tick.get("status") == "SUCCESS":
                run_ids = tick["runIds"]
    finally:
        stopped = graphql(server.url, STOP_SCHEDULE, {"id": state_id})["stopRunningSchedule"]
    assert stopped.get("scheduleState", {}).get("status") == "STOPPED", stopped
    assert len(run_ids) == 1, f"the schedule's first tick within {timeout}s launched {run_ids}"
    return run_ids[0]

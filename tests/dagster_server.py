"""A real `dagster dev` (webserver, daemon, code server) for tests: 127.0.0.1, a free port, its own
process group, always stopped. Shared by the browser tests and the launch-path tests; `dev_server`
is the one they share (registered in tests/conftest.py)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_project.fiscal import Quarter

PROJECT_ROOT = Path(__file__).resolve().parents[1]
QUARTER = Quarter.parse("2025-26-Q1")
LOCATION = {"repositoryLocationName": "toex", "repositoryName": "__repository__"}
RUN_TIMEOUT = 900  # seconds for one whole pipeline run on a loaded 2-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _default_signals() -> None:
    """A backgrounded parent leaves SIGINT ignored, and `dagster dev` would then ignore our stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def dagster_dev(env: dict[str, str], log_path: Path, start_timeout: float = 180) -> Iterator[str]:
    """Start `dagster dev` on the project's workspace.yaml with `env`; yield its URL."""
    port = free_port()
    dagster = str(Path(sys.executable).parent / "dagster")
    # Handed to the `dagster dev` child as its stdout for the server's life; closed in `finally`.
    log = open(log_path, "w")  # noqa: SIM115
    # Its own session: `dagster dev` ignores SIGTERM when backgrounded; we stop the whole group.
    proc = subprocess.Popen(
        [dagster, "dev", "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_default_signals,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                urllib.request.urlopen(url + "/server_info", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "dagster dev did not start: " + log_path.read_text()[-3000:]
                    ) from None
                time.sleep(1)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with contextlib.suppress(ProcessLookupError):  # children that outlived the parent
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def graphql(url: str, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
    """One GraphQL request as the UI sends it; raises on transport or GraphQL errors."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        url + "/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise RuntimeError(f"GraphQL errors: {answer['errors']}")
    return answer["data"]


RUN_STATUS = (
    """query Run($runId: ID!) { runOrError(runId: $runId) { __typename ... on Run { status } } }"""
)
RUNS_TAGGED = """query Runs($filter: RunsFilter!) {
  runsOrError(filter: $filter) { __typename ... on Runs { results { runId status } } }
}"""
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


class DevServer:
    """The running `dagster dev`: its URL, Dagster home and data folder."""

    def __init__(self, url: str, home: Path, data: Path):
        self.url, self.home, self.data = url, home, data

    def instance(self):
        import dagster as dg

        return dg.DagsterInstance.from_config(str(self.home))

    def failure_report(self, run_id: str) -> str:
        import dagster as dg

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
        import dagster as dg

        from dagster_project.definitions import MAIN_JOB, PUBLISH_JOB
        from dagster_project.defs.jobs import INGEST_RUN_TAG
        from dagster_project.partitions import QUARTER_TAG

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
        exports_key = dg.AssetKey(["exports", "quarter_exports"])
        assert any(e.dagster_event.asset_key == exports_key for e in published), (
            "quarter_exports materialised"
        )
        assert (self.data / "exports" / QUARTER.slug / "kpi_values.csv").is_file()

    def landed_folder(self, ingest_run_id: str) -> str:
        """The inbox folder the ingest run landed (its delivery asset's `source_dir`)."""
        import dagster as dg

        from dagster_project.defs.ingest import DELIVERY_KEY

        with self.instance() as instance:
            landed = [
                e.dagster_event.event_specific_data.materialization.metadata["source_dir"].value
                for e in instance.all_logs(
                    ingest_run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
                )
                if e.dagster_event.asset_key == DELIVERY_KEY
            ]
        assert len(landed) == 1, f"run {ingest_run_id} landed {landed}"
        return Path(landed[0]).name

    def _assert_succeeded(self, run_id: str) -> None:
        status = self.wait_for(run_id)
        assert status == "SUCCESS", f"run {run_id} ended {status}:\n{self.failure_report(run_id)}"


def settled_copy(source: Path, target: Path, stamp: float | None = None) -> Path:
    """A delivery folder as a supplier leaves it: complete, untouched for a minute (or since
    `stamp`, epoch seconds)."""
    shutil.copytree(source, target)
    past = time.time() - 60 if stamp is None else stamp
    for p in target.iterdir():
        os.utime(p, (past, past))
    return target


# The running shared server: (its context, the server), while one runs.
_shared: list[tuple[contextlib.ExitStack, DevServer]] = []


@pytest.fixture
def dev_server(tmp_path_factory):
    """One `dagster dev` with its own instance and data folder, the quarterly schedule set to
    every minute, for the launch-path tests and the two browser tests (its tests
    share an xdist group, tests/conftest.py, and run one after the other: it starts once).
    Started by the first of them; `stop_shared_server` stops it after the last (an idle
    `dagster dev` still spends CPU on its daemon's loops, minutes of the rest of the session),
    and a later test that needs it gets a new one."""
    if not _shared:
        stack = contextlib.ExitStack()
        try:
            _shared.append((stack, _start_shared(tmp_path_factory, stack)))
        except BaseException:
            stack.close()
            raise
    return _shared[0][1]


def stop_shared_server() -> None:
    while _shared:
        stack, _ = _shared.pop()
        stack.close()


def _start_shared(tmp_path_factory, stack: contextlib.ExitStack) -> DevServer:
    import dagster as dg

    from dagster_project.cli import INSTANCE_CONFIG
    from dagster_project.generator import generate
    from dagster_project.partitions import ensure_quarter_partitions

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
            # The launch-path tests read their runs after later ones ended: the daemon's retention
            # (TOEX_KEEP_RUNS=1 by default, every 10 min) must not delete them meanwhile.
            "TOEX_KEEP_RUNS": "all",
        }
    )
    url = stack.enter_context(dagster_dev(env, root / "dagster_dev.log"))
    s = DevServer(url, home, data)
    s.demo_delivery = root / "demo_delivery"
    return s

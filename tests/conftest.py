"""Shared fixtures: a scratch warehouse, and a way to write and ingest small deliveries."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import cpu_usage
import duckdb
import pytest
import xdist_groups
from dagster_server import dev_server, stop_shared_server  # noqa: F401  (dev_server: a fixture)
from in_process_runs import quality_in_this_process
from sample_data import TEST_KEY
from session_once import once_per_session

from dagster_project import instance_sync
from dagster_project.contract import contracts
from dagster_project.ingest.delivery import land
from dagster_project.ingest.load import (
    IngestResult,
    ensure_raw_table,
    ingest_file,
    register_delivery,
)


@dataclass
class Ingested:
    result: IngestResult
    con: duckdb.DuckDBPyConnection

    def raw(self, extract: str) -> list[tuple]:
        return self.con.execute(
            f'SELECT * EXCLUDE (_delivery_id) FROM raw."{extract}" ORDER BY _row_number'
        ).fetchall()

    def quarantine(self) -> list[tuple[int, str]]:
        return self.con.execute(
            "SELECT row_number, reason FROM ingest.quarantine "
            "WHERE load_id = ? ORDER BY row_number",
            [f"{self.result.delivery_id}/{self.result.extract}"],
        ).fetchall()


class DeliveryFactory:
    """Writes files into a fresh delivery folder, lands it and ingests chosen extracts."""

    def __init__(self, root: Path):
        self.root = root
        self.con = duckdb.connect(str(root / "warehouse.duckdb"))
        self.n = 0

    def folder(self, files: dict[str, bytes | str]) -> Path:
        self.n += 1
        d = self.root / f"delivery{self.n}"
        d.mkdir()
        for name, body in files.items():
            (d / name).write_bytes(body.encode() if isinstance(body, str) else body)
        return d

    def ingest(
        self, files: dict[str, bytes | str], extract: str | None = None, key: bytes = TEST_KEY
    ) -> Ingested:
        delivery = land(self.folder(files), self.root / "landing")
        register_delivery(self.con, delivery)
        result = None
        for name in contracts():  # dependency order: referenced extracts first
            if name in delivery.files:
                ensure_raw_table(self.con, contracts()[name])
                r = ingest_file(
                    self.con, contracts()[name], delivery.files[name], delivery.delivery_id, key
                )
                if name == (extract or name):
                    result = r
        return Ingested(result, self.con)


@pytest.fixture
def deliveries(tmp_path) -> DeliveryFactory:
    f = DeliveryFactory(tmp_path)
    yield f
    f.con.close()


@pytest.fixture(autouse=True)
def _no_ambient_key(monkeypatch):
    """Tests decide about keys and demo mode themselves."""
    monkeypatch.delenv("TOEX_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("TOEX_DEMO", raising=False)
    yield


_TEST_DAGSTER_HOME: str | None = None


def pytest_configure(config):
    """Dagster instances of the tests live in a temporary folder, never in the checkout's data/."""
    global _TEST_DAGSTER_HOME
    config.addinivalue_line(
        "markers",
        "runs(n): about n whole pipeline runs' time (a `dagster dev` start-up, a run stopped at a "
        "gate or a `dbt build` count as fractions); `make test` starts the costliest first",
    )
    # Scratch instances: no disk syncs for their SQLite files (dagster_project/instance_sync.py),
    # ~8 s of each `toex run`'s event writes; `toex` subprocesses inherit the variable.
    os.environ.setdefault("TOEX_DAGSTER_SQLITE_SYNC", "off")
    instance_sync.apply_from_env()  # and the instances the tests open in this process
    xdist_groups.choose_file(config)
    cpu_usage.register(config)  # TOEX_TEST_CPU_LOG: CPU per test phase, off by default
    if "DAGSTER_HOME" not in os.environ:
        _TEST_DAGSTER_HOME = tempfile.mkdtemp(prefix="toex-dagster-home-")
        os.environ["DAGSTER_HOME"] = _TEST_DAGSTER_HOME


def pytest_unconfigure(config):
    xdist_groups.remove_file(config)
    if _TEST_DAGSTER_HOME:
        shutil.rmtree(_TEST_DAGSTER_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, worker_id):
    """The whole pipeline, once per `make test` (its xdist workers share it), on the calibrated
    demo delivery (2025-26 Q1). So the tests on the demo run need not share one worker; its data
    folder is read by several processes, and tests that change it work on `published_copy`."""
    return DemoRun(*once_per_session(tmp_path_factory, worker_id, "demo_run", _run_demo))


def _run_demo(root: Path) -> tuple:
    import dagster as dg

    from dagster_project.fiscal import Quarter
    from dagster_project.generator import generate
    from dagster_project.pipeline import execute
    from dagster_project.settings import Settings

    delivery = root / "delivery"
    generate(delivery, seed=20250630, scale=1)
    settings = Settings.from_env(
        warehouse=root / "warehouse" / "toex.duckdb",
        landing=root / "landing",
        exports=root / "exports",
        inbox=root / "inbox",
        data_dir=root,
    )
    mp = pytest.MonkeyPatch()
    mp.setenv("TOEX_DEMO", "1")
    mp.delenv("TOEX_PSEUDONYM_KEY", raising=False)
    quality_in_this_process(mp)
    logs = _LogCapture()
    logging.getLogger().addHandler(logs)
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            outcome = execute(Quarter.parse("2025-26-Q1"), settings, delivery, instance=instance)
            entries = [e for run_id in outcome.run_ids for e in instance.all_logs(run_id)]
            event_log = [e.message or "" for e in entries]
            event_log += [
                str(e.dagster_event.event_specific_data)
                for e in entries
                if e.dagster_event is not None
            ]
            events = [
                (
                    e.timestamp,
                    e.step_key,
                    e.dagster_event.event_type_value if e.dagster_event else None,
                    e.user_message,
                )
                for e in entries
            ]
    finally:
        logging.getLogger().removeHandler(logs)
        mp.undo()
    return settings, outcome, delivery, logs.lines + event_log, events


class _LogCapture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@dataclass
class DemoRun:
    settings: object
    outcome: object
    delivery: Path
    log_lines: list[str]
    events: list[tuple] = field(default_factory=list)  # (timestamp, step key, event type, message)

    def __iter__(self):  # settings, outcome, delivery = demo_run
        return iter((self.settings, self.outcome, self.delivery))


@pytest.fixture(scope="session")
def demo_warehouse(demo_run):
    settings, outcome, _ = demo_run
    assert outcome.step_failures == [], outcome.step_failures
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    yield con
    con.close()


@pytest.fixture
def published_copy(demo_run, tmp_path):
    """A private copy of the demo run's data folder (warehouse, landing, exports, published)."""
    return _private_copy(demo_run, tmp_path)


@pytest.fixture(scope="session")
def private_copy(demo_run):
    """`private_copy(folder)`: a copy as `published_copy`'s, in `folder`, for a fixture that
    outlives one test (its runs shared by several)."""
    return lambda folder: _private_copy(demo_run, folder)


def _private_copy(demo_run, folder: Path) -> tuple[Path, dict, Path]:
    settings, _, delivery = demo_run
    root = folder / "data"
    shutil.copytree(
        settings.data_dir,
        root,
        symlinks=True,
        ignore=shutil.ignore_patterns("delivery", "dagster_home*", "*.pickle"),
    )
    env = {
        **os.environ,
        "TOEX_DEMO": "1",
        "TOEX_DATA_DIR": str(root),
        "TOEX_HOME": str(folder),
        "TOEX_WAREHOUSE": str(root / "warehouse" / "toex.duckdb"),
        "TOEX_LANDING": str(root / "landing"),
        "TOEX_EXPORTS": str(root / "exports"),
        "TOEX_INBOX": str(root / "inbox"),
        "DAGSTER_HOME": str(folder / "dagster_home"),
    }
    return root, env, delivery


@pytest.fixture(scope="session")
def crash_sequence(demo_run, tmp_path_factory):
    """Runs killed at chosen points and the runs after them, on a private copy of the demo run
    (tests/crash_sequence.py); its tests share one xdist group, so it runs once."""
    from crash_sequence import run_crash_sequence

    return run_crash_sequence(*_private_copy(demo_run, tmp_path_factory.mktemp("crash")))


@pytest.fixture(scope="session")
def repeated_runs(tmp_path_factory):
    """Five `toex run`s of the demo delivery from an empty data folder, with the defaults
    (tests/repeated_runs.py): the disk, console-output and reproducibility tests assert on them
    and share one xdist group, so they run once."""
    from repeated_runs import run_repeatedly

    return run_repeatedly(tmp_path_factory.mktemp("repeated"))


DEMO_RUN_FIXTURES = {"demo_run", "demo_warehouse", "published_copy"}
# Session (or module) fixtures whose runs several tests assert on: their tests share a worker, so
# they run once.
# The value: what the fixture costs, in whole pipeline runs (the `runs` mark's unit, below).
# `dbt_demo` (tests/dbt): ingest and `dbt build` without Dagster, read by quick tests.
# The crash sequence: three runs killed part-way (dbt, export, Parquet copy), one complete.
# `built` (tests/dbt/test_dbt_project.py): `dbt build` on an empty raw layer, module-scoped: on
# two workers it was built twice (xdist hands out a module's tests one by one).
SHARED_RUN_FIXTURES = {
    "crash_sequence": 3.3,
    "repeated_runs": 5,
    "dev_server": 0.5,
    "dbt_demo": 0.7,
    "built": 0.4,
    "raw_violations": 0.4,  # tests/test_quality_pipeline.py: one run stopped at the raw gate
    "rejected_files": 0.3,  # tests/test_bad_deliveries.py: one `toex run` refused at ingestion
}


def _cost(item) -> float:
    """The test's own `runs` mark: about how many whole pipeline runs' time it takes (a
    `dagster dev` start-up, a run stopped at a gate or a `dbt build` count as fractions)."""
    mark = item.get_closest_marker("runs")
    return float(mark.args[0]) if mark else 0.0


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    """Tests on the demo run run the whole pipeline, so they are slow whatever their module says
    (`make test-fast` skips them).

    Order, for `make test`'s two workers (`--dist loadgroup --no-loadscope-reorder` hands out
    tests, or whole xdist groups, in this order as workers free up): the Spark parity test first
    when selected (a bare `pytest -n 2`; `make test` leaves it to `make test-spark`), then the
    other units of work (a test, or an xdist group) longest first, by their `runs` marks and the
    shared runs they use (the greedy longest-first rule, which leaves the two workers ending
    close together); then the tests that only read the demo run; then the fast ones.
    tests/xdist_groups.py keeps a worker busy with a long test from holding the next long unit
    meanwhile."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if DEMO_RUN_FIXTURES & fixtures:
            item.add_marker(pytest.mark.slow)
        for shared in SHARED_RUN_FIXTURES.keys() & fixtures:
            item.add_marker(pytest.mark.xdist_group(shared))

    units: dict[str, list] = {}
    for item in items:
        units.setdefault(xdist_groups.group_of(item) or item.nodeid, []).append(item)
    cost = {}
    for unit, members in units.items():
        shared = set().union(*(set(getattr(i, "fixturenames", ())) for i in members))
        cost[unit] = sum(map(_cost, members)) + sum(
            SHARED_RUN_FIXTURES[f] for f in SHARED_RUN_FIXTURES.keys() & shared
        )

    def rank(unit: str) -> tuple:
        first = units[unit][0]
        if first.get_closest_marker("spark"):
            return (0, 0.0)
        if cost[unit]:
            return (1, -cost[unit])
        return (2, 0.0) if first.get_closest_marker("slow") else (3, 0.0)

    order = sorted(units, key=rank)  # stable: modules stay together within a rank
    for unit in order:  # in a group, the demo run's readers first: it is built before a group's
        # server starts (`dev_server`: its daemon's loops would spend CPU while the demo ran)
        units[unit].sort(key=lambda i: not DEMO_RUN_FIXTURES & set(getattr(i, "fixturenames", ())))
    items[:] = [item for unit in order for item in units[unit]]
    xdist_groups.write(items, {i.nodeid for u in order if cost[u] for i in units[u]})


def pytest_runtest_teardown(item, nextitem):
    """The shared `dagster dev` stops after the last of the consecutive tests that use it."""
    if "dev_server" in getattr(item, "fixturenames", ()) and "dev_server" not in getattr(
        nextitem, "fixturenames", ()
    ):
        stop_shared_server()


def pytest_sessionfinish(session):
    stop_shared_server()  # a run stopped part-way (-x, Ctrl-C) stops the server too


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadgroup":
        return xdist_groups.make_scheduler(config, log)

"""Shared fixtures: a scratch warehouse, and a way to write and ingest small deliveries."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from sample_data import TEST_KEY

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
    if "DAGSTER_HOME" not in os.environ:
        _TEST_DAGSTER_HOME = tempfile.mkdtemp(prefix="toex-dagster-home-")
        os.environ["DAGSTER_HOME"] = _TEST_DAGSTER_HOME


def pytest_unconfigure(config):
    if _TEST_DAGSTER_HOME:
        shutil.rmtree(_TEST_DAGSTER_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """The whole pipeline, once per test session, on the calibrated demo delivery (2025-26 Q1)."""
    import dagster as dg

    from dagster_project.fiscal import Quarter
    from dagster_project.generator import generate
    from dagster_project.pipeline import execute
    from dagster_project.settings import Settings

    root = tmp_path_factory.mktemp("demo")
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
    return DemoRun(settings, outcome, delivery, logs.lines + event_log, events)


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
    settings, _, delivery = demo_run
    root = tmp_path / "data"
    shutil.copytree(
        settings.data_dir,
        root,
        symlinks=True,
        ignore=shutil.ignore_patterns("delivery", "dagster_home*"),
    )
    env = {
        **os.environ,
        "TOEX_DEMO": "1",
        "TOEX_DATA_DIR": str(root),
        "TOEX_HOME": str(tmp_path),
        "TOEX_WAREHOUSE": str(root / "warehouse" / "toex.duckdb"),
        "TOEX_LANDING": str(root / "landing"),
        "TOEX_EXPORTS": str(root / "exports"),
        "TOEX_INBOX": str(root / "inbox"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    return root, env, delivery


DEMO_RUN_FIXTURES = {"demo_run", "demo_warehouse", "published_copy"}


def pytest_collection_modifyitems(config, items):
    """Tests on the demo run share one xdist worker, so the pipeline runs once per session; they
    run the whole pipeline, so they are slow whatever their module says (`make test-fast` skips
    them)."""
    for item in items:
        if DEMO_RUN_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.xdist_group("demo_run"))
            item.add_marker(pytest.mark.slow)

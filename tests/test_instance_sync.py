"""TOEX_DAGSTER_SQLITE_SYNC reaches the SQLite connections Dagster's instance opens."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# In a fresh interpreter: the setting is process-wide (an SQLAlchemy event) and sticks.
# `apply` False: the instance's dagster.yaml (toex's, naming the scheduler class) must apply it.
PROBE = """
import glob, json, os, sys
import dagster as dg
import sqlalchemy
from dagster_project import instance_sync

home, apply = sys.argv[1], sys.argv[2] == "1"
applied = instance_sync.apply_from_env() if apply else None
seen = []

# At checkout, after every `connect` listener (the level's may be registered after this one).
@sqlalchemy.event.listens_for(sqlalchemy.pool.Pool, "checkout")
def _probe(dbapi_connection, _record, _proxy):
    if type(dbapi_connection).__module__ == "sqlite3":
        seen.append(dbapi_connection.execute("PRAGMA synchronous").fetchone()[0])

engines = set()

@sqlalchemy.event.listens_for(sqlalchemy.engine.Engine, "engine_connect")
def _engine(connection):
    engines.add(id(connection.engine))

@dg.op
def step():
    return 1

@dg.job
def job():
    step()

with dg.DagsterInstance.from_config(home) as instance:
    job.execute_in_process(instance=instance)
wal = sorted(os.path.basename(p) for p in glob.glob(f"{home}/history/**/*.db-wal", recursive=True))
print(json.dumps({"applied": applied or instance_sync._applied, "pragmas": sorted(set(seen)),
                  "connections": len(seen), "engines": len(engines),
                  "wal_files_before_exit": len(wal)}))
"""


# One xdist worker for the module, so its tests share the probes they have in common (below).
pytestmark = pytest.mark.xdist_group("instance_sync_probes")


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """`_probe`, once per level and config for the module: the tests that read the same probe
    (the level's pragma, and what `normal` holds open) share its process (~2.3 CPU s each)."""
    done: dict[tuple, dict] = {}

    def run(level: str | None, apply: bool = True, config: str = "") -> dict:
        key = (level, apply, config)
        if key not in done:
            done[key] = _probe(tmp_path_factory.mktemp("probe"), level, apply, config)
        return dict(done[key])

    return run


def _probe(tmp_path, level: str | None, apply: bool = True, config: str = "") -> dict:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(config or "telemetry:\n  enabled: false\n")
    env = {"PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(home)}
    env |= {"TOEX_DAGSTER_SQLITE_SYNC": level} if level else {}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(home), "1" if apply else "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    # Whatever the level, the process leaves no write-ahead log behind when it ends.
    result["wal_files_after_exit"] = len(list(home.glob("history/**/*.db-wal")))
    return result


# SQLite's PRAGMA synchronous: FULL 2, NORMAL 1, OFF 0.
@pytest.mark.parametrize("level, pragma", [(None, 1), ("Off", 0), ("full", 2)])
def test_the_instance_connections_get_the_level(probe, level, pragma):
    seen = probe(level)
    assert seen["applied"] == (level or "normal").lower()
    assert seen["pragmas"] == [pragma] and seen["connections"] > 5, seen
    assert seen["wal_files_after_exit"] == 0, seen


@pytest.mark.parametrize("level, held", [(None, True), ("full", False)])
def test_normal_holds_each_file_open_so_closing_a_connection_does_not_checkpoint(
    probe, level, held
):
    """The gain of `normal`: with one connection kept open, Dagster's per-write connections do
    not checkpoint (and sync) as they close, so their log stays until the process ends; under
    `full` every close checkpoints it away. And where Dagster creates an SQLAlchemy engine per
    connection, `normal` reuses one per file (by replacing `create_engine` in Dagster's SQLite
    storage modules: this fails if an upgrade moves it, as does apply_from_env itself)."""
    seen = probe(level)
    assert (seen["wal_files_before_exit"] > 0) is held, seen
    assert seen["wal_files_after_exit"] == 0, seen
    files = 4  # runs, index, schedules and the run's own event log
    assert seen["connections"] > 5 * files, seen
    assert (seen["engines"] <= files) is held, seen


def test_toex_instance_config_applies_the_level_in_processes_that_only_open_the_instance(
    probe,
):
    """`dagster dev`'s webserver and daemon import no toex code but the dagster.yaml's classes."""
    from dagster_project.cli import INSTANCE_CONFIG

    seen = probe(None, apply=False, config=INSTANCE_CONFIG)
    assert seen["applied"] == "normal"
    assert 1 in seen["pragmas"], seen


def test_an_unknown_level_is_refused_naming_the_variable(monkeypatch):
    from dagster_project import instance_sync

    monkeypatch.setenv("TOEX_DAGSTER_SQLITE_SYNC", "fast")
    with pytest.raises(SystemExit, match="TOEX_DAGSTER_SQLITE_SYNC='fast': expected one of"):
        instance_sync.apply_from_env()

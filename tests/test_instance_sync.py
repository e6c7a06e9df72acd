"""TOEX_DAGSTER_SQLITE_SYNC reaches the SQLite connections Dagster's instance opens."""

from __future__ import annotations

import subprocess
import sys

import pytest

# In a fresh interpreter: the setting is process-wide (an SQLAlchemy event) and sticks.
PROBE = """
import sys, tempfile
import dagster as dg
import sqlalchemy
from dagster_project import instance_sync

print(instance_sync.apply_from_env())
seen = []

@sqlalchemy.event.listens_for(sqlalchemy.engine.Engine, "connect")
def _probe(dbapi_connection, _record):
    if type(dbapi_connection).__module__ == "sqlite3":
        seen.append(dbapi_connection.execute("PRAGMA synchronous").fetchone()[0])

@dg.op
def step():
    return 1

@dg.job
def job():
    step()

with dg.DagsterInstance.local_temp(tempdir=tempfile.mkdtemp()) as instance:
    job.execute_in_process(instance=instance)
print(sorted(set(seen)), len(seen))
"""


def _probe(level: str | None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin"} | ({"TOEX_DAGSTER_SQLITE_SYNC": level} if level else {})
    return subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("level, pragma", [(None, 2), ("Off", 0)])  # SQLite: FULL 2, OFF 0
def test_the_instance_connections_get_the_level(level, pragma):
    done = _probe(level)
    assert done.returncode == 0, done.stderr[-3000:]
    applied, seen = done.stdout.splitlines()[-2:]
    assert applied == (level or "full").lower()
    levels, count = seen.rsplit(" ", 1)
    assert levels == f"[{pragma}]" and int(count) > 5, done.stdout


def test_an_unknown_level_is_refused_naming_the_variable(monkeypatch):
    from dagster_project import instance_sync

    monkeypatch.setenv("TOEX_DAGSTER_SQLITE_SYNC", "fast")
    with pytest.raises(SystemExit, match="TOEX_DAGSTER_SQLITE_SYNC='fast': expected one of"):
        instance_sync.apply_from_env()

"""CPU seconds per test phase, to find where `make test`'s CPU goes (docs/SCALE_LOG.md, section 2).

Off unless TOEX_TEST_CPU_LOG names a file: each process (the xdist workers, or a plain pytest)
appends one JSON line per phase (setup, call, teardown) with its wall seconds and the CPU
(user + sys) of the process itself and of the children it reaped meanwhile (`toex run`
subprocesses and their dbt, `dagster dev` once stopped). A child reaped in a later phase is
counted there, and orphans of a killed process group are not counted at all: a lower bound."""

from __future__ import annotations

import json
import os
import resource
import time

import pytest

ENV = "TOEX_TEST_CPU_LOG"


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


class Recorder:
    def __init__(self, path: str, worker: str):
        self.path, self.worker = path, worker

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        yield from self._measure(item, "setup")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        yield from self._measure(item, "call")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_teardown(self, item):
        yield from self._measure(item, "teardown")

    def pytest_sessionfinish(self):
        """The process's whole CPU: collection, imports and what no test phase holds."""
        self._write(
            {
                "test": "(session)",
                "phase": "total",
                "worker": self.worker,
                "own_cpu": round(_cpu(resource.RUSAGE_SELF), 2),
                "children_cpu": round(_cpu(resource.RUSAGE_CHILDREN), 2),
            }
        )

    def _measure(self, item, phase: str):
        wall = time.monotonic()
        own, children = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        yield
        row = {
            "test": item.nodeid,
            "phase": phase,
            "worker": self.worker,
            "start": round(time.time() - (time.monotonic() - wall), 1),
            "wall": round(time.monotonic() - wall, 2),
            "own_cpu": round(_cpu(resource.RUSAGE_SELF) - own, 2),
            "children_cpu": round(_cpu(resource.RUSAGE_CHILDREN) - children, 2),
        }
        self._write(row)

    def _write(self, row: dict) -> None:
        with open(self.path, "a") as out:  # one short line per write: workers' lines stay whole
            out.write(json.dumps(row) + "\n")


def register(config) -> None:
    path = os.environ.get(ENV)
    if path:
        worker = getattr(config, "workerinput", {}).get("workerid", "master")
        config.pluginmanager.register(Recorder(path, worker), "toex-cpu-usage")

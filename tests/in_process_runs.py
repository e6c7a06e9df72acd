"""Settings for the pipeline runs the tests make in their own process (`pipeline.execute`)."""

from __future__ import annotations

import pytest


def quality_in_this_process(mp: pytest.MonkeyPatch) -> None:
    """For a run in a test's own process (`pipeline.execute`): its quality suites run in this
    process (TOEX_GX_WORKER=0, quality/worker.py), not in a GX worker spawned for the run and ended
    with it (~3.5 CPU s of interpreter and GX import per run). The test process imports GX once for
    all its runs and its quality tests. Same code, same results; the worker's path is what every
    `toex run` and daemon run of the tests takes, and tests/test_quality_checks.py tests it."""
    from dagster_project.quality import worker

    mp.setenv(worker.ENABLED_ENV, "0")

"""A session fixture's work done once per `pytest -n` run, not once per xdist worker.

pytest-xdist's recipe (its docs, "Making session-scoped fixtures execute only once"): the first
worker to need the value builds it in the session's shared temporary folder under a file lock and
pickles it; the others wait for the lock and load it. Without xdist it is simply built.

With TOEX_TEST_SHARED_DIR set (.ci/run), the value is kept there for later pytest sessions of the
same checkout too: CI's `make test-spark` reads the demo run `make test` built instead of running
the whole pipeline again."""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

SHARED_DIR_ENV = "TOEX_TEST_SHARED_DIR"


def once_per_session(
    tmp_path_factory: pytest.TempPathFactory,
    worker_id: str,
    name: str,
    build: Callable[[Path], tuple],
) -> tuple:
    """`build(folder)`'s result, a tuple of picklable values (no class defined in a conftest:
    "conftest" names more than one module), built once in `folder` for all workers."""
    across_sessions = os.environ.get(SHARED_DIR_ENV)
    if worker_id == "master" and not across_sessions:
        return build(tmp_path_factory.mktemp(name))
    shared = Path(across_sessions or tmp_path_factory.getbasetemp().parent) / name
    result = shared / "result.pickle"
    with FileLock(str(shared) + ".lock"):
        if result.is_file():
            return pickle.loads(result.read_bytes())
        if shared.exists():  # a worker failed part-way through building it: start again
            shutil.rmtree(shared)
        shared.mkdir()
        value = build(shared)
        result.write_bytes(pickle.dumps(value))
        return value

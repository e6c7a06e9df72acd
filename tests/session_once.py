"""A session fixture's work done once per `pytest -n` run, not once per xdist worker.

pytest-xdist's recipe (its docs, "Making session-scoped fixtures execute only once"): the first
worker to need the value builds it in the session's shared temporary folder under a file lock and
pickles it; the others wait for the lock and load it. Without xdist it is simply built."""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock


def once_per_session(
    tmp_path_factory: pytest.TempPathFactory,
    worker_id: str,
    name: str,
    build: Callable[[Path], tuple],
) -> tuple:
    """`build(folder)`'s result, a tuple of picklable values (no class defined in a conftest:
    "conftest" names more than one module), built once in `folder` for all workers."""
    if worker_id == "master":
        return build(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent / name
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

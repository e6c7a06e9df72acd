"""`--dist loadgroup` that works with pytest 9.2: xdist 3.8 groups tests by appending `@group` to
their node ids, which pytest 9.2's structured node ids ignore, so every `xdist_group` mark is
silently dropped (pytest-xdist issue 1386). Here the workers write each test's group (its
`xdist_group` marks, static or added by tests/conftest.py) to a file the controller's scheduler
reads; the scheduler is xdist's own LoadGroupScheduling, told the groups that way. With an xdist
whose node ids keep the suffix, the suffix still works as before.

The scheduler also keeps a long test from committing the next unit of work early. An xdist worker
runs a test only once it holds the next one (its teardown depends on it), so the scheduler must
hand a busy worker a look-ahead; xdist's takes it from the head of the queue, where `make test`
puts the longest units (tests/conftest.py), so a worker on a long test could hold the next long
unit until it finished while the other worker ran out of long work. Here a worker whose pending
tests include a costly one gets its look-ahead from the tail (the fast tests) and takes the next
long unit only once its long test has ended: longest-first, the first free worker taking it."""

from __future__ import annotations

import json
import os
import tempfile
from functools import cache
from pathlib import Path

ENV = "TOEX_XDIST_GROUPS"  # the file, chosen by the controller before its workers start


def choose_file(config) -> None:
    """On the controller of a `pytest -n` run: where the workers will write the groups."""
    if not hasattr(config, "workerinput") and config.getvalue("dist") == "loadgroup":
        fd, path = tempfile.mkstemp(prefix="toex-xdist-groups-", suffix=".json")
        os.close(fd)
        os.environ[ENV] = path


def remove_file(config) -> None:
    if not hasattr(config, "workerinput") and os.environ.get(ENV):
        Path(os.environ.pop(ENV)).unlink(missing_ok=True)


def group_of(item) -> str | None:
    """The test's xdist group (its `xdist_group` marks, static or added), or None."""
    names = sorted(
        {
            str(m.args[0] if m.args else m.kwargs.get("name", "default"))
            for m in item.iter_markers("xdist_group")
        }
    )
    return "_".join(names) or None


def write(items, costly: set[str]) -> None:
    """On a worker, after collection: node id → group of the grouped tests, and the node ids of
    the costly tests (whole pipeline runs, servers: tests/conftest.py)."""
    path = os.environ.get(ENV)
    if not path:
        return
    groups = {item.nodeid: group for item in items if (group := group_of(item))}
    mine = f"{path}.{os.getpid()}"
    Path(mine).write_text(json.dumps({"groups": groups, "costly": sorted(costly)}))
    os.replace(mine, path)  # the workers collect the same tests: either one's file will do


def make_scheduler(config, log):
    from xdist.scheduler import LoadGroupScheduling

    path = os.environ.get(ENV)

    @cache
    def written() -> dict:  # read once every worker has collected (scheduling starts then)
        text = Path(path).read_text() if path else ""
        return json.loads(text) if text else {"groups": {}, "costly": []}

    @cache
    def costly() -> frozenset[str]:
        return frozenset(written()["costly"])

    class FileGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return written()["groups"].get(nodeid) or super()._split_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            busy = [
                nodeid
                for unit in self.assigned_work.get(node, {}).values()
                for nodeid, done in unit.items()
                if not done
            ]
            if busy and costly() & set(busy):
                tail = next(reversed(self.workqueue))
                if not costly() & set(self.workqueue[tail]):
                    self.workqueue.move_to_end(tail, last=False)  # the look-ahead: a fast test
            super()._assign_work_unit(node)

    return FileGroupScheduling(config, log)

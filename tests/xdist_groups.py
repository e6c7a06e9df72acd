"""`--dist loadgroup` that works with pytest 9.2: xdist 3.8 groups tests by appending `@group` to
their node ids, which pytest 9.2's structured node ids ignore, so every `xdist_group` mark is
silently dropped (pytest-xdist issue 1386). Here the workers write each test's group (its
`xdist_group` marks, static or added by tests/conftest.py) to a file the controller's scheduler
reads; the scheduler is xdist's own LoadGroupScheduling, told the groups that way. With an xdist
whose node ids keep the suffix, the suffix still works as before."""

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


def write(items) -> None:
    """On a worker, after collection: node id → group of the grouped tests."""
    path = os.environ.get(ENV)
    if not path:
        return
    groups = {}
    for item in items:
        names = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        if names:
            groups[item.nodeid] = "_".join(names)
    mine = f"{path}.{os.getpid()}"
    Path(mine).write_text(json.dumps(groups))
    os.replace(mine, path)  # the workers collect the same tests: either one's file will do


def make_scheduler(config, log):
    from xdist.scheduler import LoadGroupScheduling

    path = os.environ.get(ENV)

    @cache
    def groups() -> dict[str, str]:  # read once every worker has collected (scheduling starts then)
        return json.loads(Path(path).read_text() or "{}") if path else {}

    class FileGroupScheduling(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return groups().get(nodeid) or super()._split_scope(nodeid)

    return FileGroupScheduling(config, log)

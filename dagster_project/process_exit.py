"""The end of a command's process without Python's own shutdown.

After a run has imported Dagster, dbt or Great Expectations, Python's shutdown frees every module
and object one at a time: ~1.8 s of CPU for `toex`, 0.6–0.9 s of wall for a `dbt build`
(docs/SCALE_LOG.md, "Fixed cost" and "Fixed cost, third session"). Nothing needs it: files and
connections are closed by then, only daemon threads remain, and the atexit handlers (logging's,
the Dagster instance's pooled SQLite connections, dbt-duckdb's connection) still run first. Kept
free of heavy imports: `toex-dbt` starts with it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys


def exit_now(code: object) -> None:
    """End the process as `sys.exit(code)` would, without freeing every module."""
    if code is None:
        code = 0
    elif not isinstance(code, int):  # sys.exit("message"): printed, status 1
        print(code, file=sys.stderr)
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)

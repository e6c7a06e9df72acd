"""dbt already imported, started with the run, so that the dbt step does not wait for dbt's imports.

Why: every `toex-dbt` process imports dbt-core, the DuckDB adapter, agate and mashumaro's classes
(~1.7-2 CPU s, docs/SCALE.md "Fixed cost, third session") before its first event, on the dbt
step's critical path, in `toex run` and in the UI's and the daemon's run workers alike.

How: the warehouse resource starts it as a run with the dbt step starts (every launch path, as
the quality worker, quality/worker.py), or, in `toex run`, as the ingest run ends (`run_ended`).
The zygote is a process that imports dbt once and waits on a Unix socket, with no thread of its
own (forking a process with threads is unsafe; it refuses then). `toex-dbt` (dbt_main.py),
started by dagster-dbt's public `dbt_executable` as before, is the client: it sends its argv,
environment, working folder and its own stdin/stdout/stderr (SCM_RIGHTS); the zygote forks a
child that runs dbt with them, so dbt's JSON events reach dagster-dbt on the client's stdout as
before; the client forwards SIGINT/SIGTERM to the child (dagster-dbt's termination) and exits
with the child's code. A child whose client is gone (SIGKILL) kills itself at once: it never
keeps the warehouse locked for a dead step. The zygote never opens the warehouse: one writer,
the child, as with a plain dbt process.

Without a zygote (not started, off unless TOEX_DBT_ZYGOTE=1, the Spark engine, a delivery over
`dbt_project.LARGE_RAW_ROWS` where memory is tight, one that died) `toex-dbt` runs dbt itself,
exactly as before. The zygote ends when its run ends (teardown), with the process that started
it (atexit; its stdin reaches end of file when that process dies, even by SIGKILL).

Kept free of heavy imports at module level: the client imports it in every `toex-dbt`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
from pathlib import Path

# "1": on. Off by default until a quiet-machine A/B shows its gain (docs/SCALE.md, "dbtfork"): under
# load it did not shorten whole runs. Off, every dbt process imports dbt itself, as before.
ENABLED_ENV = "TOEX_DBT_ZYGOTE"
SOCKET_ENV = "TOEX_DBT_ZYGOTE_SOCKET"  # set for the dbt step's `toex-dbt` by `start()`
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
_STD_FDS = (0, 1, 2)
_FOLDER_PREFIX = "toex-dbt-zygote-"

_zygote = None  # (process, socket folder) while one is alive in this process


# --- the run's side: start and stop --------------------------------------------------------


def enabled() -> bool:
    from dagster_project import engine

    return os.environ.get(ENABLED_ENV, "0").strip() == "1" and not engine.is_spark()


def start_for(warehouse: str | Path) -> None:
    """A zygote for the dbt steps this process will run on `warehouse`; none on the Spark engine,
    when switched off, or for a delivery over `dbt_project.LARGE_RAW_ROWS` (its ~0.1 GB would
    add to dbt's peak where memory is tight; measured 114 MiB RSS, 87 MiB PSS)."""
    from dagster_project import dbt_project

    if not enabled() or dbt_project.large_delivery(Path(warehouse)):
        stop()
    else:
        start()


def run_ended(warehouse: str | Path, next_run_here: bool) -> None:
    """At a run's end: stopped, unless the publish run and its dbt step follow in this process
    (`toex run`): then started now, so that dbt's import overlaps the gap between the two runs
    (Dagster's run set-up) rather than the ingest run, whose Great Expectations import
    (quality/worker.py) is on its critical path and would compete with it for the second core."""
    if next_run_here:
        start_for(warehouse)
    else:
        stop()


def start() -> None:
    """A zygote for this process's dbt steps (one at most). Never fails a run: without a zygote
    `toex-dbt` imports dbt itself."""
    global _zygote
    if _zygote is not None and _zygote[0].poll() is None:
        return
    _drop()
    try:
        import subprocess
        import tempfile

        folder = tempfile.mkdtemp(prefix=_FOLDER_PREFIX)  # 0700: this user's only
        path = os.path.join(folder, "socket")
        process = subprocess.Popen(
            [sys.executable, "-m", "dagster_project.dbt_zygote", path],
            stdin=subprocess.PIPE,  # its end of file tells the zygote this process is gone
            stdout=subprocess.DEVNULL,  # never holds the run's captured output open
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        _zygote = (process, folder)
        os.environ[SOCKET_ENV] = path  # inherited by the dbt step's `toex-dbt`
    except Exception:  # an optimisation only
        import logging

        logging.getLogger("toex.dbt").warning("could not start the dbt zygote", exc_info=True)
        _drop()


def stop() -> None:
    """End the zygote and forget its socket."""
    _drop()


def alive() -> bool:
    return _zygote is not None and _zygote[0].poll() is None


def _drop() -> None:
    global _zygote
    os.environ.pop(SOCKET_ENV, None)
    if _zygote is None:
        return
    process, folder = _zygote
    _zygote = None
    # Ended at once, even in the middle of its import (a run that stopped before dbt): it holds
    # nothing, and its dbt children, if any, are processes of their own with their clients.
    with contextlib.suppress(Exception):
        process.stdin.close()
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    process.wait()
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


import atexit  # noqa: E402  (beside the function it registers)

atexit.register(_drop)


# --- the zygote ------------------------------------------------------------------------------


def serve(path: str, preload=None, run=None) -> None:
    """Bind `path`, import dbt (`preload`), then fork a child running dbt (`run`) for each
    request until stdin ends. Bound before the import: a client that comes early waits for it
    rather than importing dbt a second time; if the import fails, the client's connection is
    reset and it runs dbt itself. (`preload` and `run` are for the protocol's tests.)"""
    import selectors

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)
    (preload or _import_dbt)()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the loop through wake_w
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the run's to handle, then stop()
    children: dict[int, socket.socket] = {}
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "parent")
    selector.register(wake_r, selectors.EVENT_READ, "child")
    while True:
        for key, _ in selector.select():
            if key.data == "parent":  # the run's process closed our stdin or died
                if not os.read(sys.stdin.fileno(), 4096):
                    _remove_socket(path)  # a killed run's process could not
                    os._exit(0)  # children carry on to their end; their clients wait for them
            elif key.data == "child":
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_r, 4096)
                _reap(children)
            else:
                conn, _ = listener.accept()
                _fork_for(conn, children, (listener, wake_r, wake_w), run)


def _remove_socket(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
        if os.path.basename(os.path.dirname(path)).startswith(_FOLDER_PREFIX):
            os.rmdir(os.path.dirname(path))


def _import_dbt() -> None:
    """What every dbt command imports before its first event (measured: ~1.7 CPU s)."""
    import dbt.adapters.duckdb  # noqa: F401
    import dbt.adapters.duckdb.impl  # noqa: F401
    import dbt.cli.main  # noqa: F401
    import dbt.parser.manifest  # noqa: F401
    import dbt.task.build  # noqa: F401


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _fork_for(conn: socket.socket, children: dict, private: tuple, run) -> None:
    try:
        request, fds = _receive(conn)
    except Exception:  # a client that went away or spoke nonsense: nothing was started
        conn.close()
        return
    try:
        if _threads() != 1:  # never fork a process with threads: the client runs dbt itself
            _send(conn, {"refused": f"{_threads()} threads"})
            conn.close()
            return
        pid = os.fork()
        if pid == 0:
            _child(conn, fds, request, (*private, *children.values()), run)  # never returns
        children[pid] = conn  # answered with the exit status (`_reap`)
        _send(conn, {"pid": pid})
    except OSError:  # the client went away: its child (if any) sees it and ends
        pass
    finally:
        for fd in fds:
            os.close(fd)  # else the client's stdout would never reach end of file


def _reap(children: dict) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = children.pop(pid, None)
        if conn is not None:
            with contextlib.suppress(OSError):
                _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
            conn.close()


def _child(conn: socket.socket, fds: list[int], request: dict, inherited: tuple, run) -> None:
    """The forked dbt: the client's streams, environment, folder and argv; dead with its client."""
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, *FORWARDED[1:]):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # dbt handles KeyboardInterrupt
        for thing in inherited:  # the zygote's socket, wake-up pipe, other clients' connections
            if isinstance(thing, int):
                os.close(thing)
            else:
                thing.close()
        os.close(sys.stdin.fileno())
        for target, fd in zip(_STD_FDS, fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.argv = request["argv"]
        if os.environ.get("PYTHONUNBUFFERED"):
            sys.stdout.reconfigure(write_through=True)
            sys.stderr.reconfigure(write_through=True)
        _die_with_client(conn)
        if run is None:
            from dagster_project.dbt_main import run_dbt as run
        run()  # dbt_main.run_dbt ends the process itself
        code = 0
    except SystemExit as done:
        code = done.code
    except BaseException:
        import traceback

        traceback.print_exc()
        os._exit(1)
    from dagster_project.process_exit import exit_now

    exit_now(code)


def _die_with_client(conn: socket.socket) -> None:
    """The client sends nothing after its request: end of file means it is gone (killed), and
    this dbt must not go on holding the warehouse for a step that no longer exists."""
    import threading

    def watch() -> None:
        with contextlib.suppress(OSError):
            conn.recv(1)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="toex-dbt-client-watch", daemon=True).start()


# --- the client's side (`toex-dbt`) ----------------------------------------------------------


def run_in_zygote(argv: list[str]) -> int | None:
    """dbt with `argv` in a child of this process's zygote, its exit code (negative: the signal
    that ended it); None if no zygote took the request (then nothing was started)."""
    path = os.environ.pop(SOCKET_ENV, "")
    if not path:  # only set where one was started
        return None
    pending: list[int] = []
    child = [0]

    def forward(sig, _frame) -> None:
        if child[0]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child[0], sig)
        else:
            pending.append(sig)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.connect(path)
            request = {"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}
            body = json.dumps(request).encode()
            socket.send_fds(conn, [len(body).to_bytes(8, "big")], list(_STD_FDS))
            conn.sendall(body)
            replies = conn.makefile("rb")
            first = _read(replies)
        except OSError:
            return None
        if first is None or "pid" not in first:  # refused, or the zygote died: nothing started
            return None
        child[0] = first["pid"]
        for sig in pending:
            os.kill(child[0], sig)
        done = _read(replies)
        if done is None:  # the zygote died while its child ran: the child's code is lost
            print("toex-dbt: the dbt zygote ended before its dbt process", file=sys.stderr)
            return 1
        return done["exit"]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    head, fds, _, _ = socket.recv_fds(conn, 8, len(_STD_FDS))
    if len(head) != 8 or len(fds) != len(_STD_FDS):
        for fd in fds:
            os.close(fd)
        raise ValueError("bad request")
    size = int.from_bytes(head, "big")
    body = bytearray()
    while len(body) < size:
        part = conn.recv(size - len(body))
        if not part:
            for fd in fds:
                os.close(fd)
            raise ValueError("short request")
        body += part
    return json.loads(body), fds


def _send(conn: socket.socket, message: dict) -> None:
    conn.sendall(json.dumps(message).encode() + b"\n")


def _read(replies) -> dict | None:
    while True:
        try:
            line = replies.readline()
        except InterruptedError:
            continue
        return json.loads(line) if line else None


if __name__ == "__main__":
    serve(sys.argv[1])

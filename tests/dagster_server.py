"""A real `dagster dev` (webserver, daemon, code server) for tests: 127.0.0.1, a free port, its own
process group, always stopped. Shared by the browser test and the launch-path tests."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _default_signals() -> None:
    """A backgrounded parent leaves SIGINT ignored, and `dagster dev` would then ignore our stop."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def dagster_dev(env: dict[str, str], log_path: Path, start_timeout: float = 180) -> Iterator[str]:
    """Start `dagster dev` on the project's workspace.yaml with `env`; yield its URL."""
    port = free_port()
    dagster = str(Path(sys.executable).parent / "dagster")
    # Handed to the `dagster dev` child as its stdout for the server's life; closed in `finally`.
    log = open(log_path, "w")  # noqa: SIM115
    # Its own session: `dagster dev` ignores SIGTERM when backgrounded; we stop the whole group.
    proc = subprocess.Popen(
        [dagster, "dev", "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_default_signals,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                urllib.request.urlopen(url + "/server_info", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "dagster dev did not start: " + log_path.read_text()[-3000:]
                    ) from None
                time.sleep(1)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        with contextlib.suppress(ProcessLookupError):  # children that outlived the parent
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def graphql(url: str, query: str, variables: dict | None = None, timeout: float = 60) -> dict:
    """One GraphQL request as the UI sends it; raises on transport or GraphQL errors."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        url + "/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.load(response)
    if answer.get("errors"):
        raise RuntimeError(f"GraphQL errors: {answer['errors']}")
    return answer["data"]

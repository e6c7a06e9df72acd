"""`runlog.captured` ends at once when a process spawned inside it started multiprocessing's
resource tracker (the quality worker does, in every `toex run`): the tracker, alive until the
command exits, must not hold the log pipe, or the capture waits its 10 s for it."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import multiprocessing, sys, time
from pathlib import Path
from dagster_project.runlog import captured

if __name__ == "__main__":
    with captured(Path(sys.argv[1])):
        ctx = multiprocessing.get_context("spawn")  # as quality/worker.py starts its process
        lock = ctx.Lock()  # a named semaphore: registered with the resource tracker
        child = ctx.Process(target=print, args=("spawned",))
        child.start()
        child.join()
        ended = time.monotonic()
    print(f"{time.monotonic() - ended:.2f}")
"""


def test_the_capture_does_not_wait_for_the_resource_tracker(tmp_path):
    script = tmp_path / "spawn_in_capture.py"
    script.write_text(SCRIPT)
    log = tmp_path / "run.log"
    done = subprocess.run(
        [sys.executable, str(script), str(log)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert float(done.stdout.split()[-1]) < 5, done.stdout  # 10 s when the tracker holds the pipe
    assert "spawned" in log.read_text()

"""Run a command in a fresh process and sample the resident memory and CPU of its whole tree.

`ru_maxrss` of RUSAGE_CHILDREN is the peak of the largest single descendant, not of the tree
at one moment (the pipeline's Python process and dbt's subprocess are alive together), so
the tree is sampled from /proc every `interval` seconds: each sample is (unix time, summed
RSS in bytes of the process and all its descendants, their CPU seconds so far). Peaks between
samples can be missed; at 0.1 s the error is small next to stages of seconds.

A sample's CPU is each live process's user + system time plus that of the children it has
reaped (`cutime`, `cstime`), so a step's subprocess still counts once it has ended; a process
reaped outside the tree is lost, which is why the whole run's CPU comes from RUSAGE_CHILDREN
and the samples only give the CPU of a stretch of the run (how many cores a stage kept busy).
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, list[bytes]]:
    """{pid: the fields of /proc/<pid>/stat after `pid (comm)`} of every process now (a process
    that ends meanwhile is left out): field 1 is the parent pid, 11-14 utime, stime, cutime,
    cstime in clock ticks."""
    stats: dict[int, list[bytes]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        stats[int(entry.name)] = stat[stat.rindex(b")") + 2 :].split()
    return stats


def parent_pids() -> dict[int, int]:
    """{pid: parent pid} of every process now, read from /proc."""
    return {pid: int(fields[1]) for pid, fields in _stats().items()}


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_usage(root: int) -> tuple[int, int, float]:
    """(summed RSS in bytes, number of processes, CPU seconds so far) of `root` and its
    descendants, from one read of /proc's stat files."""
    stats = _stats()
    kids: dict[int, list[int]] = {}
    for pid, fields in stats.items():
        kids.setdefault(int(fields[1]), []).append(pid)
    total, n, ticks, todo = 0, 0, 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss(pid)
        if pid in stats:
            ticks += sum(int(x) for x in stats[pid][11:15])
        n += 1
        todo.extend(kids.get(pid, ()))
    return total, n, ticks / TICK


def tree_rss(root: int) -> tuple[int, int]:
    """(summed RSS in bytes, number of processes) of `root` and its descendants."""
    total, n, _ = tree_usage(root)
    return total, n


@dataclass
class Measured:
    returncode: int
    wall_s: float
    started: float  # unix time
    ended: float
    samples: list[tuple[float, int]] = field(default_factory=list)  # (unix time, tree RSS)
    cpu_samples: list[tuple[float, float]] = field(default_factory=list)  # (unix time, CPU s)
    max_processes: int = 0
    ru_maxrss_bytes: int = 0  # largest single descendant (kernel's own figure)
    cpu_s: float = 0.0  # user + system CPU of the whole tree (every descendant reaped by then)

    @property
    def peak_bytes(self) -> int:
        return max((b for _, b in self.samples), default=0)

    def peak_between(self, start: float, end: float) -> int:
        inside = [b for t, b in self.samples if start <= t <= end]
        if not inside:  # a stage shorter than one sample: the nearest sample
            nearest = min(self.samples, key=lambda s: abs(s[0] - start), default=(0, 0))
            return nearest[1]
        return max(inside)

    def cpu_between(self, start: float, end: float) -> float:
        """CPU seconds the tree spent from `start` to `end`, from the nearest samples (within
        one interval of each end)."""
        if not self.cpu_samples:
            return 0.0

        def at(t: float) -> float:
            return min(self.cpu_samples, key=lambda s: abs(s[0] - t))[1]

        return max(at(end) - at(start), 0.0)


def run_measured(
    cmd: list[str],
    *,
    env: dict | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    interval: float = 0.1,
    timeout: float | None = None,
    extra_roots: list[int] = (),
) -> Measured:
    """`extra_roots`: processes outside the command's tree whose trees count too (the Spark
    cluster's master and worker: the worker's tree holds the executors)."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    before = usage_before.ru_maxrss
    started = time.time()
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    m = Measured(returncode=-1, wall_s=0.0, started=started, ended=0.0)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            rss, n, cpu = tree_usage(proc.pid)
            for root in extra_roots:
                more, k, more_cpu = tree_usage(root)
                rss, n, cpu = rss + more, n + k, cpu + more_cpu
            if rss:
                now = time.time()
                m.samples.append((now, rss))
                m.cpu_samples.append((now, cpu))
                m.max_processes = max(m.max_processes, n)
            stop.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        m.returncode = proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stop.set()
        sampler.join()
        if log:
            out.close()
    m.wall_s = time.monotonic() - t0
    m.ended = time.time()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = usage.ru_maxrss
    m.ru_maxrss_bytes = after * 1024 if after > before else 0
    # One command at a time, so the change in RUSAGE_CHILDREN is this command's tree; a
    # detached daemon (the Spark cluster) is not reaped by it and does not count.
    m.cpu_s = (usage.ru_utime + usage.ru_stime) - (usage_before.ru_utime + usage_before.ru_stime)
    return m

"""A Spark standalone cluster on this machine: one master and one worker, separate JVMs,
bound to 127.0.0.1, started and stopped by `toex spark up` / `toex spark down` (and by the
tests' fixture).

The classes are pyspark's own (`spark-class org.apache.spark.deploy.master.Master`,
`...worker.Worker`); nothing is downloaded. State lives in `<spark dir>/cluster/`: one pid file
and one log per daemon, and `master_url`, which the Spark engine reads to find the cluster
(`engines/spark.py`). Each daemon runs in its own session (process group), so stopping it
also stops the executors the worker launched.

Memory is kept modest on purpose (the machine is shared): the daemons get a 512 MB heap, the
worker offers 2 GB to executors (two 1 GB executors: the dbt application's and the quality
step's, which are alive together during a run).
Sizes and ports are settings (`TOEX_SPARK_*`, below), not code.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
DAEMONS = ("master", "worker")


class ClusterError(RuntimeError):
    """The cluster could not be started, found or stopped; the message says why and what to do."""


@dataclass(frozen=True)
class ClusterConfig:
    root: Path  # <spark dir>/cluster
    master_port: int = 17077
    master_webui_port: int = 18080
    worker_webui_port: int = 18081
    # Advertised, not physical: the dbt application and the quality application take up to 2
    # each (spark.cores.max) and are alive together; with 2 they would wait on each other.
    worker_cores: int = 4
    worker_memory: str = "2g"
    daemon_memory: str = "512m"

    @classmethod
    def from_env(cls, spark_dir: Path) -> ClusterConfig:
        env = os.environ
        return cls(
            root=Path(spark_dir) / "cluster",
            master_port=int(env.get("TOEX_SPARK_MASTER_PORT", cls.master_port)),
            master_webui_port=int(env.get("TOEX_SPARK_MASTER_WEBUI_PORT", cls.master_webui_port)),
            worker_webui_port=int(env.get("TOEX_SPARK_WORKER_WEBUI_PORT", cls.worker_webui_port)),
            worker_cores=int(env.get("TOEX_SPARK_WORKER_CORES", cls.worker_cores)),
            worker_memory=env.get("TOEX_SPARK_WORKER_MEMORY", cls.worker_memory),
            daemon_memory=env.get("TOEX_SPARK_DAEMON_MEMORY", cls.daemon_memory),
        )

    @property
    def master_url(self) -> str:
        return f"spark://{HOST}:{self.master_port}"

    @property
    def webui(self) -> str:
        return f"http://{HOST}:{self.master_webui_port}"

    def pid_file(self, daemon: str) -> Path:
        return self.root / f"{daemon}.pid"

    def log_file(self, daemon: str) -> Path:
        return self.root / f"{daemon}.log"

    @property
    def url_file(self) -> Path:
        return self.root / "master_url"


def spark_home() -> Path:
    """pyspark's installation is a Spark distribution (bin/spark-class, jars/)."""
    try:
        import pyspark  # only the package path; no JVM starts
    except ImportError as exc:
        raise ClusterError(
            "pyspark is not installed: install the `spark` extra "
            "(uv pip install -e '.[spark]' against requirements.lock)"
        ) from exc
    return Path(pyspark.__file__).parent


def _java_env(cfg: ClusterConfig) -> dict[str, str]:
    java = shutil.which("java") or "/usr/bin/java"
    if not Path(java).exists() and not os.environ.get("JAVA_HOME"):
        raise ClusterError("no Java runtime: Spark needs Java 17 (java on PATH or JAVA_HOME)")
    env = {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": HOST,
        "SPARK_MASTER_HOST": HOST,
        "SPARK_DAEMON_MEMORY": cfg.daemon_memory,
        "SPARK_LOG_DIR": str(cfg.root),
        "SPARK_WORKER_DIR": str(cfg.root / "work"),
        # Executors that run Python (Great Expectations' UDFs) use this environment's Python.
        "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", sys.executable),
    }
    if "JAVA_HOME" not in env:
        env["JAVA_HOME"] = str(Path(os.path.realpath(java)).parent.parent)
    return env


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by a parent in this process) is not alive.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _read_pid(cfg: ClusterConfig, daemon: str) -> int | None:
    try:
        pid = int(cfg.pid_file(daemon).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _alive(pid) else None


def _port_free(port: int) -> bool:
    """Nothing listens on the port. SO_REUSEADDR as the JVM's servers set it: a port a cluster
    just left (TIME_WAIT) is free for the next `toex spark up`."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def master_status(cfg: ClusterConfig, timeout: float = 2.0) -> dict | None:
    """The master's own JSON status (`/json/`), or None when it does not answer."""
    try:
        with urllib.request.urlopen(f"{cfg.webui}/json/", timeout=timeout) as r:
            return json.loads(r.read())
    except (OSError, ValueError):
        return None


def alive_workers(cfg: ClusterConfig) -> int:
    status = master_status(cfg)
    if not status:
        return 0
    return sum(1 for w in status.get("workers", []) if w.get("state") == "ALIVE")


def running_master_url(spark_dir: Path) -> str | None:
    """The URL of the cluster `toex spark up` started, if its master still runs."""
    cfg = ClusterConfig.from_env(spark_dir)
    if _read_pid(cfg, "master") is None or not cfg.url_file.exists():
        return None
    return cfg.url_file.read_text().strip()


def _start(cfg: ClusterConfig, daemon: str, args: list[str], env: dict) -> int:
    cmd = [str(spark_home() / "bin" / "spark-class"), *args]
    with open(cfg.log_file(daemon), "ab") as log:
        # Own session: `down` stops the daemon and every executor it launched in one signal.
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            cwd=cfg.root,
        )
    cfg.pid_file(daemon).write_text(str(proc.pid))
    return proc.pid


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def up(cfg: ClusterConfig, timeout: float = 180.0) -> str:
    """Start the master and the worker unless they run; wait until the worker has registered.
    Returns the master URL. Idempotent: a running cluster is left as it is."""
    cfg.root.mkdir(parents=True, exist_ok=True)
    env = _java_env(cfg)
    master, worker = _read_pid(cfg, "master"), _read_pid(cfg, "worker")
    if master is None:
        for port in (cfg.master_port, cfg.master_webui_port):
            if not _port_free(port):
                raise ClusterError(
                    f"port {HOST}:{port} is in use by another program: choose free ports with "
                    "TOEX_SPARK_MASTER_PORT / TOEX_SPARK_MASTER_WEBUI_PORT"
                )
        _start(
            cfg,
            "master",
            [
                MASTER_CLASS,
                "--host",
                HOST,
                "--port",
                str(cfg.master_port),
                "--webui-port",
                str(cfg.master_webui_port),
            ],
            env,
        )
    if worker is None:
        if not _port_free(cfg.worker_webui_port):
            raise ClusterError(
                f"port {HOST}:{cfg.worker_webui_port} is in use: set TOEX_SPARK_WORKER_WEBUI_PORT"
            )
        (cfg.root / "work").mkdir(exist_ok=True)
        _start(
            cfg,
            "worker",
            [
                WORKER_CLASS,
                "--host",
                HOST,
                "--webui-port",
                str(cfg.worker_webui_port),
                "--cores",
                str(cfg.worker_cores),
                "--memory",
                cfg.worker_memory,
                "--work-dir",
                str(cfg.root / "work"),
                cfg.master_url,
            ],
            env,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for daemon in DAEMONS:
            if _read_pid(cfg, daemon) is None:
                down(cfg)
                raise ClusterError(
                    f"the Spark {daemon} exited while starting; its log "
                    f"{cfg.log_file(daemon)} ends:\n{_tail(cfg.log_file(daemon))}"
                )
        if alive_workers(cfg) >= 1:
            cfg.url_file.write_text(cfg.master_url + "\n")
            return cfg.master_url
        time.sleep(1.0)
    down(cfg)
    raise ClusterError(
        f"the Spark cluster was not ready within {timeout:.0f} s (master {cfg.webui}); "
        f"logs in {cfg.root}"
    )


def down(cfg: ClusterConfig, timeout: float = 30.0) -> list[str]:
    """Stop the worker (and its executors), then the master. Returns what was stopped."""
    stopped = []
    for daemon in ("worker", "master"):
        pid = _read_pid(cfg, daemon)
        if pid is not None:
            _stop_group(pid, timeout)
            stopped.append(f"{daemon} (pid {pid})")
        cfg.pid_file(daemon).unlink(missing_ok=True)
    cfg.url_file.unlink(missing_ok=True)
    return stopped


def _stop_group(pid: int, timeout: float) -> None:
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return
    if pgid != pid:  # not the session leader we started: stop only this process
        os.kill(pid, signal.SIGTERM)
        pgid = None
    else:
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.2)
    if _alive(pid) or pgid is not None:
        try:
            if pgid is not None:
                os.killpg(pgid, signal.SIGKILL)  # executors left behind by a slow shutdown
            else:
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def cluster_pids(spark_dir: Path) -> list[int]:
    """The daemons' pids (for memory measurement: their process groups include the executors)."""
    cfg = ClusterConfig.from_env(spark_dir)
    return [p for p in (_read_pid(cfg, d) for d in DAEMONS) if p is not None]


def command(action: str, spark_dir: Path) -> int:
    """`toex spark up|down|status`: prints one line per fact, returns an exit code."""
    cfg = ClusterConfig.from_env(spark_dir)
    try:
        if action == "up":
            running = _read_pid(cfg, "master") is not None and alive_workers(cfg) >= 1
            url = up(cfg)
            print(
                f"Spark cluster {'already running' if running else 'up'}: {url} "
                f"(web UI {cfg.webui}); "
                f"logs and pid files in {cfg.root}"
            )
        elif action == "down":
            stopped = down(cfg)
            print(
                f"Spark cluster stopped: {', '.join(stopped)}"
                if stopped
                else "no Spark cluster was running"
            )
        else:
            pids = {d: _read_pid(cfg, d) for d in DAEMONS}
            if not any(pids.values()):
                print(f"no Spark cluster is running (state in {cfg.root})")
                return 1
            print(
                f"Spark cluster: master {cfg.master_url} pid {pids['master']}, "
                f"worker pid {pids['worker']}, "
                f"{alive_workers(cfg)} worker(s) alive (web UI {cfg.webui})"
            )
    except ClusterError as exc:
        print(f"toex: spark {action}: {exc}", file=sys.stderr)
        return 1
    return 0

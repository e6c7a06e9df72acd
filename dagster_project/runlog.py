"""What an operator sees of a run, and where the rest goes.

The console gets one line per stage (time and counts), the warnings to read, and a summary.
Everything else (Dagster's event lines, dbt's START/PASS lines, Great Expectations' prints,
alembic's migrations, tracebacks, the platform's own INFO logging) goes to the run's log file,
`<data>/logs/<run_id>.log`. The split is made at the file-descriptor level: third-party code and
subprocesses (dbt) write to fd 1 and 2 directly, so only redirecting those catches them all.
`-v` copies everything to the console as well.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import shutil
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

CHATTY_LIBRARIES = ("alembic", "great_expectations")  # INFO that tells an operator nothing
KEEP_LOGS = 100  # run logs kept (the demo run's: ~300 KB, ~30 KB once gzipped)
STAGES = ("ingest", "quality", "dbt", "exports")


class Console:
    """Lines for the operator: to the terminal, and into the run's log file too."""

    def __init__(self, stream, verbose: bool, err_stream=None):
        self._stream, self._verbose, self._err = stream, verbose, err_stream or stream
        self.lines = 0

    def err(self, line: str) -> None:
        """A failure line: on the terminal's stderr (and in the log)."""
        self.lines += 1
        if not self._verbose:
            self._err.write(line + "\n")
            self._err.flush()
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def say(self, line: str = "") -> None:
        self.lines += 1
        if not self._verbose:  # with -v the log pump already copies fd 1 to the terminal
            self._stream.write(line + "\n")
            self._stream.flush()
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


@contextlib.contextmanager
def captured(log_path: Path, verbose: bool = False) -> Iterator[Console]:
    """Send fd 1 and 2 (and so every library and subprocess) to `log_path` for the block;
    yield a Console that writes to the real terminal."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # multiprocessing's resource tracker lives as long as this process, holding the stdout and
    # stderr it started with. Started inside the block (the quality worker's spawn starts it), it
    # would hold the pipe below and the pump would wait its 10 s at the end; started now, it holds
    # the terminal (docs/SCALE_LOG.md, "fixed6").
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    log = open(log_path, "ab", buffering=0)  # noqa: SIM115 (closed below, after the pump)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump():
        while chunk := os.read(read_end, 1 << 16):
            log.write(chunk)
            if verbose:
                os.write(saved_err, chunk)

    thread = threading.Thread(target=pump, name="toex-log-pump", daemon=True)
    thread.start()
    console = os.fdopen(os.dup(saved_out), "w", buffering=1)
    console_err = os.fdopen(os.dup(saved_err), "w", buffering=1)
    try:
        yield Console(console, verbose, console_err)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved_out, 1)  # the pipe's last writers close: the pump reads to the end
        os.dup2(saved_err, 2)
        # A subprocess still holding the pipe (it should not) must not hang the command.
        thread.join(timeout=10)
        os.close(saved_out)
        os.close(saved_err)
        console.close()
        console_err.close()
        if not thread.is_alive():
            os.close(read_end)
            log.close()


def chatter_to_log():
    """Let the chatty libraries' INFO through while fd 1 and 2 go to the run's log (outside a run
    they stay at WARNING, see cli._setup_logging); returns the function that restores them."""
    saved = {name: logging.getLogger(name).level for name in CHATTY_LIBRARIES}
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(min(saved[name] or logging.INFO, logging.INFO))

    def restore():
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)

    return restore


def prune_logs(logs_dir: Path, keep: int = KEEP_LOGS, current: Path | None = None) -> None:
    """Earlier runs' logs are gzipped (~300 KB → ~30 KB); the newest `keep` are kept."""
    if not logs_dir.is_dir():
        return
    for plain in logs_dir.glob("*.log"):
        if plain != current:
            packed = plain.with_name(plain.name + ".gz")
            with contextlib.suppress(OSError):
                with open(plain, "rb") as src, gzip.open(packed, "wb") as dst:
                    shutil.copyfileobj(src, dst)
                shutil.copystat(plain, packed)  # its age orders the pruning below
                plain.unlink()
    logs = sorted(
        (*logs_dir.glob("*.log"), *logs_dir.glob("*.log.gz")), key=lambda p: p.stat().st_mtime
    )
    for old in logs[:-keep]:
        old.unlink(missing_ok=True)


def stage_of(step_key: str) -> str:
    from dagster_project.defs.kpis import DBT_OP

    if step_key.startswith(("ingest__", "raw__", "ops__")):
        return "ingest"
    if step_key.startswith("gx_"):
        return "quality"
    if step_key == DBT_OP:
        return "dbt"
    if step_key.startswith("exports__"):
        return "exports"
    return step_key


class Progress:
    """A Dagster event listener (`instance.add_event_listener`): prints a stage's line as soon as
    its last step ends, and gathers the warnings an operator must read."""

    def __init__(self, console: Console, step_keys: set[str]):
        self.console = console
        self.left: dict[str, set[str]] = defaultdict(set)
        for key in step_keys:
            self.left[stage_of(key)].add(key)
        self.started: dict[str, float] = {}
        self.seconds: Counter = Counter()
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.failed: dict[str, list[str]] = defaultdict(list)
        self.published: list[str] = []
        self.warnings: list[str] = []
        self.done: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, entry) -> None:
        try:
            with self._lock:
                self._on_event(entry)
        except Exception as exc:  # progress is a view: never fail a run for it
            logging.getLogger("toex.progress").debug("progress listener: %s", exc)

    def _on_event(self, entry) -> None:
        event = entry.dagster_event
        if event is None:
            message = entry.user_message or ""
            # "Dependencies for step … failed": the stage line says "not run".
            if (
                entry.level >= logging.WARNING
                and message
                and not message.startswith("Dependencies for step")
            ):
                self.warn(message)
            return
        step, kind = event.step_key, event.event_type_value
        if not step:
            return
        stage = stage_of(step)
        c = self.counts[stage]
        if kind == "STEP_START":
            self.started[step] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            self.seconds[stage] += entry.timestamp - self.started.get(step, entry.timestamp)
            if kind == "STEP_FAILURE":
                self.failed[stage].append(step)
            self.left[stage].discard(step)
            if not self.left[stage]:
                self.print_stage(stage)
        elif kind == "ASSET_MATERIALIZATION":
            m = event.event_specific_data.materialization
            meta = {k: getattr(v, "value", v) for k, v in m.metadata.items()}
            if stage == "ingest" and "rows_read" in meta:
                c["files"] += 1
                for k in ("rows_read", "rows_accepted", "rows_quarantined", "rows_collapsed"):
                    c[k] += int(meta.get(k) or 0)
            elif stage == "ingest" and str(meta.get("status", "")).startswith("rejected"):
                c["files rejected"] += 1
            elif stage == "dbt":
                c["models"] += 1
                for n, status in _tally(str(meta.get("dbt_tests", ""))):
                    c[f"tests {status}"] += n
            elif stage == "exports":
                c["outputs"] += 1
                if "published_to" in meta:
                    self.published.append(str(meta["published_to"]))
        elif kind == "ASSET_CHECK_EVALUATION":
            ev = event.event_specific_data
            outcome = "pass" if ev.passed else ("fail" if ev.severity.value == "ERROR" else "warn")
            c[f"tests {outcome}" if stage == "dbt" else f"checks {outcome}"] += 1

    def warn(self, text: str) -> None:
        text = " ".join(text.split())
        if " quarantined: " in text:  # one line per row is in the log; the count is in the checks
            return
        if text not in self.warnings:
            self.warnings.append(text)

    def print_stage(self, stage: str) -> None:
        if stage in self.done:
            return
        self.done.add(stage)
        c = self.counts[stage]
        if stage == "ingest":
            text = (
                f"{c['files']} files, {c['rows_read']:,} rows read: "
                f"{c['rows_accepted']:,} accepted, {c['rows_quarantined']:,} quarantined, "
                f"{c['rows_collapsed']:,} duplicates collapsed"
            )
            if c["files rejected"]:
                text += f"; {c['files rejected']} file(s) REJECTED"
        elif stage == "dbt":
            tests = ", ".join(f"{c[k]} {k[6:]}" for k in sorted(c) if k.startswith("tests "))
            text = f"{c['models']} models and seeds built; tests: {tests or 'none'}"
        elif stage == "quality":
            text = ", ".join(
                f"{c[k]} {k[7:]}" for k in ("checks pass", "checks warn", "checks fail") if c[k]
            )
            text = f"Great Expectations suites: {text or 'none'}"
        elif stage == "exports":
            text = f"{c['outputs']} output(s) written"
        else:
            text = ", ".join(f"{n} {k}" for k, n in c.items())
        if self.failed[stage]:
            text += f"; FAILED: {', '.join(self.failed[stage])}"
        if self.left[stage]:
            text += f"; not run: {len(self.left[stage])} step(s)"
        self.console.say(f"  {stage:<8} {self.seconds[stage]:6.1f}s  {text}")

    def finish(self) -> None:
        """Stages whose steps did not all run (a failure upstream) still get their line."""
        for stage in sorted(
            self.left, key=lambda s: STAGES.index(s) if s in STAGES else len(STAGES)
        ):
            self.print_stage(stage)


def _tally(text: str) -> list[tuple[int, str]]:
    """`"5 pass, 1 warn (x)"` → [(5, "pass"), (1, "warn")]."""
    out = []
    for part in text.split(" (")[0].split(", "):
        n, _, status = part.partition(" ")
        if n.isdigit():
            out.append((int(n), status))
    return out


class WarningCollector(logging.Handler):
    """The platform's own warnings logged during a run (e.g. demo mode's public key)."""

    def __init__(self, progress: Progress):
        super().__init__(level=logging.WARNING)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("toex"):
            self.progress.warn(record.getMessage())


def elapsed(since: float) -> str:
    s = time.monotonic() - since
    return f"{int(s // 60)} min {int(s % 60)} s" if s >= 60 else f"{s:.1f} s"


def prune_runs(instance, job_name: str | None, keep: int | None) -> int:
    """Delete old finished runs from the Dagster instance (run record, events, captured logs; on
    the default SQLite storage also the run's own event-log file, which deleting its events
    leaves behind). For each job and partition (quarter) it keeps the newest `keep` runs and the
    newest successful one, whose events are what the UI shows as that quarter's materialised
    state; `keep=None` keeps every run. `job_name=None` prunes every job's runs.
    TOEX_KEEP_RUNS, docs/OPERATIONS.md: each run costs ~5 MB of history at any scale."""
    import dagster as dg

    if keep is None:
        return 0
    if keep < 1:
        raise ValueError(f"keep must be at least 1 run, got {keep}")
    finished = [
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.FAILURE,
        dg.DagsterRunStatus.CANCELED,
    ]
    records = instance.get_run_records(dg.RunsFilter(job_name=job_name, statuses=finished))
    groups: dict[tuple, list] = defaultdict(list)
    for record in records:  # newest first
        run = record.dagster_run
        groups[(run.job_name, run.tags.get("dagster/partition"))].append(run)
    old = []
    for runs in groups.values():
        successes = [r for r in runs if r.status == dg.DagsterRunStatus.SUCCESS]
        kept = {r.run_id for r in runs[:keep]} | {r.run_id for r in successes[:1]}
        old += [r.run_id for r in runs if r.run_id not in kept]
    for run_id in old:
        instance.delete_run(run_id)
        shard = getattr(instance.event_log_storage, "path_for_shard", None)
        if shard is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(shard(run_id) + suffix).unlink(missing_ok=True)
        with contextlib.suppress(Exception):  # captured step logs: housekeeping, never fatal
            instance.compute_log_manager.delete_logs(prefix=[run_id])
    shard = getattr(instance.event_log_storage, "path_for_shard", None)
    if old and shard is not None:
        kept_ids = [r.dagster_run.run_id for r in instance.get_run_records()]
        _compact_sqlite_index(Path(shard("index")), kept_ids)
    return len(old)


def _compact_sqlite_index(index: Path, kept_run_ids: list[str]) -> None:
    """Deleting a run leaves its asset-check executions (each with its evaluation event) in the
    SQLite index, and SQLite never returns freed pages: without this the index grows ~1.3 MB a
    run whatever TOEX_KEEP_RUNS says. Skipped if another process (the UI) holds the file."""
    import sqlite3

    with (
        contextlib.suppress(sqlite3.Error),
        contextlib.closing(sqlite3.connect(index, timeout=5)) as con,
    ):
        con.execute("CREATE TEMP TABLE kept (run_id TEXT PRIMARY KEY)")
        con.executemany("INSERT OR IGNORE INTO kept VALUES (?)", [(r,) for r in kept_run_ids])
        con.execute(
            "DELETE FROM asset_check_executions WHERE run_id NOT IN (SELECT run_id FROM kept)"
        )
        con.commit()
        con.execute("VACUUM")

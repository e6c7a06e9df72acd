"""Profile the ingestion stage alone, outside Dagster: land a delivery, ingest every extract in
dependency order and write its validated Parquet, as the ingest run's steps do, timing each
piece (wall and process CPU, which counts DuckDB's threads too: steadier than wall on a
shared machine).

    .venv/bin/python -m benchmarks.ingest_profile data/bench/deliveries/scale-100 [--repeat 3]

Not part of the test suite. Each repeat lands into a fresh temporary folder and warehouse.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from dagster_project import warehouse
from dagster_project.contract import contracts
from dagster_project.ingest import delivery, load, pseudonym, reader, records

TIMES: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])


def _add(label: str, wall: float, cpu: float) -> None:
    t = TIMES[label]
    t[0] += wall
    t[1] += cpu
    t[2] += 1


def _timed(label: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        w, c = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _add(label, time.perf_counter() - w, time.process_time() - c)

    return wrapper


def _label(sql: str) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    text = re.sub(r"_in_[a-z_]+", "_in_X", text)
    if not text.startswith("INSERT INTO raw."):  # the raw insert, per extract
        text = re.sub(r'raw\."[a-z_]+"', "raw.X", text)
    return "sql: " + text[:70]


class TimedConnection:
    """A DuckDB connection whose execute() is timed per statement kind."""

    def __init__(self, con):
        self._con = con

    explain: str | None = None  # a regex: statements matching it are profiled to a file
    explain_dir: Path | None = None

    def execute(self, sql, *args, **kwargs):
        label = _label(sql)
        profiled = self.explain and re.search(self.explain, label)
        if profiled:
            out = self.explain_dir / f"profile-{len(list(self.explain_dir.iterdir())):03d}.txt"
            self._con.execute(f"SET enable_profiling = 'json'; SET profiling_output = '{out}'")
        w, c = time.perf_counter(), time.process_time()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            _add(label, time.perf_counter() - w, time.process_time() - c)
            if profiled:
                self._con.execute("RESET enable_profiling")

    def __getattr__(self, name):
        return getattr(self._con, name)


def _patch() -> None:
    reader._check_encoding = _timed("encoding check", reader._check_encoding)
    reader._header = _timed("header", reader._header)
    reader.records.count_records = _timed("independent record count", records.count_records)
    reader.read_xlsx = _timed("read_xlsx (whole)", reader.read_xlsx)
    delivery.sha256_file = _timed("land: sha256", delivery.sha256_file)
    delivery.shutil.copyfile = _timed("land: copy", shutil.copyfile)


def _order(extracts: list[str], only: list[str] | None = None) -> list[str]:
    """Referenced extracts first, as the raw assets' deps run them; `only`: these and what
    they reference."""
    known = contracts()
    done: list[str] = []

    def visit(e: str) -> None:
        if e in done:
            return
        for ref, _ in known[e].references.values():
            if ref in extracts:
                visit(ref)
        done.append(e)

    for e in sorted(only or extracts):
        visit(e)
    return done


def run_once(
    folder: Path, work: Path, only: list[str] | None = None
) -> dict[str, tuple[float, float]]:
    landing, wh = work / "landing", work / "warehouse" / "toex.duckdb"
    per_extract: dict[str, tuple[float, float]] = {}
    w, c = time.perf_counter(), time.process_time()
    d = delivery.land(folder, landing, before_landing=pseudonym.key_for)
    _add("land (whole)", time.perf_counter() - w, time.process_time() - c)
    with warehouse.connect(wh) as raw_con:
        warehouse.ensure_schemas(raw_con)
        load.register_delivery(raw_con, d)
        con = TimedConnection(raw_con)
        for extract in _order(list(d.files), only):
            contract = contracts()[extract]
            w, c = time.perf_counter(), time.process_time()
            load.ensure_raw_table(raw_con, contract)
            key = pseudonym.key_for([extract], d.synthetic_demo)
            r = load.ingest_file(con, contract, d.files[extract], d.delivery_id, key)
            assert r.reconciles, r
            w2, c2 = time.perf_counter(), time.process_time()
            load.export_validated(raw_con, extract, landing, d.delivery_id)
            _add("validated parquet", time.perf_counter() - w2, time.process_time() - c2)
            per_extract[extract] = (time.perf_counter() - w, time.process_time() - c)
    return per_extract


def time_floor_load(folder: Path) -> tuple[float, float]:
    """The floor's load of the same delivery, in this process, into a scratch database."""
    import duckdb

    from benchmarks import floor

    with tempfile.TemporaryDirectory(prefix="toex-floor-prof-") as tmp:
        con = duckdb.connect(str(Path(tmp) / "floor.duckdb"))
        w, c = time.perf_counter(), time.process_time()
        floor.load_delivery(con, folder)
        result = time.perf_counter() - w, time.process_time() - c
        con.close()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("delivery", type=Path)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--explain", help="regex over statement labels: profile those to --explain-dir")
    ap.add_argument("--explain-dir", type=Path, default=Path("data/bench/ingest-profiles"))
    ap.add_argument(
        "--floor", action="store_true", help="also time the floor's load (benchmarks/floor.py)"
    )
    ap.add_argument("--keep", type=Path, help="land and load into this folder and keep it")
    ap.add_argument(
        "--only", nargs="*", help="ingest only these extracts (and what they reference)"
    )
    args = ap.parse_args(argv)
    os.environ.setdefault("TOEX_DEMO", "1")
    _patch()
    if args.explain:
        args.explain_dir.mkdir(parents=True, exist_ok=True)
        TimedConnection.explain, TimedConnection.explain_dir = args.explain, args.explain_dir
    totals = []
    for i in range(args.repeat):
        TIMES.clear()
        with tempfile.TemporaryDirectory(prefix="toex-ingest-prof-") as tmp:
            work = Path(tmp)
            if args.keep:
                shutil.rmtree(args.keep, ignore_errors=True)
                work = args.keep
            load1 = os.getloadavg()
            w, c = time.perf_counter(), time.process_time()
            per = run_once(args.delivery, work, args.only)
            wall, cpu = time.perf_counter() - w, time.process_time() - c
            totals.append((wall, cpu))
        print(
            f"\n== repeat {i + 1}: wall {wall:.2f} s, CPU {cpu:.2f} s "
            f"(load {load1[0]:.1f}/{load1[1]:.1f}/{load1[2]:.1f} before, "
            f"{os.getloadavg()[0]:.1f} after)"
        )
        print(f"{'piece':<80} {'wall s':>8} {'cpu s':>8} {'n':>4}")
        for label, (pw, pc, n) in sorted(TIMES.items(), key=lambda kv: -kv[1][1]):
            if pc >= 0.05 or pw >= 0.05:
                print(f"{label[:80]:<80} {pw:8.2f} {pc:8.2f} {n:4d}")
        print("per extract (wall, cpu):")
        for e, (pw, pc) in sorted(per.items(), key=lambda kv: -kv[1][1])[:6]:
            print(f"  {e:<24} {pw:7.2f} {pc:7.2f}")
        if args.floor:
            floor_wall, floor_cpu = time_floor_load(args.delivery)
            print(
                f"floor load: wall {floor_wall:.2f} s, CPU {floor_cpu:.2f} s; "
                f"ingest ÷ floor load: wall {wall / floor_wall:.1f}×, CPU {cpu / floor_cpu:.1f}×"
            )
    if args.repeat > 1:
        print("\ntotals (wall s, cpu s):", ", ".join(f"({a:.1f}, {b:.1f})" for a, b in totals))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Five `toex run`s of the demo delivery in a row on one data folder, from empty, with the defaults
a user gets: everything, the Dagster instance too, under TOEX_DATA_DIR; no TOEX_KEEP_RUNS, no
TOEX_KEEP_VERSIONS (docs/OPERATIONS.md).

One sequence serves three tests that each needed runs of the same delivery again: the disk test
(issue 11's must-show: runs 2-5 leave the folder within 5 MB of run 1, tests/test_operations.py),
the console-output test (run 2's output) and the reproducibility test (run 2's publication against
run 1's, then runs of its own on the folder). They share these runs instead of each paying for its
own (the `repeated_runs` fixture in tests/conftest.py, one xdist group). The sequence records what
it saw and the tests assert; only a run that fails stops it (every test on it then errors)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from dagster_project.settings import DBT_PROJECT_DIR

TOEX = [sys.executable, "-m", "dagster_project.cli"]
SLUG = "2025-26-Q1"
RUNS = 5


@dataclass
class Run:
    done: subprocess.CompletedProcess
    run_id: str  # the publish run's
    sizes: dict[str, int]  # bytes under each entry of the data folder, and under dbt/target
    exports: tuple[bytes, bytes]  # the quarter's kpi_values.csv and .parquet
    docs: bytes  # the published dbt docs site
    detail_log: str  # the run's full log, read before a later run can compress it


@dataclass
class RepeatedRuns:
    root: Path  # the data folder (TOEX_DATA_DIR)
    env: dict
    delivery: Path
    runs: list[Run]
    export_versions: list[str]  # the quarter's retained export versions after the last run
    dbt_target_leftovers: list[str]  # the runs' own dbt target folders left after the last run


def size(path: Path, skip=()) -> int:
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink() and not any(part in skip for part in p.parts):
            total += p.stat().st_size
    return total


def run_repeatedly(folder: Path) -> RepeatedRuns:
    from dagster_project.generator import generate

    root, delivery = folder / "data", folder / "delivery"
    generate(delivery, seed=20250630, scale=1)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOEX_") and k != "DAGSTER_HOME"}
    env.update({"TOEX_HOME": str(folder), "TOEX_DATA_DIR": str(root), "TOEX_DEMO": "1"})
    target = DBT_PROJECT_DIR / "target"

    def in_flight() -> set[str]:  # other builds' folders (another test worker): not ours to count
        return {p.name for p in target.glob("*-*") if p.is_dir()}

    runs = []
    for _ in range(RUNS):
        done = subprocess.run(
            [*TOEX, "run", "--extracts", str(delivery), "--quarter", SLUG],
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert done.returncode == 0, f"run {len(runs) + 1} failed:\n{done.stdout}{done.stderr}"
        log = re.search(r"full log: (\S+)", done.stdout)
        exports = root / "exports" / SLUG
        runs.append(
            Run(
                done=done,
                run_id=re.search(r"run (\S+) for 2025-26 Q1 succeeded", done.stdout).group(1),
                sizes={p.name: size(p) for p in root.iterdir()}
                | {"dbt/target": size(target, skip=in_flight())},
                exports=(
                    (exports / "kpi_values.csv").read_bytes(),
                    (exports / "kpi_values.parquet").read_bytes(),
                ),
                docs=(root / "published" / "dbt_docs.html").read_bytes(),
                detail_log=Path(log.group(1)).read_text() if log else "",
            )
        )
    versions = root / "exports" / ".versions" / SLUG
    return RepeatedRuns(
        root=root,
        env=env,
        delivery=delivery,
        runs=runs,
        export_versions=[
            v.name for v in versions.iterdir() if v.is_dir() and not v.name.startswith(".")
        ],
        dbt_target_leftovers=[
            p.name
            for p in target.glob("toex_dbt_models-*")
            if any(p.name[16:23] == r.run_id[:7] for r in runs)
        ],
    )

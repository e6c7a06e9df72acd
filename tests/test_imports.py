"""Every runtime dependency imports in a process whose `__main__` is not a file.

Dagster's run workers (UI launches, sensor and schedule runs) are such processes, and so is
`python -c`. PySpark 4.3, installed by the `spark` extra, calls `sys.exit(0)` on
`import pyspark.sql.connect` there when its Spark Connect requirements are missing, and Great
Expectations tries that import: every GX step of a daemon-launched run then ended `SystemExit: 0`
while `toex run` and pytest (whose main is a file) were fine. This test imports each module the way
a run worker does and fails when one of them exits instead of importing.
"""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

from packaging.requirements import Requirement

PROJECT = "toex-kpi-platform"
RUNTIME_EXTRAS = {
    "spark"
}  # installed from the lockfile beside the base dependencies; `dev` is tooling
PROJECT_MODULES = ["dagster_project.definitions", "dagster_project.cli"]
# Top-level modules a dependency ships that the platform never imports, and why they cannot
# import here.
NOT_IMPORTABLE = {
    "adbc_driver_duckdb": "duckdb's ADBC driver needs adbc-driver-manager, which nothing here uses"
}
MUST_COVER = {
    "great_expectations",
    "dagster",
    "dagster_dbt",
    "dbt",
    "duckdb",
    "pandas",
    "pyarrow",
    "openpyxl",
    "pyspark",
    "dagster_project.definitions",
}


def _normal(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def runtime_modules() -> list[str]:
    """The top-level modules of the project's installed runtime dependencies, then its own
    modules."""
    wanted = set()
    for text in metadata.distribution(PROJECT).requires or []:
        req = Requirement(text)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in RUNTIME_EXTRAS):
            wanted.add(_normal(req.name))
    modules = set()
    for module, dists in metadata.packages_distributions().items():
        if module.startswith("_") or module in NOT_IMPORTABLE:
            continue
        if any(_normal(d) in wanted for d in dists):
            modules.add(module)
    return sorted(modules) + PROJECT_MODULES


def test_the_module_list_is_derived_and_covers_the_stack():
    assert set(runtime_modules()) >= MUST_COVER, MUST_COVER - set(runtime_modules())


def test_every_runtime_dependency_imports_when_main_is_not_a_file():
    """One `python -c` child, cwd /tmp (not the project), imports each module and says so after
    each: an import that exits stops the child early, and the first module not confirmed is the
    culprit."""
    modules = runtime_modules()
    script = "".join(f"import {m}; print('imported {m}', flush=True)\n" for m in modules)
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd="/tmp", capture_output=True, text=True, timeout=600
    )
    confirmed = [
        line.removeprefix("imported ")
        for line in proc.stdout.splitlines()
        if line.startswith("imported ")
    ]
    missing = [m for m in modules if m not in confirmed]
    assert proc.returncode == 0 and not missing, (
        f"import of {missing[0] if missing else '?'} ended the process "
        f"(exit {proc.returncode}) instead of "
        f"importing; not imported: {missing}\nstderr:\n{proc.stderr[-3000:]}"
    )

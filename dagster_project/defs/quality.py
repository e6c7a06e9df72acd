"""Quality domain: each Great Expectations suite in `expectations/` is a Dagster asset check
on its asset, run against DuckDB in the database.

A suite becomes one `multi_asset_check` (one step, one validation) with up to two checks:
- `quality_gate`: the suite's `error` expectations; blocking, so a failure stops every
  asset downstream (dbt, hence the quarter's exports) and `toex run` exits 1 naming the
  suite and expectation;
- `quality_warnings`: the `warn` expectations; shown in the UI, recorded in
  `quality.validation_results` (the history analysts query); the exports publish the run's
  check results with the pack.
Both are evaluated in the same step, and that step is a blocking dependency of everything
downstream, so a run's warnings are in the history table before its exports run.

`import great_expectations` happens inside the check function only: loading these
definitions reads the suite JSON files and nothing more.
"""

from pathlib import Path

import dagster as dg

from dagster_project.quality.gate import GATE, WARNINGS
from dagster_project.quality.suites import Suite, load_suites
from dagster_project.resources import PlatformPaths, WarehouseResource


def build_suite_check(suite: Suite) -> dg.AssetChecksDefinition:
    key = dg.AssetKey(list(suite.asset))
    reads = [dg.AssetKey(list(k)) for k in suite.reads]
    specs = []
    errors, warns = suite.of_severity("error"), suite.of_severity("warn")
    if errors:
        specs.append(
            dg.AssetCheckSpec(
                GATE,
                asset=key,
                blocking=True,
                additional_deps=reads,
                description=(
                    f"Great Expectations suite {suite.name} (expectations/{suite.path.name}), "
                    "blocking: " + ", ".join(e.name for e in errors)
                ),
                metadata={"suite_file": f"expectations/{suite.path.name}", "severity": "error"},
            )
        )
    if warns:
        specs.append(
            dg.AssetCheckSpec(
                WARNINGS,
                asset=key,
                blocking=False,
                additional_deps=reads,
                description=(
                    f"Great Expectations suite {suite.name} (expectations/{suite.path.name}), "
                    "warnings: " + ", ".join(e.name for e in warns)
                ),
                metadata={"suite_file": f"expectations/{suite.path.name}", "severity": "warn"},
            )
        )

    @dg.multi_asset_check(specs=specs, name=f"gx_{suite.name}", description=suite.notes or None)
    def _suite_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, paths: PlatformPaths
    ):
        from dagster_project.quality.gate import evaluate

        # $TOEX_DATA_DIR/gx_docs (Data Docs) and gx_store (GX results), wherever the exports go;
        # the landing folder's validated Parquet on the Spark engine.
        yield from evaluate(context, suite, warehouse, paths.data, Path(paths.landing))

    return _suite_check


asset_checks: list = [build_suite_check(s) for s in load_suites().values()]

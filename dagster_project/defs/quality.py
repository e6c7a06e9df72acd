"""Quality domain: each Great Expectations suite in `expectations/` is checked on its asset by
two asset checks, run against DuckDB in the database:
- `quality_gate`: the suite's `error` expectations; blocking, so a failure stops every
  asset downstream (dbt, hence the quarter's exports) and `toex run` exits 1 naming the
  suite and expectation;
- `quality_warnings`: the `warn` expectations; shown in the UI, recorded in
  `quality.validation_results` (the history analysts query); the exports publish the run's
  check results with the pack.
Both are evaluated in the same step, and that step is a blocking dependency of everything
downstream, so a run's warnings are in the history table before its exports run.

Steps: the suites of one layer share one step (`multi_asset_check`, `gx_<layer>_suites`), so
GX's set-up (context, connection, Data Docs build) and Dagster's per-step cost are paid once
per layer, not once per suite; each suite still has its own checks and results, as if it had
run alone. A suite whose asset other assets of its layer are loaded from (`raw/operations`:
the raw tables that reference it) keeps a step of its own (`gx_<suite>`): its gate must pass
before they load, and in a shared step that waits for them it would be a cycle. A layer with a
single suite has `gx_<suite>` too. The steps can be subset: a run that selects some checks
validates only their suites.

`import great_expectations` happens inside the check function only: loading these
definitions reads the suite JSON files and nothing more.
"""

from pathlib import Path

import dagster as dg

from dagster_project.contract import contracts
from dagster_project.quality.gate import GATE, WARNINGS
from dagster_project.quality.suites import Suite, load_suites
from dagster_project.resources import PlatformPaths, WarehouseResource


def check_specs(suite: Suite) -> list[dg.AssetCheckSpec]:
    key = dg.AssetKey(list(suite.asset))
    reads = [dg.AssetKey(list(k)) for k in suite.reads]
    specs = []
    for severity, check_name, blocking, kind in (
        ("error", GATE, True, "blocking"),
        ("warn", WARNINGS, False, "warnings"),
    ):
        expectations = suite.of_severity(severity)
        if not expectations:
            continue
        specs.append(
            dg.AssetCheckSpec(
                check_name,
                asset=key,
                blocking=blocking,
                additional_deps=reads,
                description=(
                    f"Great Expectations suite {suite.name} (expectations/{suite.path.name}), "
                    f"{kind}: " + ", ".join(e.name for e in expectations)
                ),
                metadata={"suite_file": f"expectations/{suite.path.name}", "severity": severity},
            )
        )
    return specs


def upstream_within_layer() -> set[tuple[str, ...]]:
    """Raw assets that other raw assets are loaded from (the contracts' references)."""
    return {("raw", ref[0]) for c in contracts().values() for ref in c.references.values()}


def step_groups(suites: list[Suite]) -> dict[str, list[Suite]]:
    """{step name: its suites} (module docstring)."""
    own = upstream_within_layer()
    layers: dict[str, list[Suite]] = {}
    steps: dict[str, list[Suite]] = {}
    for suite in sorted(suites, key=lambda s: s.name):
        if suite.asset in own:
            steps[f"gx_{suite.name}"] = [suite]
        else:
            layers.setdefault(suite.asset[0], []).append(suite)
    for layer, members in layers.items():
        steps[f"gx_{members[0].name}" if len(members) == 1 else f"gx_{layer}_suites"] = members
    return steps


def build_step(name: str, suites: list[Suite]) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        specs=[spec for s in suites for spec in check_specs(s)],
        name=name,
        description=(
            suites[0].notes or None
            if len(suites) == 1
            else "Great Expectations suites " + ", ".join(s.name for s in suites)
        ),
        can_subset=True,
    )
    def _suites_check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, paths: PlatformPaths
    ):
        from dagster_project.quality.gate import evaluate_suites

        selected = {
            (k.asset_key.to_user_string(), k.name) for k in context.selected_asset_check_keys
        }
        chosen = [s for s in suites if any(a == s.asset_path for a, _ in selected)]
        # $TOEX_DATA_DIR/gx_docs (Data Docs) and gx_store (GX results), wherever the exports go;
        # the landing folder's validated Parquet on the Spark engine.
        yield from evaluate_suites(
            context, chosen, warehouse, paths.data, Path(paths.landing), selected=selected
        )

    return _suites_check


STEPS = step_groups(list(load_suites().values()))
asset_checks: list = [build_step(name, suites) for name, suites in STEPS.items()]


def step_of(asset_path: str) -> str:
    """The step that validates the suite on `asset_path` (e.g. `raw/costs`)."""
    return next(n for n, suites in STEPS.items() if any(s.asset_path == asset_path for s in suites))

"""The dbt step of the demo run: tests on staging, intermediate and marts run dbt-side and are
summarised on their model's materialisation; the reporting layer's are Dagster checks."""

from __future__ import annotations

import re
from collections import Counter

from dagster_project.defs.kpis import DBT_OP, _describe_tests, _failed_nodes


def test_describe_tests_names_what_did_not_pass():
    tally = Counter(
        {("pass", "not_null_x"): 1, ("pass", "unique_x"): 1, ("warn", "accepted_values_y"): 1}
    )
    assert _describe_tests(tally) == "2 pass, 1 warn (accepted_values_y)"


def test_a_failed_build_names_each_failed_node_with_dbts_message(tmp_path):
    """The dbt step's Failure: the failed nodes from run_results.json, dbt's message on one line
    (a model_rules test's names the model and each broken rule); nothing for passing nodes."""
    import json

    (tmp_path / "run_results.json").write_text(
        json.dumps(
            {
                "results": [
                    {"unique_id": "model.toex.a", "status": "success", "message": "OK"},
                    {
                        "unique_id": "test.toex.a_rules.1",
                        "status": "error",
                        "message": "Runtime Error in test a_rules\n  Invalid Input Error: "
                        "a breaks not_null(k): 2 rows",
                    },
                    {"unique_id": "model.toex.b", "status": "skipped", "message": None},
                ]
            }
        )
    )
    assert _failed_nodes(tmp_path) == (
        "test.toex.a_rules.1 error: Runtime Error in test a_rules Invalid Input Error: "
        "a breaks not_null(k): 2 rows"
    )
    assert _failed_nodes(tmp_path / "missing") == ""


def test_dbt_side_tests_are_summarised_on_their_models(demo_run):
    materialised = [
        line
        for line in demo_run.log_lines
        if "staging" in line and "stg_disruptions" in line and "dbt_tests" in line
    ]
    assert materialised, "no materialisation of staging/stg_disruptions carries dbt_tests"
    assert re.search(r"\d+ pass", materialised[0])
    assert not any("instead of an `AssetCheckResult`" in line for line in demo_run.log_lines)


def test_reporting_layer_tests_are_checks_in_the_run(demo_run):
    _, outcome, _ = demo_run
    warned = [
        w
        for w in outcome.warnings
        if w.startswith("kpis/kpi_values:warn_comms_new_users_exceed_users")
    ]
    assert warned, outcome.warnings


def test_dbt_models_materialise_while_dbt_runs(demo_run):
    """Progress during the dbt step: models appear as dbt finishes them, before dbt exits."""
    from dagster_project.defs.kpis import DBT_OP

    step = [e for e in demo_run.events if e[1] == DBT_OP]
    finished = next(
        t
        for t, _, kind, msg in step
        if kind is None and (msg or "").startswith("Finished dbt command")
    )
    materialised = [t for t, _, kind, _ in step if kind == "ASSET_MATERIALIZATION"]
    assert len(materialised) > 50
    before = [t for t in materialised if t < finished]
    assert len(before) >= 0.9 * len(materialised), (len(before), len(materialised))


def test_row_counts_are_observed_for_the_tables_dbt_built_not_its_views(demo_run):
    import json

    from dagster_project.dbt_project import toex_dbt

    nodes = json.loads(toex_dbt.manifest_path.read_text())["nodes"].values()
    materialized = [n["config"]["materialized"] for n in nodes if n["resource_type"] == "model"]
    observed = [e for e in demo_run.events if e[1] == DBT_OP and e[2] == "ASSET_OBSERVATION"]
    assert materialized.count("view") > 0
    assert len(observed) == materialized.count("table"), (len(observed), materialized)

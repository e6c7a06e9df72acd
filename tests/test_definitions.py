"""The Dagster definitions load, and every asset key, check and job is pinned (snapshot)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dagster_project.contract import contracts
from dagster_project.definitions import MAIN_JOB, defs


def test_definitions_load_with_every_ingest_asset():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert "ingest/delivery" in keys
    assert {f"raw/{e}" for e in contracts()} <= keys
    defs.resolve_job_def(MAIN_JOB)
    assert defs.get_sensor_def("delivery_sensor")


def test_raw_assets_depend_on_what_they_reference():
    graph = defs.resolve_asset_graph()
    from dagster import AssetKey

    parents = {p.to_user_string() for p in graph.get(AssetKey(["raw", "disruptions"])).parent_keys}
    assert parents == {"ingest/delivery", "raw/operations"}


def test_checks_on_every_raw_asset():
    graph = defs.resolve_asset_graph()
    checks = {(c.asset_key.to_user_string(), c.name) for c in graph.asset_check_keys}
    for e in contracts():
        assert {
            (f"raw/{e}", n) for n in ("file_accepted", "rows_reconcile", "no_quarantined_rows")
        } <= checks


# --- snapshot: every asset key, asset check, job, schedule and sensor ------------------------

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def _inventory() -> dict:
    graph = defs.resolve_asset_graph()
    return {
        "assets": sorted(k.to_user_string() for k in graph.get_all_asset_keys()),
        "asset_checks": sorted(
            f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys
        ),
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
        "schedules": sorted(s.name for s in defs.schedules or []),
        "sensors": sorted(s.name for s in defs.sensors or []),
    }


def test_definitions_match_the_snapshot():
    """A renamed or lost asset, check or job is a visible change: update the snapshot on
    purpose with `TOEX_UPDATE_SNAPSHOTS=1 pytest tests/test_definitions.py`."""
    now = _inventory()
    if os.environ.get("TOEX_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(now, indent=1) + "\n")
    pinned = json.loads(SNAPSHOT.read_text())
    for part in pinned:
        added, lost = (
            sorted(set(now[part]) - set(pinned[part])),
            sorted(set(pinned[part]) - set(now[part])),
        )
        assert not added and not lost, f"{part}: added {added}, lost {lost}"


def test_dbt_tests_are_checks_on_the_reporting_layer_only():
    """dbt tests on kpis models are Dagster checks; those on staging, intermediate and marts run
    dbt-side (defs/kpis.py CHECKED_LAYERS), so the run's event log stays small."""
    from dagster_project.defs.kpis import toex_dbt_models

    layers = {k.asset_key.path[0] for k in toex_dbt_models.check_keys}
    assert layers == {"kpis"}
    assert len(toex_dbt_models.check_keys) >= 30


def test_each_reporting_model_has_one_rules_check_that_names_its_rules():
    """A kpis model's column rules (not null, unique, accepted values, grain) are one dbt test,
    dbt/tests/generic/model_rules.sql, so one check; its description names every rule."""
    from dagster_project.defs.kpis import toex_dbt_models

    specs = {(s.asset_key.path[-1], s.name): s for s in toex_dbt_models.check_specs}
    models = {k.path[-1] for k in toex_dbt_models.keys if k.path[0] == "kpis"}
    rules = {model: specs.get((model, f"{model}_rules")) for model in models}
    assert len([m for m in models if m.startswith("kpi_q")]) == 17
    assert all(rules[m] for m in models if m.startswith("kpi_q")), sorted(
        m for m, s in rules.items() if s is None
    )
    described = rules["kpi_values"].description
    assert "period_type in {quarter, fy_to_date," in described
    assert "unique combination: (reporting_quarter, kpi_id, measure," in described


@pytest.mark.parametrize("member", ["_cli_version", "_initialize_dbt_core_adapter"])
def test_overridden_private_dagster_dbt_members_are_still_used_upstream(member):
    """ToexDbtCliResource overrides two private members of dagster-dbt's DbtCliResource to save
    ~3.4 s per dbt step. If an upgrade renames or stops calling one, the override silently does
    nothing (or the resource breaks): fail here, naming the member, so the saving is re-checked."""
    import inspect

    from dagster_dbt import DbtCliResource

    from dagster_project.dbt_project import ToexDbtCliResource

    assert inspect.getattr_static(DbtCliResource, member, None) is not None, (
        f"dagster-dbt's DbtCliResource has no {member} any more: ToexDbtCliResource.{member} "
        "overrides nothing (dagster_project/dbt_project.py)"
    )
    assert member in inspect.getsource(DbtCliResource.cli), (
        f"DbtCliResource.cli no longer uses {member}: ToexDbtCliResource.{member} saves nothing"
    )
    assert member in vars(ToexDbtCliResource)


def test_dbt_resource_knows_the_installed_dbt_version():
    """The resource skips `dbt --version`; the executable it runs must report the same version."""
    import re
    import subprocess

    from dagster_project.dbt_project import ToexDbtCliResource, dbt_executable

    out = subprocess.run(
        [dbt_executable(), "--version"], capture_output=True, text=True, check=True
    ).stdout
    core = re.search(r"Core:\s*\n\s*- installed:\s*(\d+\.\d+\.\d+)", out) or re.search(
        r"(\d+\.\d+\.\d+)", out
    )
    assert str(ToexDbtCliResource.for_project()._cli_version) == core.group(1)

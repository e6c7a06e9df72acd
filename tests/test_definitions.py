"""The Dagster definitions load, and every asset key, check and job is pinned (snapshot)."""

from __future__ import annotations

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
        assert {(f"raw/{e}", n) for n in ("file_accepted", "rows_reconcile", "no_quarantined_rows")} <= checks

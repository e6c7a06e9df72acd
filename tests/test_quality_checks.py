"""The suites as Dagster asset checks: definitions (fast to load, no GX import), blocking
semantics, history rows and Data Docs links, on a small job."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project import outputs
from dagster_project.contract import contracts, raw_table_ddl
from dagster_project.defs import quality
from dagster_project.quality import history
from dagster_project.quality.gate import GATE, WARNINGS
from dagster_project.quality.suites import GX_SEVERITY, load_suites
from dagster_project.resources import PlatformPaths, WarehouseResource

PROJECT = Path(__file__).resolve().parent.parent


def test_loading_the_quality_definitions_does_not_import_great_expectations():
    code = (
        "import sys, time; t = time.perf_counter(); import dagster_project.defs.quality as q; "
        "assert 'great_expectations' not in sys.modules, 'GX imported at definitions load'; "
        "print(sum(len(s) for s in q.STEPS.values()), round(time.perf_counter() - t, 2))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.split()[0]) == len(load_suites())


def test_a_suite_for_every_extract_and_for_kpi_values():
    assets = {s.asset for s in load_suites().values()}
    assert {("raw", e) for e in contracts()} | {("kpis", "kpi_values")} == assets


def test_every_suite_is_valid_great_expectations_json():
    import great_expectations as gx

    gx.get_context(mode="ephemeral")
    for suite in load_suites().values():
        body = suite.raw_json()
        gx_suite = gx.ExpectationSuite(**body)
        assert len(gx_suite.expectations) == len(suite.expectations)
        for exp in gx_suite.expectations:
            assert exp.severity.value == GX_SEVERITY[exp.meta["severity"]]


def test_checks_split_by_severity_and_only_errors_block():
    specs = {
        (spec.asset_key.to_user_string(), spec.name): spec
        for check in quality.asset_checks
        for spec in check.check_specs
    }
    assert (
        specs[("raw/disruptions", GATE)].blocking
        and not specs[("raw/disruptions", WARNINGS)].blocking
    )
    assert specs[("kpis/kpi_values", GATE)].blocking
    assert specs[("raw/comms_metrics", WARNINGS)]
    # cross-table suites wait for what they read
    assert dg.AssetKey(["raw", "toex_jobs"]) in {
        d.asset_key for d in specs[("raw/disruptions", GATE)].additional_deps
    }


def test_the_checks_fit_the_platform_definitions():
    from dagster_project.definitions import MAIN_JOB, build_definitions

    defs = build_definitions()
    wired = {k for c in defs.asset_checks for k in getattr(c, "check_keys", [])}
    assert {k for c in quality.asset_checks for k in c.check_keys} <= wired, (
        "every suite is a check of the platform"
    )
    graph = defs.resolve_asset_graph()
    keys = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("kpis/kpi_values", GATE) in keys and ("raw/operations", GATE) in keys
    job = defs.resolve_job_def(
        MAIN_JOB
    )  # no cycle: every suite only reads upstream or sibling assets
    assert any(n.name == quality.step_of("raw/disruptions") for n in job.nodes)


# ----------------------------------------------------------------------- a small job


@dg.asset(key=["raw", "comms_metrics"])
def comms_metrics(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    month = context.run.tags.get("test/month", "2025-04-01")
    with warehouse.connect() as con:
        con.execute(raw_table_ddl(contracts()["comms_metrics"]))
        con.execute("DELETE FROM raw.comms_metrics")
        con.execute(
            "INSERT INTO raw.comms_metrics "
            "(_delivery_id, _row_number, month, channel, metric, value) VALUES\n"
            f"            ('d', 1, DATE '{month}', 'Website', 'users', 128), "
            f"('d', 2, DATE '{month}', 'Website', 'new_users', 188)"
        )


@dg.asset(key=["marts", "fct_comms_metrics"], deps=[comms_metrics])
def downstream(context):
    context.log.info("downstream ran")


def one_job_defs(tmp_path, job: str, assets: list, checks: list) -> dg.Definitions:
    """`assets` and `checks` in one in-process job, on a warehouse and folders under tmp_path."""
    return dg.Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[
            dg.define_asset_job(
                job, selection=dg.AssetSelection.all(), executor_def=dg.in_process_executor
            )
        ],
        resources={
            "warehouse": WarehouseResource(path=str(tmp_path / "warehouse" / "toex.duckdb")),
            "paths": PlatformPaths(
                inbox=str(tmp_path / "inbox"),
                landing=str(tmp_path / "landing"),
                exports=str(tmp_path / "exports"),
                data_dir=str(tmp_path),
            ),
        },
    )


@pytest.fixture
def small_job(tmp_path):
    suite_check = quality.build_step("gx_raw_comms_metrics", [load_suites()["raw_comms_metrics"]])
    defs = one_job_defs(tmp_path, "small", [comms_metrics, downstream], [suite_check])
    return defs.resolve_job_def("small"), tmp_path


def _evaluations(result):
    return {ev.check_name: ev for ev in result.get_asset_check_evaluations()}


def test_a_warning_does_not_block_and_is_recorded_for_the_run(small_job):
    job, root = small_job
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert result.success
    evs = _evaluations(result)
    assert evs[GATE].passed
    warn = evs[WARNINGS]
    assert not warn.passed and warn.severity == dg.AssetCheckSeverity.WARN
    assert (
        "suite raw_comms_metrics: expectation website_new_users_not_above_users_month failed"
        in warn.description
    )
    # A link into the outputs server (the UI cannot open file:// links), to a file that exists.
    assert warn.metadata["data_docs"].value == f"{outputs.base_url()}/gx_docs/index.html"
    assert (root / "gx_docs" / "index.html").is_file()
    page = warn.metadata["validation_result_page"].value
    assert page.startswith(f"{outputs.base_url()}/gx_docs/validations/")
    assert (root / "gx_docs" / page.removeprefix(f"{outputs.base_url()}/gx_docs/")).is_file()
    with duckdb.connect(str(root / "warehouse" / "toex.duckdb"), read_only=True) as con:
        warnings = history.warnings_for_run(con, result.run_id)
        everything = history.results_for_run(con, result.run_id)
    assert {w["expectation"] for w in warnings} == {
        "website_new_users_not_above_users_month",
        "website_new_users_not_above_users_quarter",
    }
    assert len(everything) == len(load_suites()["raw_comms_metrics"].expectations)
    assert {r["asset"] for r in everything} == {"raw/comms_metrics"}


def test_an_error_blocks_downstream_and_names_the_expectation(small_job):
    job, _ = small_job
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, tags={"test/month": "2099-01-01"}
        )
    assert not result.success
    gate = _evaluations(result)[GATE]
    assert not gate.passed and gate.severity == dg.AssetCheckSeverity.ERROR
    assert gate.description.startswith(
        "suite raw_comms_metrics: expectation no_month_after_delivery failed"
    )
    ran = {
        e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_SUCCESS
    }
    assert "marts__fct_comms_metrics" not in ran


# ----------------------------------------------------------------- suites sharing one step


def test_the_steps_cover_every_suite_once_and_keep_gating_suites_apart():
    names = [s.name for suites in quality.STEPS.values() for s in suites]
    assert sorted(names) == sorted(load_suites())
    # raw/operations' gate must pass before the raw tables that reference it load
    assert quality.STEPS[quality.step_of("raw/operations")] == [load_suites()["raw_operations"]]
    assert len(quality.STEPS[quality.step_of("raw/costs")]) > 1


@dg.asset(key=["raw", "costs"])
def costs_never_loaded(context):
    context.log.info("no raw.costs table")


def test_suites_in_one_step_keep_their_own_results(tmp_path):
    """A suite that cannot run fails its own gate only; the step fails (blocking) after every
    suite's results are recorded."""
    suites = load_suites()
    step = quality.build_step("gx_shared", [suites["raw_comms_metrics"], suites["raw_costs"]])
    defs = one_job_defs(tmp_path, "shared", [comms_metrics, costs_never_loaded], [step])
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("shared").execute_in_process(
            instance=instance, raise_on_error=False
        )
    assert not result.success
    evs = {
        (e.asset_key.to_user_string(), e.check_name): e
        for e in result.get_asset_check_evaluations()
    }
    assert evs[("raw/comms_metrics", GATE)].passed
    assert not evs[("raw/comms_metrics", WARNINGS)].passed  # the fixture's known warning
    costs = evs[("raw/costs", GATE)]
    assert not costs.passed and "ERRORED" in costs.description
    with duckdb.connect(str(tmp_path / "warehouse" / "toex.duckdb"), read_only=True) as con:
        recorded = {r["asset"] for r in history.results_for_run(con, result.run_id)}
    assert recorded == {"raw/comms_metrics", "raw/costs"}


# ------------------------------------------------------------ the worker (quality/worker.py)


def _outcomes(result) -> list:
    return sorted(
        (e.asset_key.to_user_string(), e.check_name, e.passed, e.description)
        for e in result.get_asset_check_evaluations()
    )


def test_the_suites_run_in_a_worker_started_with_the_run_with_the_same_results(
    small_job, monkeypatch
):
    from dagster_project.quality import runner, worker

    job, _ = small_job
    in_this_process = []
    real = runner.run_suites
    monkeypatch.setattr(
        runner, "run_suites", lambda *a, **k: in_this_process.append(1) or real(*a, **k)
    )
    with dg.DagsterInstance.ephemeral() as instance:
        with_worker = job.execute_in_process(instance=instance, raise_on_error=False)
    assert not in_this_process, "the suites ran in the step's process, not in the worker"
    assert worker._worker is not None and worker._worker[0].pid != os.getpid()

    monkeypatch.setenv(worker.ENABLED_ENV, "0")
    with dg.DagsterInstance.ephemeral() as instance:
        alone = job.execute_in_process(instance=instance, raise_on_error=False)
    assert in_this_process == [1]
    assert with_worker.success and alone.success
    assert _outcomes(with_worker) == _outcomes(alone)
    assert ("raw/comms_metrics", WARNINGS, False) in [o[:3] for o in _outcomes(alone)]


def test_without_a_live_worker_the_step_runs_the_suites_itself(tmp_path, monkeypatch):
    from dagster_project.quality import runner, worker

    monkeypatch.setattr(runner, "run_suites", lambda b, w, **k: ("in-process", b, str(w)))
    small = tmp_path / "toex.duckdb"
    worker.start(small)
    process = worker._worker[0]
    process.kill()
    process.join(timeout=30)
    assert worker.run_suites([], small) == ("in-process", [], str(small))
    # A large delivery: no worker (its memory would add to dbt's peak), a live one is stopped,
    # at the start of a run and at its end.
    from dagster_project import dbt_project

    worker.start(small)
    assert worker._worker is not None
    with duckdb.connect(str(small)) as con:
        con.execute("CREATE SCHEMA raw; CREATE TABLE raw.t AS SELECT range AS n FROM range(3)")
    monkeypatch.setattr(dbt_project, "LARGE_RAW_ROWS", 2)
    worker.run_ended(small)
    assert worker._worker is None
    worker.start(small)
    assert worker._worker is None
    assert worker.run_suites([], small) == ("in-process", [], str(small))
    monkeypatch.setattr(dbt_project, "LARGE_RAW_ROWS", 3)
    worker.start(small)
    assert worker._worker is not None
    worker.stop()


def test_an_interrupted_step_ends_the_worker_so_no_answer_goes_astray(tmp_path, monkeypatch):
    from dagster_project.quality import worker

    worker.start(tmp_path / "toex.duckdb")
    process, conn = worker._worker

    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(conn, "recv", interrupted)
    with pytest.raises(KeyboardInterrupt):
        worker.run_suites([], tmp_path / "toex.duckdb")
    assert worker._worker is None
    process.join(timeout=30)
    assert not process.is_alive()

"""End to end: the quality gates in the whole pipeline (`pipeline.execute`), on the calibrated
demo delivery and on copies of it with one violation injected per blocking expectation family.

- the demo passes every blocking gate and carries the known warning (PUBLISHED_FIGURES note 4:
  website new users above users) into the run's warnings and `quality.validation_results`;
- each injected violation stops the run with the expectation named and nothing downstream of
  the gate (dbt, exports) materialised for the quarter.

The raw injections are delivered on top of the good demo delivery (a second delivery into a copy
of its warehouse), as in production; the KPI catalogue case is a first delivery that lacks an
extract. KPI identities, share ranges and negative counts cannot be produced by a delivery
(dbt computes them correctly), so tests/test_quality_expectations.py injects those into kpi_values.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from in_process_runs import quality_in_this_process

from dagster_project.defs.quality import step_of
from dagster_project.fiscal import Quarter
from dagster_project.ingest.delivery import write_demo_marker
from dagster_project.quality import history
from dagster_project.settings import Settings

pytestmark = pytest.mark.slow
QUARTER = Quarter.parse("2025-26-Q1")


def _wired() -> bool:
    """Whether build_definitions() already includes the quality checks."""
    from dagster_project.definitions import build_definitions

    return any(
        k.name == "quality_gate"
        for c in build_definitions().asset_checks
        for k in getattr(c, "check_keys", [])
    )


def definitions_with_quality(settings=None) -> dg.Definitions:
    """The platform's definitions plus the quality checks (unless they are wired in already)."""
    from dagster_project.definitions import build_definitions
    from dagster_project.defs import quality

    base = build_definitions(settings)
    have = {k for c in base.asset_checks for k in getattr(c, "check_keys", [])}
    mine = [c for c in quality.asset_checks if not set(c.check_keys) & have]
    return dg.Definitions.merge(base, dg.Definitions(asset_checks=mine)) if mine else base


def _settings(root: Path) -> Settings:
    return Settings.from_env(
        warehouse=root / "warehouse" / "toex.duckdb",
        landing=root / "landing",
        exports=root / "exports",
        inbox=root / "inbox",
        data_dir=root,
    )


def _failed_checks(instance: dg.DagsterInstance, run_ids: list[str]) -> dict[str, set[str]]:
    """Each failed blocking check of the runs (`asset:check`) and the expectations it failed,
    from the check's metadata: its description, which `outcome.blocking_failures` repeats, lists
    them all but is cut to one line."""
    failed = {}
    for run_id in run_ids:
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
            evaluation = entry.dagster_event.event_specific_data
            if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
                listed = evaluation.metadata.get("failed_expectations")
                failed[f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"] = set(
                    listed.value if listed else ()
                )
    return failed


@pytest.fixture(scope="module")
def run_pipeline():
    from dagster_project import pipeline

    def run(root: Path, delivery: Path):
        write_demo_marker(
            delivery
        )  # derived from the demo delivery, still synthetic: the public key may be used
        with pytest.MonkeyPatch.context() as mp, dg.DagsterInstance.ephemeral() as instance:
            mp.setattr(pipeline, "build_definitions", definitions_with_quality)
            mp.setenv("TOEX_DEMO", "1")  # synthetic data: the public development pseudonym key
            mp.delenv("TOEX_PSEUDONYM_KEY", raising=False)
            mp.delenv("TOEX_QUALITY_AS_OF", raising=False)
            quality_in_this_process(mp)
            outcome = pipeline.execute(QUARTER, _settings(root), delivery, instance=instance)
            materialised = {
                r.asset_key.to_user_string()
                for r in instance.fetch_materializations(
                    dg.AssetRecordsFilter(asset_key=dg.AssetKey(["kpis", "kpi_values"])), limit=10
                ).records
            }
            failed = _failed_checks(instance, outcome.run_ids)
        return outcome, materialised, failed

    return run


@pytest.fixture(scope="module")
def demo(request, tmp_path_factory, run_pipeline):
    """The demo run: the session's `demo_run` once the checks are wired in, else our own."""
    if _wired():
        settings, outcome, delivery = request.getfixturevalue("demo_run")
        return settings.data_dir, delivery, outcome
    from dagster_project.generator import generate

    root = tmp_path_factory.mktemp("quality_demo")
    delivery = root / "delivery"
    generate(delivery, seed=20250630, scale=1)
    outcome, _, _ = run_pipeline(root, delivery)
    return root, delivery, outcome


def test_the_demo_passes_every_gate_and_carries_the_comms_warning(demo):
    root, _, outcome = demo
    assert outcome.step_failures == [] and outcome.blocking_failures == [], outcome
    assert outcome.exit_code == 0
    comms = [w for w in outcome.warnings if w.startswith("raw/comms_metrics:quality_warnings")]
    assert comms and "expectation website_new_users_not_above_users_month failed" in comms[0]
    assert "new_users=259.0" in comms[0]  # May 2025: 129 users, 259 new users
    with duckdb.connect(str(root / "warehouse" / "toex.duckdb"), read_only=True) as con:
        # The raw suites ran in the ingest run, the others in the publish run.
        warnings = [w for r in outcome.run_ids for w in history.warnings_for_run(con, r)]
        results = [x for r in outcome.run_ids for x in history.results_for_run(con, r)]
    assert {
        "website_new_users_not_above_users_month",
        "website_new_users_not_above_users_quarter",
    } <= {w["expectation"] for w in warnings}
    assert {r["suite"] for r in results} >= {
        "raw_comms_metrics",
        "raw_disruptions",
        "kpis_kpi_values",
    }
    assert all(r["success"] for r in results if r["severity"] == "error")
    assert (root / "gx_docs" / "index.html").is_file()
    packs = list(
        (root / "exports" / QUARTER.slug).glob("evaluation_pack_*.html")
    )  # published, warning included
    assert packs and "website_new_users_not_above_users_month" in packs[0].read_text(
        encoding="utf-8"
    )


def _rewrite(path: Path, change) -> None:
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0])
    rows = change(rows)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def _half_the_disruptions(d: Path) -> None:
    _rewrite(d / "disruptions.csv", lambda rows: rows[: len(rows) * 2 // 5])


def _a_future_disruption(d: Path) -> None:
    def change(rows):
        rows[0]["disruption_date"] = "2099-01-01"
        return rows

    _rewrite(d / "disruptions.csv", change)


def _toex_disruptions_on_an_operation_without_job(d: Path) -> None:
    with_job = {r["operation_ref"] for r in _rows(d / "toex_jobs.csv")}
    orphan = next(
        r["operation_ref"]
        for r in _rows(d / "operations.csv")
        if r["operation_ref"] not in with_job
    )

    def change(rows):
        for r in rows:
            if r["toex_involved"].strip().lower() in ("true", "yes", "y", "1"):
                r["operation_ref"] = orphan
        return rows

    _rewrite(d / "disruptions.csv", change)


def _implausible_risk_scores(d: Path) -> None:
    def change(rows):
        for r in rows:
            r["risk_score"] = "1900"
        return rows

    _rewrite(d / "morile_assessments.csv", change)


# One violation per blocking raw expectation family, each in its own rows or file, all in one
# delivery: one run stopped at the raw gate serves the four tests below (the `raw_violations`
# fixture, one xdist group, tests/conftest.py), each asserting its expectation is named; together
# they assert that the run names exactly these four and nothing else, so a violation that stops
# being caught, or one that starts to catch good rows, fails a test as four runs did.
RAW_VIOLATIONS = {  # case: (injection, the check that blocks, the expectation it names)
    "volume": (_half_the_disruptions, "raw/disruptions:quality_gate", "volume_within_band"),
    "future_date": (
        _a_future_disruption,
        "raw/disruptions:quality_gate",
        "no_disruption_date_after_delivery",
    ),
    "reference_coverage": (
        _toex_disruptions_on_an_operation_without_job,
        "raw/disruptions:quality_gate",
        "toex_disruptions_have_job",
    ),
    "distribution": (
        _implausible_risk_scores,
        "raw/morile_assessments:quality_gate",
        "risk_score_mean_plausible",
    ),
}


@pytest.fixture(scope="module")
def raw_violations(demo, run_pipeline, tmp_path_factory):
    """The good demo delivery, then a next delivery carrying every violation of RAW_VIOLATIONS
    (the halving first: the other injections change rows it keeps)."""
    demo_root, demo_delivery, _ = demo
    root = tmp_path_factory.mktemp("raw_violations") / "next"
    for part in ("warehouse", "landing"):  # the good demo delivery is the previous one
        shutil.copytree(demo_root / part, root / part)
    delivery = root / "delivery"
    shutil.copytree(demo_delivery, delivery)
    for inject, _, _ in RAW_VIOLATIONS.values():
        inject(delivery)
    return root, *run_pipeline(root, delivery)


@pytest.mark.parametrize("case", list(RAW_VIOLATIONS))
def test_a_raw_violation_stops_the_quarter_naming_the_expectation(raw_violations, case):
    root, outcome, kpi_materialisations, failed = raw_violations
    _, check, expectation = RAW_VIOLATIONS[case]
    suite = "raw_" + check.split("/")[1].split(":")[0]
    assert [
        f
        for f in outcome.blocking_failures
        if f.startswith(f"{check} — suite {suite}: expectation ")
    ], outcome.blocking_failures
    assert expectation in failed.get(check, ()), failed
    assert outcome.exit_code == 1
    # Only the injected violations: no other check or expectation failed, no other step.
    injected: dict[str, set[str]] = {}
    for _, c, e in RAW_VIOLATIONS.values():
        injected.setdefault(c, set()).add(e)
    assert failed == injected, failed
    assert {f.split(" — ")[0] for f in outcome.blocking_failures} == set(injected), outcome
    assert sorted(f.split(":")[0] for f in outcome.step_failures) == sorted(
        {step_of(c.split(":")[0]) for c in injected}
    ), outcome
    assert not kpi_materialisations  # dbt never ran on the bad delivery
    assert not (root / "exports" / QUARTER.slug).exists()


@pytest.mark.runs(0.8)
def test_a_missing_kpi_fails_the_kpi_gate_and_nothing_is_published(run_pipeline, demo, tmp_path):
    _, demo_delivery, _ = demo
    root = tmp_path / "first"
    delivery = root / "delivery"
    shutil.copytree(demo_delivery, delivery)
    (
        delivery / "comms_metrics.csv"
    ).unlink()  # a first delivery without the comms extract: no Q2.5 figures
    outcome, kpi_materialisations, _ = run_pipeline(root, delivery)
    assert outcome.exit_code == 1
    failures = [
        f
        for f in outcome.blocking_failures
        if f.startswith(
            "kpis/kpi_values:quality_gate — suite kpis_kpi_values: "
            "expectation catalogue_measures_present failed"
        )
    ]
    assert failures and "measure=editions_published" in failures[0], outcome
    assert [f.split(":")[0] for f in outcome.step_failures] == ["gx_kpis_kpi_values"], outcome
    assert kpi_materialisations == {"kpis/kpi_values"}  # computed, then stopped at the gate
    assert not (root / "exports" / QUARTER.slug).exists()

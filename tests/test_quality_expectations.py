"""The expectation suites in expectations/, evaluated by Great Expectations on tiny DuckDB
warehouses: a clean table passes, a violation fails naming the expectation, and an
expectation that errors counts as failed."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import contracts, raw_table_ddl
from dagster_project.ingest.load import ensure_meta
from dagster_project.quality import history
from dagster_project.quality.runner import run_suite, runtime_parameters
from dagster_project.quality.suites import load_suite, load_suites

AS_OF = date(2025, 7, 10)
FIRST_DELIVERY = {"min_rows": 0, "max_rows": None, "as_of_date": AS_OF}
KPI_DDL = (
    "CREATE SCHEMA IF NOT EXISTS kpis; "
    """CREATE TABLE kpis.kpi_values (reporting_quarter VARCHAR, kpi_id VARCHAR,
    measure VARCHAR, period_type VARCHAR, period_start DATE, period_end DATE, breakdown VARCHAR, """
    """breakdown_value VARCHAR,
    value DOUBLE, unit VARCHAR)"""
)


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory) -> Path:
    """An empty warehouse: every raw table (from the contracts), the ingest tables, kpi_values."""
    path = tmp_path_factory.mktemp("quality") / "template.duckdb"
    with duckdb.connect(str(path)) as con:
        ensure_meta(con)
        con.execute(";".join(raw_table_ddl(c) for c in contracts().values()) + ";" + KPI_DDL)
    return path


@pytest.fixture
def wh(empty_warehouse, tmp_path) -> Path:
    path = tmp_path / "toex.duckdb"
    shutil.copyfile(empty_warehouse, path)
    return path


def sql(path: Path, statement: str, params=None) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(statement, params or [])


def validate(path: Path, suite: str, params: dict | None = None, quarter: str | None = None, **kw):
    run = run_suite(
        load_suites()[suite],
        path,
        parameters=FIRST_DELIVERY if params is None else params,
        reporting_quarter=quarter,
        run_id="test",
        **kw,
    )
    return {o.expectation: o for o in run.outcomes}


def failed(outcomes: dict) -> set[str]:
    return {n for n, o in outcomes.items() if not o.success}


# ------------------------------------------------------------------------------------ raw


def test_website_new_users_above_users_is_a_warning_naming_the_months(wh):
    sql(
        wh,
        "INSERT INTO raw.comms_metrics "
        """(_delivery_id, _row_number, month, channel, metric, value) VALUES
        ('d', 1, '2025-04-01', 'Website', 'users', 128), """
        """('d', 2, '2025-04-01', 'Website', 'new_users', 188),
        ('d', 3, '2025-05-01', 'Website', 'users', 129), """
        """('d', 4, '2025-05-01', 'Website', 'new_users', 100),
        ('d', 5, '2025-04-01', 'LinkedIn', 'page_views', 197)""",
    )
    out = validate(wh, "raw_comms_metrics")
    assert failed(out) == {
        "website_new_users_not_above_users_month",
        "website_new_users_not_above_users_quarter",
    }
    month = out["website_new_users_not_above_users_month"]
    assert month.severity == "warn" and not month.errored
    assert (
        "suite raw_comms_metrics: expectation website_new_users_not_above_users_month failed"
        in month.line()
    )
    assert (
        "month=2025-04-01" in month.message
        and "new_users=188" in month.message
        and "2025-05" not in month.message
    )
    assert out["website_new_users_not_above_users_quarter"].observed_value["unexpected_rows"] == 1


def test_clean_comms_metrics_pass(wh):
    sql(
        wh,
        "INSERT INTO raw.comms_metrics "
        """(_delivery_id, _row_number, month, channel, metric, value) VALUES
        ('d', 1, '2025-04-01', 'Website', 'users', 128), """
        "('d', 2, '2025-04-01', 'Website', 'new_users', 100)",
    )
    assert failed(validate(wh, "raw_comms_metrics")) == set()


def test_a_date_after_the_delivery_fails_the_gate(wh):
    sql(
        wh,
        "INSERT INTO raw.operations "
        """(_delivery_id, _row_number, operation_ref, team, owning_force, opened_date,
        soc_master_list) VALUES ('d', 1, 'TARIAN Op 1', 'TARIAN', 'Gwent', '2024-01-01', true),
                                ('d', 2, 'TARIAN Op 2', 'TARIAN', 'Gwent', '2099-01-01', true)""",
    )
    out = validate(wh, "raw_operations")
    assert failed(out) == {"no_opened_date_after_delivery"}
    o = out["no_opened_date_after_delivery"]
    assert (
        o.severity == "error"
        and "2099-01-01" in o.message
        and o.observed_value["unexpected_count"] == 1
    )
    assert (
        failed(validate(wh, "raw_operations", {**FIRST_DELIVERY, "as_of_date": date(2099, 1, 1)}))
        == set()
    )


def _disruptions(wh, with_job: int, without_job: int) -> None:
    sql(
        wh,
        "INSERT INTO raw.toex_jobs "
        """(_delivery_id, _row_number, job_id, operation_ref, team, origin, support_level,
        allocated_date, status) VALUES """
        "('d', 1, 'J1', 'LONDON Op 1', 'LONDON', 'tasked', 'full', '2024-01-01', 'ongoing')",
    )
    rows = [
        f"('d', {i}, 'D{i}', '{'LONDON Op 1' if i < with_job else 'LONDON Op 2'}', "
        "'2025-05-01', 'CSA', 'minor', "
        f"'moderated', '2025-05-02', true)"
        for i in range(with_job + without_job)
    ]
    sql(
        wh,
        "INSERT INTO raw.disruptions (_delivery_id, _row_number, disruption_id, operation_ref, "
        "disruption_date, threat_type, impact, moderation_status, moderated_date, toex_involved) "
        "VALUES " + ", ".join(rows),
    )


def test_toex_disruption_job_coverage_above_threshold_passes(wh):
    _disruptions(wh, with_job=8, without_job=2)
    assert {"toex_disruptions_have_job", "toex_disruptions_mostly_have_job"}.isdisjoint(
        failed(validate(wh, "raw_disruptions"))
    )


def test_toex_disruption_job_coverage_drift_warns(wh):
    _disruptions(wh, with_job=3, without_job=7)
    out = validate(wh, "raw_disruptions")
    assert "toex_disruptions_have_job" not in failed(out)
    o = out["toex_disruptions_mostly_have_job"]
    assert not o.success and o.severity == "warn" and "share_with_job=0.3" in o.message


def test_toex_disruption_job_coverage_collapse_fails_the_gate(wh):
    _disruptions(wh, with_job=0, without_job=10)
    o = validate(wh, "raw_disruptions")["toex_disruptions_have_job"]
    assert not o.success and o.severity == "error" and not o.errored
    assert "without_job=10" in o.message and "share_with_job=0.0" in o.message


# The cross-table shares are a LEFT JOIN on the referenced table's distinct keys (docs/SCALE_LOG.md,
# "big2"): the same counts as the NOT EXISTS they replaced, a referenced key listed twice
# counting once and a row whose key is listed nowhere counting as unlisted.


def _identifications(wh, with_job: int, without_job: int) -> None:
    sql(
        wh,
        "INSERT INTO raw.toex_jobs "
        """(_delivery_id, _row_number, job_id, operation_ref, team, origin, support_level,
        allocated_date, status) VALUES """
        "('d', 1, 'J1', 'LONDON Op 1', 'LONDON', 'tasked', 'full', '2024-01-01', 'ongoing'), "
        "('d', 2, 'J2', 'LONDON Op 1', 'LONDON', 'tasked', 'full', '2024-02-01', 'ongoing')",
    )
    rows = [
        f"('d', {i}, 'I{i}', 'IWT', 'R{i}', "
        f"'{'LONDON Op 1' if i < with_job else 'LONDON Op 2'}', '2025-05-01', 'ocg', true)"
        for i in range(with_job + without_job)
    ] + ["('d', 99, 'I99', 'APMIS', 'R99', 'LONDON Op 3', '2025-05-01', 'ocg', true)"]
    sql(wh, "INSERT INTO raw.identifications VALUES " + ", ".join(rows))


def test_iwt_identification_job_coverage_drift_warns_and_collapse_fails_the_gate(wh):
    _identifications(wh, with_job=3, without_job=7)
    out = validate(wh, "raw_identifications")
    assert "iwt_identifications_have_job" not in failed(out)
    o = out["iwt_identifications_mostly_have_job"]
    assert not o.success and o.severity == "warn"
    assert "iwt_identifications=10, without_job=7, share_with_job=0.3" in o.message
    sql(wh, "DELETE FROM raw.identifications; DELETE FROM raw.toex_jobs")
    _identifications(wh, with_job=0, without_job=10)
    o = validate(wh, "raw_identifications")["iwt_identifications_have_job"]
    assert not o.success and o.severity == "error" and not o.errored
    assert "without_job=10" in o.message and "share_with_job=0.0" in o.message


def test_open_soc_operations_without_a_threat_fail_the_gate(wh):
    operations = [
        f"('d', {i}, 'LONDON Op {i}', 'LONDON', 'Met', '2024-01-01', NULL, true)" for i in range(20)
    ] + ["('d', 20, 'LONDON Op 20', 'LONDON', 'Met', '2024-01-01', '2024-06-01', true)"]
    sql(wh, "INSERT INTO raw.operations VALUES " + ", ".join(operations))
    # Op 0 has two threats (counted once); Op 20 is closed (not counted).
    threats = [f"('d', {i}, 'LONDON Op {i}', 'CSA', NULL)" for i in range(19)]
    threats += ["('d', 50, 'LONDON Op 0', 'Drugs', NULL)", "('d', 51, 'LONDON Op 20', 'CSA', NULL)"]
    sql(wh, "INSERT INTO raw.operation_threats VALUES " + ", ".join(threats))
    out = validate(wh, "raw_operation_threats")
    assert "soc_operations_have_threat" not in failed(out), out["soc_operations_have_threat"]
    sql(
        wh,
        "DELETE FROM raw.operation_threats WHERE operation_ref IN ('LONDON Op 1', 'LONDON Op 2')",
    )
    o = validate(wh, "raw_operation_threats")["soc_operations_have_threat"]
    assert not o.success and o.severity == "error" and not o.errored
    assert "soc_operations=20, without_threat=3, share_with_threat=0.85" in o.message


def test_assessments_of_a_threat_not_listed_on_their_operation_warn(wh):
    threats = ["('d', 1, 'LONDON Op 1', 'CSA', NULL)", "('d', 2, 'LONDON Op 1', 'CSA', 'x')"]
    sql(wh, "INSERT INTO raw.operation_threats VALUES " + ", ".join(threats))
    _assessments(wh, [400, 500, 600, 450], [1, 2, 3, 4])
    assert "assessment_threat_on_operation" not in failed(validate(wh, "raw_morile_assessments"))
    sql(wh, "UPDATE raw.morile_assessments SET threat_type = 'Drugs' WHERE _row_number < 2")
    o = validate(wh, "raw_morile_assessments")["assessment_threat_on_operation"]
    assert not o.success and o.severity == "warn"
    assert "assessments=4, threat_not_listed=2, share_listed=0.5" in o.message


def _assessments(wh, scores, oris):
    rows = [
        f"('d', {i}, 'A{i}', 'LONDON Op 1', 'CSA', '2025-05-01', {s}, "
        f"{o if o is not None else 'NULL'})"
        for i, (s, o) in enumerate(zip(scores, oris, strict=False))
    ]
    sql(
        wh,
        "INSERT INTO raw.morile_assessments (_delivery_id, _row_number, assessment_id, "
        "operation_ref, threat_type, assessment_date, risk_score, ori) VALUES " + ", ".join(rows),
    )


def test_risk_score_distribution_and_ori_range(wh):
    _assessments(wh, [400, 500, 600, 450], [1, 5, None, 3])
    out = validate(wh, "raw_morile_assessments")
    assert {"risk_score_mean_plausible", "ori_in_1_to_5", "ori_mostly_completed"}.isdisjoint(
        failed(out)
    )
    sql(wh, "DELETE FROM raw.morile_assessments")
    _assessments(wh, [1900, 1950, 2000, 1800], [6, None, None, None])
    out = validate(wh, "raw_morile_assessments")
    assert {"risk_score_mean_plausible", "ori_in_1_to_5", "ori_mostly_completed"} <= failed(out)
    assert out["risk_score_mean_plausible"].observed_value == pytest.approx(1912.5)


def test_volume_band_comes_from_the_previous_delivery(wh):
    suite = load_suites()["raw_case_studies"]
    sql(
        wh,
        """INSERT INTO ingest.deliveries (delivery_id, arrived_at) VALUES
        ('d1', '2025-04-10T09:00:00+00:00'), ('d2', '2025-07-10T23:30:00+00:00')""",
    )
    sql(wh, "INSERT INTO ingest.current_delivery VALUES ('d2', now())")
    sql(
        wh,
        "INSERT INTO raw.case_studies "
        "(_delivery_id, _row_number, quarter, operation_ref, title, body_markdown, publish) "
        "SELECT 'd2', range, '2025-26 Q1', 'LONDON Op ' || range, 't', 'b', false FROM range(3)",
    )
    with duckdb.connect(str(wh), read_only=True) as con:
        params, notes = runtime_parameters(con, suite)
    assert params == {"min_rows": 0, "max_rows": None} and "first delivery" in notes["volume_band"]
    sql(
        wh,
        "INSERT INTO ingest.file_loads (load_id, delivery_id, extract, status, rows_accepted) "
        "VALUES ('d1/case_studies', 'd1', 'case_studies', 'loaded', 10)",
    )
    with duckdb.connect(str(wh), read_only=True) as con:
        params, notes = runtime_parameters(con, suite)
        assert params == {"min_rows": 9, "max_rows": 31}
        # arrived 23:30 UTC on 10 July = 00:30 on 11 July in London
        assert runtime_parameters(con, load_suites()["raw_operations"])[0]["as_of_date"] == date(
            2025, 7, 11
        )
    out = validate(wh, "raw_case_studies", params)
    assert failed(out) == {"volume_within_band"}
    assert (
        out["volume_within_band"].severity == "error"
        and out["volume_within_band"].observed_value == 3
    )


# ------------------------------------------------------------------------------------ KPIs


def catalogue() -> list[tuple[str, str]]:
    suite = load_suites()["kpis_kpi_values"]
    query = next(
        e
        for e in suite.raw_json()["expectations"]
        if e["meta"]["name"] == "catalogue_measures_present"
    )
    return re.findall(r"\('(Q\d\.\d)', '([a-z0-9_]+)'\)", query["kwargs"]["unexpected_rows_query"])


def _kpi_rows(quarter: str, start: str) -> list[tuple]:
    special = {
        ("Q1.2", "assessments"): 4,
        ("Q1.2", "ori_updates"): 2,
        ("Q2.4", "positions_total"): 1,
    }
    rows = []
    for kpi, measure in catalogue():
        unit = "share" if measure.endswith("_share") else "count"
        breakdown = (
            ("status", "filled") if (kpi, measure) == ("Q2.4", "positions") else ("all", "all")
        )
        rows.append(
            (
                quarter,
                kpi,
                measure,
                "quarter",
                start,
                start,
                *breakdown,
                special.get((kpi, measure), 1.0),
                unit,
            )
        )
    return rows


@pytest.fixture
def kpis(wh) -> Path:
    rows = _kpi_rows("2024-25 Q4", "2025-01-01") + _kpi_rows("2025-26 Q1", "2025-04-01")
    sql(
        wh,
        "INSERT INTO kpis.kpi_values VALUES "
        + ", ".join("(" + ", ".join(repr(v) for v in r) + ")" for r in rows),
    )
    return wh


def validate_kpis(path):
    return validate(path, "kpis_kpi_values", {}, quarter="2025-26 Q1")


def test_clean_kpi_values_pass(kpis):
    assert len(catalogue()) > 80
    assert failed(validate_kpis(kpis)) == set()


TAMPERS = {  # one violation per blocking KPI expectation, each on different rows of 2025-26 Q1
    "score_changes_add_up": (
        "UPDATE kpis.kpi_values SET value = 5 WHERE kpi_id = 'Q1.2' AND measure = 'assessments'"
    ),
    "ori_changes_add_up": "UPDATE kpis.kpi_values SET value = 7 WHERE measure = 'ori_updates'",
    "shares_between_0_and_1": (
        "UPDATE kpis.kpi_values SET value = 1.2 WHERE measure = 'recommend_yes_share'"
    ),
    "counts_not_negative": "UPDATE kpis.kpi_values SET value = -1 WHERE measure = 'starters'",
    "catalogue_measures_present": "DELETE FROM kpis.kpi_values WHERE measure = 'followers'",
    "position_statuses_add_up": (
        "UPDATE kpis.kpi_values SET value = 3 WHERE measure = 'positions_total'"
    ),
    "values_finite": "UPDATE kpis.kpi_values SET value = 'nan'::DOUBLE WHERE measure = 'ocgs'",
    "values_not_null": "UPDATE kpis.kpi_values SET value = NULL WHERE measure = 'vulnerabilities'",
}


def test_each_kpi_violation_fails_the_gate_naming_its_expectation(kpis):
    q1 = " AND reporting_quarter = '2025-26 Q1'"
    for statement in TAMPERS.values():
        sql(kpis, statement + q1)
    sql(
        kpis,
        "INSERT INTO kpis.kpi_values SELECT * FROM kpis.kpi_values "
        "WHERE measure = 'priority_individuals'" + q1,
    )
    out = validate_kpis(kpis)
    assert failed(out) == {*TAMPERS, "one_row_per_figure"}
    for name in failed(out):
        assert out[name].severity == "error" and not out[name].errored, out[name]
        assert f"expectation {name} failed" in out[name].line()
    assert "measure=followers" in out["catalogue_measures_present"].message
    assert "measure=starters" not in out["shares_between_0_and_1"].message


def test_a_quarter_on_quarter_jump_is_a_warning(kpis):
    sql(
        kpis,
        "UPDATE kpis.kpi_values SET value = 100 "
        "WHERE measure = 'starters' AND reporting_quarter = '2025-26 Q1'",
    )
    out = validate_kpis(kpis)
    assert failed(out) == {"quarter_on_quarter_jumps"}
    o = out["quarter_on_quarter_jumps"]
    assert (
        o.severity == "warn"
        and "measure=starters" in o.message
        and "previous_value=1.0" in o.message
    )


# ------------------------------------------------------------------------------------ errors


def test_an_erroring_expectation_counts_as_failed_and_does_not_take_others_down(wh):
    sql(wh, "ALTER TABLE raw.morile_assessments DROP COLUMN ori")
    _assessments_no_ori = [
        f"('d', {i}, 'A{i}', 'LONDON Op 1', 'CSA', '2025-05-01', {s})"
        for i, s in enumerate([400, 500])
    ]
    sql(
        wh,
        "INSERT INTO raw.morile_assessments (_delivery_id, _row_number, assessment_id, "
        "operation_ref, threat_type, assessment_date, risk_score) VALUES "
        + ", ".join(_assessments_no_ori),
    )
    out = validate(wh, "raw_morile_assessments")
    for name in ("ori_in_1_to_5", "ori_mostly_completed"):
        assert not out[name].success and out[name].errored, out[name]
        assert "could not be evaluated" in out[name].message and "ori" in out[name].message
    assert out["risk_score_mean_plausible"].success and out["volume_within_band"].success


def test_a_sql_error_in_one_expectation_does_not_abort_the_rest(wh, tmp_path):
    """DuckDB aborts the transaction of the persisted connection on error: gx_duckdb rolls it
    back."""
    body = load_suites()["raw_comms_metrics"].raw_json()
    bad = {
        "type": "unexpected_rows_expectation",
        "severity": "warning",
        "meta": {"name": "broken_sql", "severity": "warn"},
        "kwargs": {"unexpected_rows_query": "SELECT * FROM {batch} WHERE no_such_column > 1"},
    }
    body["expectations"] = [
        bad,
        *body["expectations"],
        {**bad, "meta": {"name": "broken_again", "severity": "warn"}},
    ]
    path = tmp_path / "raw_comms_metrics.json"
    path.write_text(json.dumps(body))
    sql(
        wh,
        "INSERT INTO raw.comms_metrics (_delivery_id, _row_number, month, channel, metric, value) "
        "VALUES ('d', 1, '2025-04-01', 'Website', 'users', 1), "
        "('d', 2, '2025-04-01', 'Website', 'new_users', 2)",
    )
    run = run_suite(load_suite(path), wh, parameters=FIRST_DELIVERY, run_id="t")
    out = {o.expectation: o for o in run.outcomes}
    assert (
        out["broken_sql"].errored and out["broken_again"].errored and not out["broken_sql"].success
    )
    assert "no_such_column" in out["broken_sql"].message
    assert out["volume_within_band"].success and out["no_month_after_delivery"].success
    assert not out["website_new_users_not_above_users_month"].success
    assert not out["website_new_users_not_above_users_month"].errored


def test_a_missing_table_fails_every_expectation(wh):
    sql(wh, "DROP TABLE raw.costs")
    out = validate(wh, "raw_costs")
    assert all(not o.success and o.errored for o in out.values())
    with duckdb.connect(str(wh)) as con:  # the file was released even so
        con.execute("SELECT 1")


# ------------------------------------------------------------------------------- history & docs


def test_history_and_data_docs(wh, tmp_path):
    sql(
        wh,
        "INSERT INTO raw.comms_metrics "
        """(_delivery_id, _row_number, month, channel, metric, value) VALUES
        ('d', 1, '2025-04-01', 'Website', 'users', 1), """
        "('d', 2, '2025-04-01', 'Website', 'new_users', 2)",
    )
    run = run_suite(
        load_suites()["raw_comms_metrics"],
        wh,
        parameters=FIRST_DELIVERY,
        run_id="run-1",
        docs_dir=tmp_path / "gx_docs",
        store_dir=tmp_path / "gx_store",
    )
    assert Path(run.docs_index).name == "index.html" and Path(run.docs_index).is_file()
    assert Path(run.docs_page).is_file() and "raw_comms_metrics" in run.docs_page
    from datetime import datetime

    with duckdb.connect(str(wh)) as con:
        assert (
            history.record(con, "run-1", datetime(2025, 7, 11), "raw/comms_metrics", run.outcomes)
            == 4
        )
        history.record(
            con, "run-1", datetime(2025, 7, 11), "raw/comms_metrics", run.outcomes
        )  # retried: replaced
        rows = history.results_for_run(con, "run-1")
        warnings = history.warnings_for_run(con, "run-1")
    assert len(rows) == 4 and {r["expectation"] for r in warnings} == {
        "website_new_users_not_above_users_month",
        "website_new_users_not_above_users_quarter",
    }
    assert all(
        r["severity"] == "warn" and r["suite"] == "raw_comms_metrics" and r["message"]
        for r in warnings
    )
    assert json.loads(warnings[0]["observed_value"])["unexpected_rows"] == 1

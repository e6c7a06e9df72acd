"""On the demo data, kpi_values for 2025-26 Q1 holds every measure of the KPI catalogue
(../shared/spec/KPIS.md) with the period types and breakdowns it names, and the detail tables
are filled."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

Q = "2025-26 Q1"
FLOW4 = ("quarter", "fy_to_date", "financial_year", "since_inception")

# (kpi_id, measure, period types, breakdowns) as KPIS.md names them.
CATALOGUE = (
    [
        ("Q1.1", m, FLOW4, {"all"})
        for m in ("safeguarding_referrals", "priority_individuals", "ocgs", "vulnerabilities")
    ]
    + [
        ("Q1.2", m, ("quarter", "since_inception"), {"involvement"})
        for m in (
            "assessments",
            "assessed_operations",
            "score_increases",
            "score_decreases",
            "score_unchanged",
            "first_assessments",
            "mean_increase",
            "mean_decrease",
            "large_decreases",
        )
    ]
    + [
        ("Q1.2", m, ("since_inception",), {"involvement"})
        for m in (
            "ori_updates",
            "ori_decreases",
            "ori_increases",
            "ori_decreases_first_after_support",
        )
    ]
    + [
        ("Q1.2", "score_change_p_value", ("quarter", "since_inception"), {"all"}),
        ("Q1.3", "disruptions", FLOW4, {"involvement", "threat_type", "impact"}),
        ("Q1.3", "disrupted_operations", FLOW4, {"involvement"}),
        ("Q1.3", "disruptions_per_operation", FLOW4, {"involvement"}),
    ]
    + [
        ("Q1.3", m, FLOW4, {"all"})
        for m in (
            "awaiting_moderation",
            "awaiting_moderation_tool",
            "tool_disruptions",
            "tool_disruption_share",
            "exploitation_share",
        )
    ]
    + [("Q1.4", m, FLOW4, {"all"}) for m in ("safeguarding_referrals", "safeguarding_operations")]
    + [("Q2.1", m, ("quarter",), {"origin"}) for m in ("jobs_opened", "jobs_closed")]
    + [
        ("Q2.1", m, ("as_at",), {"origin"})
        for m in ("jobs_ongoing", "full_support_share", "mean_days_open")
    ]
    + [
        ("Q2.2", "responses", ("quarter",), {"all"}),
    ]
    + [
        ("Q2.2", q, ("quarter",), {"answer"})
        for q in (
            "q1_referral_clear",
            "q2_team_accessible",
            "q3_kept_updated",
            "q4_timescales_met",
            "q5_terms_of_reference",
            "q6_product_useful",
        )
    ]
    + [
        ("Q2.2", m, ("since_inception",), {"all"})
        for m in ("recommend_responses", "recommend_yes_share")
    ]
    + [
        ("Q2.3", "soc_exploitation_operations", ("as_at",), {"all", "threat_type"}),
        ("Q2.3", "soc_exploitation_share", ("as_at",), {"threat_type"}),
        ("Q2.3", "sexual_exploitation_operations", ("as_at",), {"all"}),
        ("Q2.3", "sexual_exploitation_share", ("as_at",), {"all"}),
    ]
    + [
        ("Q2.3", m, ("quarter",), {"threat_type"})
        for m in ("assessments", "assessed_operations", "top10_operations", "top10_toex_supported")
    ]
    + [
        ("Q2.3", "toex_supported_operations", ("since_inception",), {"all"}),
        ("Q2.3", "new_toex_supported_operations", ("quarter",), {"all"}),
        ("Q2.4", "positions", ("as_at",), {"status"}),
        ("Q2.4", "position_share", ("as_at",), {"status"}),
        ("Q2.4", "positions_total", ("as_at",), {"all"}),
        ("Q2.4", "starters", ("quarter",), {"all"}),
        ("Q2.4", "leavers", ("quarter",), {"all", "leaving_reason"}),
        ("Q2.4", "promotions", ("quarter",), {"all"}),
        ("Q2.4", "staff_in_post", ("as_at",), {"all"}),
        ("Q2.4", "mean_length_of_service_days", ("as_at",), {"all"}),
        ("Q2.4", "survey_respondents", ("quarter",), {"wave"}),
        ("Q2.4", "survey_response_rate", ("quarter",), {"wave"}),
        ("Q2.4", "engagement_score", ("quarter",), {"wave"}),
        ("Q3.1", "capabilities", ("as_at",), {"stage"}),
        ("Q3.1", "deployments", ("quarter",), {"all"}),
        ("Q3.1", "mean_days_idea_to_deployed", ("since_inception",), {"all"}),
        ("Q3.2", "organisations_accepted", ("as_at",), {"org_type"}),
        ("Q3.2", "organisations_onboarded", ("as_at",), {"org_type"}),
        ("Q3.2", "force_coverage_share", ("as_at",), {"all"}),
        ("Q3.2", "ce_cost_gbp", ("quarter",), {"all"}),
    ]
    + [
        ("Q3.3", m, ("quarter", "since_inception"), {"tool"})
        for m in (
            "tool_disruptions",
            "tool_jobs",
            "tool_units",
            "tool_organisations",
            "tool_active_users_peak",
        )
    ]
    + [
        ("Q4.1", "registered_users", ("as_at",), {"platform", "role"}),
        ("Q4.1", "organisations_reached", ("as_at",), {"platform"}),
        ("Q4.1", "active_users", ("quarter",), {"platform"}),
        ("Q4.2", "warehouse_bytes", ("as_at",), {"all"}),
        ("Q4.2", "warehouse_rows", ("as_at",), {"all"}),
        ("Q4.2", "pipeline_runs", ("quarter",), {"all"}),
        ("Q4.3", "dp_cost_gbp", ("quarter", "fy_to_date", "since_inception"), {"all"}),
        ("Q5.1", "costs_gbp", FLOW4, {"all", "category", "cost_centre"}),
        ("Q5.1", "cost_per_disruption_gbp", FLOW4, {"all"}),
        ("Q5.1", "cost_per_safeguarding_referral_gbp", FLOW4, {"all"}),
        ("Q5.2", "gross_savings_gbp", FLOW4, {"all", "tool"}),
        ("Q5.2", "net_savings_gbp", FLOW4, {"all"}),
    ]
)


@pytest.fixture(scope="module")
def present(dbt_demo_warehouse):
    rows = dbt_demo_warehouse.execute(
        "SELECT DISTINCT kpi_id, measure, period_type, breakdown FROM kpis.kpi_values "
        "WHERE reporting_quarter = ?",
        [Q],
    ).fetchall()
    return set(rows)


@pytest.mark.parametrize(
    "kpi_id,measure,period_types,breakdowns",
    CATALOGUE,
    ids=[f"{k}-{m}" for k, m, _, _ in CATALOGUE],
)
def test_catalogue_measure_present(present, kpi_id, measure, period_types, breakdowns):
    missing = [
        (p, b) for p in period_types for b in breakdowns if (kpi_id, measure, p, b) not in present
    ]
    assert not missing, f"{kpi_id} {measure} missing for {missing}"


def test_survey_question_measures(dbt_demo_warehouse):
    rows = dbt_demo_warehouse.execute(
        "SELECT measure, breakdown, count(*) FROM kpis.kpi_values "
        "WHERE reporting_quarter = ? AND kpi_id = 'Q2.4' "
        "AND measure LIKE 'survey!_%' ESCAPE '!' "
        "AND measure NOT IN ('survey_respondents', 'survey_response_rate') "
        "GROUP BY measure, breakdown",
        [Q],
    ).fetchall()
    shares = {m for m, b, _ in rows if b == "answer"}
    changes = {m for m, b, _ in rows if b == "wave"}
    assert len(shares) == 11, shares  # the May 2025 wave asked 11 questions
    assert len(changes) == 10, changes  # the new tools question has no change
    assert all(n == 3 for m, b, n in rows if b == "answer")


def test_every_quarter_since_inception_is_computed(dbt_demo_warehouse):
    quarters = [
        r[0]
        for r in dbt_demo_warehouse.execute(
            "SELECT DISTINCT reporting_quarter FROM kpis.kpi_values ORDER BY 1"
        ).fetchall()
    ]
    assert quarters[0] == "2021-22 Q1" and quarters[-1] == Q and len(quarters) == 17


def test_detail_tables(dbt_demo_warehouse):
    changes = dbt_demo_warehouse.execute(
        "SELECT change_rank, operation_ref, previous_risk_score, risk_score, score_change "
        "FROM kpis.kpi_toex_risk_score_changes WHERE reporting_quarter = ? ORDER BY change_rank",
        [Q],
    ).fetchall()
    assert len(changes) == 11
    assert changes[0][1:] == ("YHROCU Op 7", 510, 76, -434)
    top10 = dbt_demo_warehouse.execute(
        "SELECT month_end, threat_type, count(*) FROM kpis.kpi_top10_snapshots "
        "WHERE reporting_quarter = ? GROUP BY month_end, threat_type",
        [Q],
    ).fetchall()
    assert len(top10) == 9 and all(n == 10 for *_, n in top10)


def test_dbt_build_on_the_demo_data_warns_only_about_new_users(dbt_demo):
    assert dbt_demo.returncode == 0, dbt_demo.stdout[-6000:]
    assert "ERROR=0" in dbt_demo.stdout and "WARN=1" in dbt_demo.stdout
    assert "WARN 4 warn_comms_new_users_exceed_users" in dbt_demo.stdout


def test_quarters_are_computed_as_at_their_own_end(dbt_demo, tmp_path):
    """A past quarter's figures in the 2025-26 Q1 run equal those of a run whose latest quarter
    is that past quarter: nothing looks at the clock or past a quarter's end (e.g. jobs ongoing
    at 2024-06-30 include jobs closed since)."""
    import shutil

    import duckdb
    from _dbt_helpers import run_dbt

    from dagster_project.dbt_project import QUARTER_ENV

    copy = tmp_path / "warehouse" / "toex.duckdb"
    copy.parent.mkdir()
    shutil.copy(dbt_demo.warehouse, copy)
    # The quarter as the pipeline passes it (an environment variable): dbt keeps its saved parse.
    result = run_dbt(["run"], copy, tmp_path, env={QUARTER_ENV: "2024-25 Q1"})
    assert result.returncode == 0, result.stdout[-4000:]
    query = (
        "SELECT kpi_id, measure, period_type, period_start, breakdown, breakdown_value, value "
        "FROM kpis.kpi_values WHERE reporting_quarter = '2024-25 Q1' AND kpi_id <> 'Q4.2' "
        "ORDER BY ALL"
    )
    past = duckdb.connect(str(copy), read_only=True)
    latest = duckdb.connect(str(dbt_demo.warehouse), read_only=True)
    try:
        assert (
            past.execute("SELECT max(reporting_quarter) FROM kpis.kpi_values").fetchone()[0]
            == "2024-25 Q1"
        )
        past_rows, latest_rows = past.execute(query).fetchall(), latest.execute(query).fetchall()
        ongoing = latest.execute(
            "SELECT value FROM kpis.kpi_values WHERE reporting_quarter = '2024-25 Q1' "
            "AND measure = 'jobs_ongoing' AND breakdown = 'all'"
        ).fetchone()[0]
        expected = latest.execute(
            "SELECT count(*) FROM marts.fct_jobs WHERE allocated_date <= DATE '2024-06-30' "
            "AND (closed_date IS NULL OR closed_date > DATE '2024-06-30')"
        ).fetchone()[0]
    finally:
        past.close()
        latest.close()
    assert len(past_rows) > 500
    assert [r[:-1] for r in past_rows] == [r[:-1] for r in latest_rows]
    assert [r[-1] for r in past_rows] == pytest.approx(
        [r[-1] for r in latest_rows], rel=1e-9, abs=1e-9
    )
    assert ongoing == expected

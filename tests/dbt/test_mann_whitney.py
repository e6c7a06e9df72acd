"""Q1.2 score_change_p_value is computed in SQL (int_score_change_mann_whitney, macro erfc);
it must equal scipy.stats.mannwhitneyu(x, y, alternative='two-sided', method='asymptotic',
use_continuity=True) to 1e-6, x the TOEX-involved score changes and y the others, over every
non-first assessment from inception to each quarter end (period since_inception) and over the
quarter's own assessments (period quarter), with the same sample sizes and U = max(U1, U2)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import duckdb
import pytest
from _dbt_helpers import create_raw_layer, run_dbt
from scipy.stats import mannwhitneyu

TOLERANCE = 1e-6

CHANGES_SQL = """
    SELECT a.involvement, a.score_change
    FROM marts.fct_assessments a
    WHERE a.score_change IS NOT NULL AND a.assessment_date BETWEEN DATE '{start}' AND DATE '{end}'
"""


def scipy_p_values(
    con, inception: str = "2021-04-01", period: str = "since_inception"
) -> dict[str, float]:
    return {q: p for q, (p, _, _, _) in scipy_tests(con, inception, period).items()}


def scipy_tests(
    con, inception: str = "2021-04-01", period: str = "since_inception"
) -> dict[str, tuple]:
    """Per reporting quarter: (p-value, n TOEX, n other, max(U1, U2)) as SciPy computes them."""
    out = {}
    for quarter, start, end in con.execute(
        "SELECT reporting_quarter, quarter_start, quarter_end "
        "FROM intermediate.int_fiscal_quarters ORDER BY quarter_end"
    ).fetchall():
        first = max(str(start), inception) if period == "quarter" else inception
        rows = con.execute(CHANGES_SQL.format(start=first, end=end)).fetchall()
        x = [c for inv, c in rows if inv == "toex"]
        y = [c for inv, c in rows if inv == "non_toex"]
        if x and y and len(set(x + y)) > 1:
            result = mannwhitneyu(
                x, y, alternative="two-sided", method="asymptotic", use_continuity=True
            )
            u1 = float(result.statistic)
            out[quarter] = (float(result.pvalue), len(x), len(y), max(u1, len(x) * len(y) - u1))
    return out


def sql_p_values(
    con,
    table: str = "kpis.kpi_values",
    period: str = "since_inception",
    measure: str = "score_change_p_value",
) -> dict[str, float]:
    return dict(
        con.execute(
            f"SELECT reporting_quarter, value FROM {table} "
            "WHERE measure = ? AND period_type = ? AND breakdown = 'all'",
            [measure, period],
        ).fetchall()
    )


def _synthetic_assessments(seed: int, operations: int, shift: int) -> tuple[list, list]:
    """Random series with many ties (scores on a coarse grid) and TOEX jobs on some operations,
    whose assessments tend to fall by `shift` points."""
    rnd = random.Random(seed)
    assessments, jobs = [], []
    for i in range(operations):
        op = f"NEROCU Op {i + 1}"
        start = date(2021, 4, 1) + timedelta(days=rnd.randrange(0, 1400))
        toex = rnd.random() < 0.4
        if toex:
            jobs.append(
                (
                    f"J{i}",
                    op,
                    "NEROCU",
                    "tasked",
                    "full",
                    start + timedelta(days=rnd.randrange(0, 60)),
                    None,
                    "ongoing",
                )
            )
        score = rnd.randrange(0, 40) * 25
        d = start
        for k in range(rnd.randrange(1, 9)):
            d = d + timedelta(days=rnd.randrange(0, 90))  # 0: same-day assessments happen
            if d > date(2025, 6, 30):
                break
            step = rnd.choice([-50, -25, 0, 0, 25, 50]) - (
                shift if toex and rnd.random() < 0.5 else 0
            )
            score = min(2000, max(0, score + step))
            assessments.append(
                (
                    f"MA-{i:04d}-{k}",
                    op,
                    rnd.choice(["CSA", "MSHT"]),
                    d,
                    score,
                    rnd.choice([None, 1, 2, 3, 4, 5]),
                )
            )
    return assessments, jobs


def _load(warehouse, assessments, jobs):
    con = duckdb.connect(str(warehouse))
    try:
        con.executemany(
            "INSERT INTO raw.morile_assessments VALUES ('d1', 1, ?, ?, ?, ?, ?, ?)", assessments
        )
        con.executemany("INSERT INTO raw.toex_jobs VALUES ('d1', 1, ?, ?, ?, ?, ?, ?, ?, ?)", jobs)
    finally:
        con.close()


@pytest.mark.parametrize(
    "seed,operations,shift",
    [
        (2, 300, 25),
        pytest.param(1, 40, 0, marks=pytest.mark.slow),
        pytest.param(3, 600, 50, marks=pytest.mark.slow),
    ],
)
def test_p_value_matches_scipy_on_synthetic_series(tmp_path, seed, operations, shift):
    warehouse = tmp_path / "warehouse" / "toex.duckdb"
    create_raw_layer(warehouse)
    _load(warehouse, *_synthetic_assessments(seed, operations, shift))
    result = run_dbt(
        ["build", "-s", "+kpi_q1_2_risk_scores", "--exclude", "test_type:data", "test_type:unit"],
        warehouse,
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        expected, actual = scipy_p_values(con), sql_p_values(con, "kpis.kpi_q1_2_risk_scores")
    finally:
        con.close()
    assert expected, "the synthetic data should give p-values"
    assert set(actual) == set(expected)
    for quarter, p in expected.items():
        assert actual[quarter] == pytest.approx(p, abs=TOLERANCE), quarter


@pytest.mark.slow
def test_p_value_matches_scipy_on_the_demo_data(dbt_demo_warehouse):
    expected, actual = scipy_p_values(dbt_demo_warehouse), sql_p_values(dbt_demo_warehouse)
    assert "2025-26 Q1" in expected
    assert set(actual) == set(expected)
    for quarter, p in expected.items():
        assert actual[quarter] == pytest.approx(p, abs=TOLERANCE), quarter


@pytest.mark.slow
def test_the_quarter_test_matches_scipy_with_its_n_and_u(dbt_demo_warehouse):
    expected = scipy_tests(dbt_demo_warehouse, period="quarter")
    assert "2025-26 Q1" in expected
    actual = {
        m: sql_p_values(dbt_demo_warehouse, period="quarter", measure=m)
        for m in (
            "score_change_p_value",
            "score_change_n_toex",
            "score_change_n_non_toex",
            "score_change_u",
        )
    }
    assert set(actual["score_change_p_value"]) == set(expected)
    for quarter, (p, n_toex, n_other, u) in expected.items():
        assert actual["score_change_p_value"][quarter] == pytest.approx(p, abs=TOLERANCE), quarter
        assert (
            actual["score_change_n_toex"][quarter],
            actual["score_change_n_non_toex"][quarter],
        ) == (n_toex, n_other)
        assert actual["score_change_u"][quarter] == pytest.approx(u), quarter

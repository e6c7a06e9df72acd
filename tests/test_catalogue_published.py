"""On the demo run: kpis.kpi_catalogue describes exactly the figures of kpis.kpi_values (both
ways, every label, definition, population and unit filled), kpi_values is unambiguous
(period_label, population, units), and the catalogue and fiscal calendar reach the analysts'
copy and its Parquet."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

KEYS = "SELECT DISTINCT kpi_id, measure, breakdown FROM kpis.{table}"


def test_catalogue_and_kpi_values_describe_the_same_figures(demo_warehouse):
    published = set(demo_warehouse.execute(KEYS.format(table="kpi_values")).fetchall())
    catalogued = set(demo_warehouse.execute(KEYS.format(table="kpi_catalogue")).fetchall())
    assert published - catalogued == set() and catalogued - published == set()
    empty = demo_warehouse.execute(
        """SELECT count(*) FROM kpis.kpi_catalogue WHERE coalesce(label, '') = ''
        OR coalesce(definition, '') = '' OR coalesce(population, '') = '' """
        "OR coalesce(unit, '') = ''"
    ).fetchone()[0]
    assert empty == 0
    wrong_unit = demo_warehouse.execute(
        """SELECT count(*) FROM kpis.kpi_values v
        JOIN kpis.kpi_catalogue c USING (kpi_id, measure, breakdown) """
        "WHERE v.unit <> c.unit"
    ).fetchone()[0]
    assert wrong_unit == 0


def test_kpi_values_is_unambiguous(demo_warehouse):
    assert (
        demo_warehouse.execute(
            "SELECT count(*) FROM kpis.kpi_values WHERE period_label IS NULL OR population IS NULL"
        ).fetchone()[0]
        == 0
    )
    assert (
        demo_warehouse.execute(
            "SELECT count(*) FROM kpis.kpi_values WHERE unit IN ('share', 'p_value') "
            "AND (value < 0 OR value > 1)"
        ).fetchone()[0]
        == 0
    )
    units = dict(
        demo_warehouse.execute(
            "SELECT DISTINCT measure, unit FROM kpis.kpi_values WHERE measure IN "
            "('score_change_p_value', 'disruptions_per_operation', 'warehouse_bytes')"
        ).fetchall()
    )
    assert units == {
        "score_change_p_value": "p_value",
        "disruptions_per_operation": "ratio",
        "warehouse_bytes": "bytes",
    }
    fys = demo_warehouse.execute(
        """SELECT period_label FROM kpis.kpi_values WHERE reporting_quarter = '2025-26 Q1'
        AND measure = 'safeguarding_referrals' AND kpi_id = 'Q1.1' """
        """AND period_type = 'financial_year'
        ORDER BY period_start"""
    ).fetchall()
    assert [r[0] for r in fys] == ["FY 2021-22", "FY 2022-23", "FY 2023-24", "FY 2024-25"]
    populations = dict(
        demo_warehouse.execute("""SELECT DISTINCT breakdown, population FROM kpis.kpi_values
        WHERE kpi_id = 'Q1.3' AND measure = 'disruptions'""").fetchall()
    )
    assert populations["threat_type"] == "TOEX-involved moderated disruptions"
    assert populations["involvement"].startswith("All moderated disruptions")


def test_the_quarter_has_its_own_mann_whitney_test(demo_warehouse):
    rows = dict(
        demo_warehouse.execute(
            """SELECT measure, value FROM kpis.kpi_values
        WHERE reporting_quarter = '2025-26 Q1' AND period_type = 'quarter' """
            "AND measure LIKE 'score_change_%'"
        ).fetchall()
    )
    assert set(rows) == {
        "score_change_p_value",
        "score_change_u",
        "score_change_n_toex",
        "score_change_n_non_toex",
    }
    assert (
        rows["score_change_n_toex"] == 10
    )  # the quarter's 11 TOEX-involved assessments less 1 first assessment
    assert 0 <= rows["score_change_p_value"] <= 1


def test_catalogue_and_calendar_reach_the_analysts_copy(demo_run):
    settings, outcome, _ = demo_run
    assert outcome.step_failures == []
    published = settings.data_dir / "published"
    con = duckdb.connect(str(published / "toex.duckdb"), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM kpis.kpi_catalogue").fetchone()[0]
        quarters = con.execute("SELECT count(*) FROM marts.dim_fiscal_quarters").fetchone()[0]
    finally:
        con.close()
    assert n > 100 and quarters == 17
    parquet = pd.read_parquet(published / "parquet" / "kpis" / "kpi_catalogue.parquet")
    assert len(parquet) == n
    facts = pd.read_parquet(published / "parquet" / "marts" / "fct_disruptions.parquet")
    assert {"fiscal_year", "fiscal_quarter"} <= set(facts.columns)
    assert (published / "parquet" / "marts" / "dim_fiscal_quarters.parquet").exists()

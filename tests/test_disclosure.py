"""Disclosure control for external releases: primary and secondary suppression."""

from __future__ import annotations

from datetime import date

from dagster_project.publish.disclosure import suppressed_indexes
from dagster_project.publish.figures import KpiRow

Q, S, E = "2025-26 Q1", date(2025, 4, 1), date(2025, 6, 30)


def row(measure, breakdown, value, unit="count", bv=None, kpi="Q2.4"):
    return KpiRow(Q, kpi, measure, "quarter", S, E, breakdown, bv or breakdown, value, unit)


def test_small_count_and_its_complement_are_suppressed():
    rows = [
        row("leavers", "all", 12),
        row("leavers", "leaving_reason", 3, bv="retirement"),  # primary (< 5)
        row("leavers", "leaving_reason", 9, bv="left_policing"),  # secondary: else 12 - 9 - 0 = 3
        row("leavers", "leaving_reason", 0, bv="other"),
    ]
    assert suppressed_indexes(rows) == {1, 2}


def test_two_small_cells_need_no_secondary():
    rows = [
        row("x", "all", 20),
        row("x", "b", 2, bv="a"),
        row("x", "b", 3, bv="c"),
        row("x", "b", 15, bv="d"),
    ]
    assert suppressed_indexes(rows) == {1, 2}


def test_a_small_total_hides_its_cells_and_derived_shares():
    rows = [
        row("positions", "all", 4),
        row("positions", "status", 4, bv="filled"),
        row("positions", "status", 0, bv="vacant"),
        row("position_share", "status", 1.0, unit="share", bv="filled"),
        row("position_share", "status", 0.0, unit="share", bv="vacant"),
    ]
    hidden = suppressed_indexes(rows)
    assert {0, 1, 3} <= hidden and 2 not in hidden, (
        "zeros are not disclosive; the share of a hidden count is"
    )


def test_threshold_is_configurable_and_large_counts_stay():
    rows = [row("starters", "all", 3), row("disruptions", "all", 60, kpi="Q1.3")]
    assert suppressed_indexes(rows, threshold=5) == {0}
    assert suppressed_indexes(rows, threshold=3) == set()
    assert suppressed_indexes(rows, threshold=100) == {0, 1}

"""Q5, financial efficacy: costs incurred (Q5.1) and savings made (Q5.2)."""

from __future__ import annotations

from dagster_project.fiscal import Quarter

from .. import charts
from ..figures import Figures
from ..text import humanise
from .views import (
    History,
    gbp_axis,
)


def q5(figs: Figures, quarter: Quarter, history: History) -> dict:
    periods = (
        ("quarter", quarter.label),
        ("fy_to_date", f"FY {quarter.fy_label} to date"),
        ("since_inception", "Since inception"),
    )
    rows = []
    for measure, label in (
        ("costs_gbp", "Costs"),
        ("gross_savings_gbp", "Gross savings"),
        ("net_savings_gbp", "Net savings"),
        ("cost_per_disruption_gbp", "Cost per disruption"),
        ("cost_per_safeguarding_referral_gbp", "Cost per safeguarding referral"),
    ):
        kpi = "Q5.1" if measure.startswith("cost") else "Q5.2"
        rows.append(
            {
                "label": label,
                "cells": [figs.get(kpi, measure, p).or_dash("gbp") for p, _ in periods],
            }
        )
    categories = figs.breakdown("Q5.1", "costs_gbp", "quarter", "category")
    savings_by_tool = figs.breakdown("Q5.2", "gross_savings_gbp", "since_inception", "tool")
    return {
        "periods": [label for _, label in periods],
        "rows": rows,
        "gross_si": figs.get("Q5.2", "gross_savings_gbp", "since_inception"),
        "costs_si": figs.get("Q5.1", "costs_gbp", "since_inception"),
        "costs_q": figs.get("Q5.1", "costs_gbp", "quarter"),
        "per_disruption": figs.get("Q5.1", "cost_per_disruption_gbp", "since_inception"),
        "per_referral": figs.get("Q5.1", "cost_per_safeguarding_referral_gbp", "since_inception"),
        "net_si": figs.get("Q5.2", "net_savings_gbp", "since_inception"),
        "categories": [(humanise(k), v) for k, v in categories.items()],
        "savings_by_tool": [(k, v) for k, v in savings_by_tool.items()],
        "chart": charts.column_chart(
            "Costs and savings per quarter since inception",
            history.labels,
            [
                charts.Series("Costs", history.series("Q5.1", "costs_gbp"), charts.PALETTE[1]),
                charts.Series(
                    "Gross savings", history.series("Q5.2", "gross_savings_gbp"), charts.PALETTE[2]
                ),
            ],
            value_fmt=gbp_axis,
            labels=False,
        ),
    }

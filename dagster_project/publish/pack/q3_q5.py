"""Q3 (the Capabilities Environment), Q4 (the Data Platform) and Q5 (financial efficacy)."""

from __future__ import annotations

from dagster_project.fiscal import Quarter

from .. import charts
from ..figures import Fig, Figures
from ..text import humanise, join_words, number_word
from .views import (
    ORG_LABELS,
    ORG_TYPES,
    TDA_STAGES,
    TOOLS,
    History,
    capitalise_first,
    gbp_axis,
)


def org_count(org_type: str, fig: Fig) -> str:
    singular, plural = ORG_LABELS.get(org_type, (org_type, org_type))
    return f"{number_word(fig.int)} {singular if fig.int == 1 else plural}"


def q3(figs: Figures, quarter: Quarter) -> dict:
    stages = figs.breakdown("Q3.1", "capabilities", "as_at", "stage", order=TDA_STAGES)
    accepted = figs.breakdown("Q3.2", "organisations_accepted", "as_at", "org_type", order=ORG_TYPES)
    onboarded = figs.breakdown("Q3.2", "organisations_onboarded", "as_at", "org_type", order=ORG_TYPES)
    tools = sorted(
        {r.breakdown_value for r in figs.rows if r.kpi_id == "Q3.3" and r.breakdown == "tool"},
        key=lambda t: (TOOLS.index(t) if t in TOOLS else 99, t),
    )
    measures = ("tool_disruptions", "tool_jobs", "tool_units", "tool_organisations", "tool_active_users_peak")
    tool_rows = [
        {"tool": tool, "cells": [figs.get("Q3.3", m, p, "tool", tool).or_dash() for m in measures
                                 for p in ("quarter", "since_inception")]}
        for tool in tools
    ]
    return {
        "stages": [(humanise(k), v) for k, v in stages.items()],
        "stage_chart": charts.column_chart(
            f"Capabilities by TDA stage at {quarter.end:%d %B %Y}", [humanise(k) for k in stages],
            [charts.Series("Capabilities", [v.value for v in stages.values()], charts.PALETTE[4])]),
        "deployments": figs.get("Q3.1", "deployments", "quarter"),
        "idea_to_deployed": figs.get("Q3.1", "mean_days_idea_to_deployed", "since_inception"),
        "accepted_text": capitalise_first(join_words([org_count(k, v) for k, v in accepted.items() if v.ok])),
        "onboarded_text": join_words([org_count(k, v) for k, v in onboarded.items() if v.ok]),
        "coverage": figs.get("Q3.2", "force_coverage_share", "as_at"),
        "ce_cost": figs.get("Q3.2", "ce_cost_gbp", "quarter"),
        "tool_rows": tool_rows,
        "tool_chart": charts.column_chart(
            "Moderated disruptions with each technical tool",
            tools,
            [charts.Series(quarter.label, [figs.get("Q3.3", "tool_disruptions", "quarter", "tool", t).value for t in tools]),
             charts.Series("Since inception",
                           [figs.get("Q3.3", "tool_disruptions", "since_inception", "tool", t).value for t in tools])],
        ),
    }


def q4(figs: Figures, quarter: Quarter) -> dict:
    platforms = sorted({r.breakdown_value for r in figs.rows if r.kpi_id == "Q4.1" and r.breakdown == "platform"})
    roles = figs.breakdown("Q4.1", "registered_users", "as_at", "role")
    return {
        "platforms": [
            {"name": humanise(p), "registered": figs.get("Q4.1", "registered_users", "as_at", "platform", p),
             "organisations": figs.get("Q4.1", "organisations_reached", "as_at", "platform", p),
             "active": figs.get("Q4.1", "active_users", "quarter", "platform", p)}
            for p in platforms
        ],
        "roles": [(humanise(k), v) for k, v in roles.items()],
        "warehouse_bytes": figs.get("Q4.2", "warehouse_bytes", "as_at"),
        "warehouse_rows": figs.get("Q4.2", "warehouse_rows", "as_at"),
        "pipeline_runs": figs.get("Q4.2", "pipeline_runs", "quarter"),
        "dp_cost": {p: figs.get("Q4.3", "dp_cost_gbp", p) for p in ("quarter", "fy_to_date", "since_inception")},
    }


def q5(figs: Figures, quarter: Quarter, history: History) -> dict:
    periods = (("quarter", quarter.label), ("fy_to_date", f"FY {quarter.fy_label} to date"),
               ("since_inception", "Since inception"))
    rows = []
    for measure, label in (("costs_gbp", "Costs"), ("gross_savings_gbp", "Gross savings"),
                           ("net_savings_gbp", "Net savings"), ("cost_per_disruption_gbp", "Cost per disruption"),
                           ("cost_per_safeguarding_referral_gbp", "Cost per safeguarding referral")):
        kpi = "Q5.1" if measure.startswith("cost") else "Q5.2"
        rows.append({"label": label, "cells": [figs.get(kpi, measure, p).or_dash("gbp") for p, _ in periods]})
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
            [charts.Series("Costs", history.series("Q5.1", "costs_gbp"), charts.PALETTE[1]),
             charts.Series("Gross savings", history.series("Q5.2", "gross_savings_gbp"), charts.PALETTE[2])],
            value_fmt=gbp_axis, labels=False,
        ),
    }


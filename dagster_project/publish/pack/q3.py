"""Q3, the Capabilities Environment: the TDA pipeline (Q3.1), the environment in operation
(Q3.2), capability deployments (Q3.3)."""

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
    capitalise_first,
)


def org_count(org_type: str, fig: Fig) -> str:
    singular, plural = ORG_LABELS.get(org_type, (org_type, org_type))
    return f"{number_word(fig.int)} {singular if fig.int == 1 else plural}"


def q3(figs: Figures, quarter: Quarter) -> dict:
    stages = figs.breakdown("Q3.1", "capabilities", "as_at", "stage", order=TDA_STAGES)
    accepted = figs.breakdown(
        "Q3.2", "organisations_accepted", "as_at", "org_type", order=ORG_TYPES
    )
    onboarded = figs.breakdown(
        "Q3.2", "organisations_onboarded", "as_at", "org_type", order=ORG_TYPES
    )
    tools = sorted(
        {r.breakdown_value for r in figs.rows if r.kpi_id == "Q3.3" and r.breakdown == "tool"},
        key=lambda t: (TOOLS.index(t) if t in TOOLS else 99, t),
    )
    measures = (
        "tool_disruptions",
        "tool_jobs",
        "tool_units",
        "tool_organisations",
        "tool_active_users_peak",
    )
    tool_rows = [
        {
            "tool": tool,
            "cells": [
                figs.get("Q3.3", m, p, "tool", tool).or_dash()
                for m in measures
                for p in ("quarter", "since_inception")
            ],
        }
        for tool in tools
    ]
    return {
        "stages": [(humanise(k), v) for k, v in stages.items()],
        "stage_chart": charts.column_chart(
            f"Capabilities by TDA stage at {quarter.end:%d %B %Y}",
            [humanise(k) for k in stages],
            [charts.Series("Capabilities", [v.value for v in stages.values()], charts.PALETTE[4])],
        ),
        "deployments": figs.get("Q3.1", "deployments", "quarter"),
        "idea_to_deployed": figs.get("Q3.1", "mean_days_idea_to_deployed", "since_inception"),
        "accepted_text": capitalise_first(
            join_words([org_count(k, v) for k, v in accepted.items() if v.ok])
        ),
        "onboarded_text": join_words([org_count(k, v) for k, v in onboarded.items() if v.ok]),
        "coverage": figs.get("Q3.2", "force_coverage_share", "as_at"),
        "ce_cost": figs.get("Q3.2", "ce_cost_gbp", "quarter"),
        "tool_rows": tool_rows,
        "tool_chart": charts.column_chart(
            "Moderated disruptions with each technical tool",
            tools,
            [
                charts.Series(
                    quarter.label,
                    [
                        figs.get("Q3.3", "tool_disruptions", "quarter", "tool", t).value
                        for t in tools
                    ],
                ),
                charts.Series(
                    "Since inception",
                    [
                        figs.get("Q3.3", "tool_disruptions", "since_inception", "tool", t).value
                        for t in tools
                    ],
                ),
            ],
        ),
    }

"""Q1, impact on identification, prioritisation, disruption and protection: the view models of
KPIs Q1.1 to Q1.4."""

from __future__ import annotations

from datetime import date

from dagster_project.fiscal import Quarter

from .. import charts
from ..figures import NOT_AVAILABLE, Fig, Figures, first_available, ratio, round_half_up
from ..sources import Inputs
from ..text import humanise, join_words
from .views import (
    LARGE_DECREASE_POINTS,
    PACK_DETAIL_ROWS,
    History,
    counted,
    kpi_labels,
    lower_first,
    plain,
    signed,
)


def q1_1(figs: Figures, quarter: Quarter, history: History) -> dict:
    previous_fy = date(quarter.fy_start_year - 1, 4, 1)
    blocks = [
        ("Verified identifications since inception", "since_inception", None, "Number of"),
        (
            f"Verified identifications in FY {Quarter(quarter.fy_start_year - 1, 1).fy_label}",
            "financial_year",
            previous_fy,
            "Number of new",
        ),
    ]
    if quarter.q != 1:
        blocks.append(
            (
                f"Verified identifications in FY {quarter.fy_label} to date",
                "fy_to_date",
                None,
                "Number of new",
            )
        )
    blocks.append(
        (f"Verified identifications in {quarter.label}", "quarter", None, "Number of new")
    )
    tiles = [
        {
            "title": title,
            "figs": [
                (f"{prefix} {lower_first(label)}", figs.get("Q1.1", m, period, start=start))
                for m, label in kpi_labels("Q1.1").items()
            ],
        }
        for title, period, start, prefix in blocks
    ]
    chart = charts.line_chart(
        "Verified identifications per quarter since inception",
        history.labels,
        [
            charts.Series(label, history.series("Q1.1", m))
            for m, label in kpi_labels("Q1.1").items()
        ],
    )
    return {"tiles": tiles, "chart": chart}


def _risk_change_row(r: dict) -> dict:
    change = r["score_change"]
    return {
        "operation_ref": plain(r["operation_ref"]),
        "threat_type": plain(r["threat_type"]),
        "assessment_date": r["assessment_date"].isoformat()
        if hasattr(r["assessment_date"], "isoformat")
        else plain(r["assessment_date"]),
        "previous_score": plain(r["previous_score"])
        if r["previous_score"] is not None
        else "first assessment",
        "risk_score": plain(r["risk_score"]),
        "score_change": signed(change) if change is not None else "",
        "previous_ori": plain(r["previous_ori"]),
        "ori": plain(r["ori"]),
        "cls": "dec" if (change or 0) < 0 else "inc" if (change or 0) > 0 else "",
    }


def q1_2(figs: Figures, quarter: Quarter, inputs: Inputs) -> dict:
    def t(m, p="quarter"):
        return figs.get("Q1.2", m, p, "involvement", "toex")

    detail = inputs.risk_changes.rows
    decreases, large, large_total, table = [], [], 0, []
    if detail is not None:
        for r in detail:
            change = r["score_change"]
            if change is not None and change < 0:
                decreases.append(change)
            if change is not None and change < -LARGE_DECREASE_POINTS:
                large_total += 1
                if len(large) < PACK_DETAIL_ROWS:  # the pack lists no more (below)
                    large.append(
                        f"{plain(r['operation_ref'])} decreased from {plain(r['previous_score'])} "
                        f"to {plain(r['risk_score'])} [{signed(change)}]"
                    )
        # Only the rows the pack shows (175k assessments a quarter at scale 1000).
        table = [_risk_change_row(r) for r in detail[:PACK_DETAIL_ROWS]]
    decreases.sort(reverse=True)  # -4, -16, -434 as the pack lists them
    has_ori = detail is not None and any(
        r["ori"] is not None or r["previous_ori"] is not None for r in detail
    )
    table_note = ""
    if detail is not None and len(detail) > PACK_DETAIL_ROWS:
        table_note = (
            f"Showing the {PACK_DETAIL_ROWS} largest decreases of {len(detail):,} assessments; "
            "every assessment is in kpis.kpi_toex_risk_score_changes (analysts' copy and Parquet)."
        )
        if large_total > PACK_DETAIL_ROWS:
            large = [*large, f"… and {large_total - PACK_DETAIL_ROWS:,} more"]
    if len(decreases) > PACK_DETAIL_ROWS:
        decreases = []  # the template then gives the mean decrease instead of every amount
    if detail:
        changed = [r for r in detail[:PACK_DETAIL_ROWS] if r["score_change"] is not None]
        chart = charts.hbar_chart(
            f"Risk score changes of TOEX-involved assessments, {quarter.label}",
            [
                f"{r['operation_ref']} ({r['threat_type']})"
                if r["threat_type"]
                else str(r["operation_ref"])
                for r in changed
            ],
            [r["score_change"] for r in changed],
            diverging=True,
            value_fmt=lambda v: f"{v:+,.0f}" if v else "0",
        )
    else:
        chart = charts.column_chart(
            f"Risk score changes of TOEX-involved assessments, {quarter.label}",
            ["Increased", "Decreased", "Unchanged", "First assessment"],
            [
                charts.Series(
                    "Assessments",
                    [
                        t(m).value
                        for m in (
                            "score_increases",
                            "score_decreases",
                            "score_unchanged",
                            "first_assessments",
                        )
                    ],
                )
            ],
        )
    since = {
        m: t(m, "since_inception")
        for m in (
            "assessments",
            "assessed_operations",
            "ori_updates",
            "ori_decreases",
            "ori_increases",
            "ori_decreases_first_after_support",
        )
    }
    dec_inc = (
        f"{round_half_up(since['ori_decreases'].value / since['ori_increases'].value, 1):g} times"
        if since["ori_decreases"].ok and since["ori_increases"].ok and since["ori_increases"].value
        else NOT_AVAILABLE
    )
    comparison = []
    for period, plabel in (("quarter", quarter.label), ("since_inception", "Since inception")):
        for inv, ilabel in (("toex", "TOEX-involved"), ("non_toex", "Other")):

            def g(m: str, period: str = period, inv: str = inv) -> Fig:
                return figs.get("Q1.2", m, period, "involvement", inv)

            comparison.append(
                {
                    "period": plabel,
                    "involvement": ilabel,
                    "cells": [
                        g(m).or_dash("points" if m.startswith("mean") else "count")
                        for m in (
                            "assessments",
                            "score_increases",
                            "score_decreases",
                            "score_unchanged",
                            "first_assessments",
                            "mean_increase",
                            "mean_decrease",
                        )
                    ],
                }
            )
    ori_measures = (
        "ori_updates",
        "ori_decreases",
        "ori_increases",
        "ori_decreases_first_after_support",
    )
    ori_chart = charts.column_chart(
        "ORI changes since inception: TOEX-involved and other assessments",
        [
            "ORI updated",
            "ORI decreased",
            "ORI increased",
            "Decrease on first assessment after support",
        ],
        [
            charts.Series("TOEX-involved", [t(m, "since_inception").value for m in ori_measures]),
            charts.Series(
                "Other",
                [
                    figs.get("Q1.2", m, "since_inception", "involvement", "non_toex").value
                    for m in ori_measures
                ],
            ),
        ],
    )
    tests = [
        mann_whitney(figs, period, lead)
        for period, lead in (
            ("quarter", f"In {quarter.label}"),
            ("since_inception", "Since inception"),
        )
    ]
    return {
        "q": {
            m: t(m)
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
        },
        "increases_text": counted(t("score_increases"), "instance"),
        "decreases_text": counted(t("score_decreases"), "instance"),
        "first_text": counted(t("first_assessments"), "first assessment"),
        "decrease_amounts": join_words([signed(v) for v in decreases]),
        "large": large,
        "large_text": counted(
            first_available(t("large_decreases"), Fig(large_total if detail is not None else None)),
            "Risk Score decrease was",
            "Risk Score decreases were",
            capitalise=True,
        ),
        "detail_note": inputs.risk_changes.note,
        "table": table,
        "table_note": table_note,
        "has_ori": has_ori,
        "chart": chart,
        "since": since,
        "ori_update_share": ratio(since["ori_updates"], since["assessments"]),
        "dec_inc": dec_inc,
        "first_after_share": ratio(
            since["ori_decreases_first_after_support"], since["ori_decreases"]
        ),
        "comparison": comparison,
        "ori_chart": ori_chart,
        "tests": tests,
    }


def q1_3(figs: Figures, quarter: Quarter, history: History) -> dict:
    def either(measure: str, period: str) -> Fig:
        return first_available(
            figs.get("Q1.3", measure, period),
            figs.get("Q1.3", measure, period, "involvement", "toex"),
        )

    threats = figs.breakdown("Q1.3", "disruptions", "quarter", "threat_type")
    impacts = figs.breakdown(
        "Q1.3", "disruptions", "quarter", "impact", order=("major", "moderate", "minor")
    )
    return {
        "exploitation_share": either("exploitation_share", "since_inception"),
        "q_disruptions": figs.get("Q1.3", "disruptions", "quarter", "involvement", "toex"),
        "q_operations": figs.get("Q1.3", "disrupted_operations", "quarter", "involvement", "toex"),
        "awaiting": either("awaiting_moderation", "quarter"),
        "awaiting_tool": either("awaiting_moderation_tool", "quarter"),
        "si_disruptions": figs.get("Q1.3", "disruptions", "since_inception", "involvement", "toex"),
        "si_operations": figs.get(
            "Q1.3", "disrupted_operations", "since_inception", "involvement", "toex"
        ),
        "si_tool": either("tool_disruptions", "since_inception"),
        "si_tool_share": first_available(
            either("tool_disruption_share", "since_inception"),
            ratio(
                either("tool_disruptions", "since_inception"),
                figs.get("Q1.3", "disruptions", "since_inception", "involvement", "toex"),
            ),
        ),
        "by_threat": [(humanise(k) if k.islower() else k, v) for k, v in threats.items()],
        "by_impact": [(humanise(k), v) for k, v in impacts.items()],
        "chart": charts.column_chart(
            "Moderated TOEX-involved disruptions per quarter since inception",
            history.labels,
            [
                charts.Series(
                    "TOEX-involved disruptions",
                    history.series("Q1.3", "disruptions", "involvement", "toex"),
                )
            ],
            labels=len(history.labels) <= 24,
        ),
    }


def q1_4(figs: Figures, quarter: Quarter, history: History) -> dict:
    def ref(period: str) -> Fig:
        return first_available(
            figs.get("Q1.4", "safeguarding_referrals", period),
            figs.get("Q1.1", "safeguarding_referrals", period),
        )

    return {
        "q_referrals": ref("quarter"),
        "q_operations": figs.get("Q1.4", "safeguarding_operations", "quarter"),
        "si_referrals": ref("since_inception"),
        "si_operations": figs.get("Q1.4", "safeguarding_operations", "since_inception"),
        "chart": charts.column_chart(
            "Safeguarding referrals per quarter since inception",
            history.labels,
            [
                charts.Series(
                    "Safeguarding referrals",
                    history.any_series(
                        ("Q1.4", "safeguarding_referrals"), ("Q1.1", "safeguarding_referrals")
                    ),
                    charts.PALETTE[2],
                )
            ],
            labels=len(history.labels) <= 24,
        ),
    }


def mann_whitney(figs: Figures, period: str, lead: str) -> dict:
    """The Q1.2 comparison of TOEX-involved and other score changes for one period, in words."""

    def g(measure: str) -> Fig:
        return figs.get("Q1.2", measure, period)

    p_value, n_toex, n_other, u = (
        g("score_change_p_value"),
        g("score_change_n_toex"),
        g("score_change_n_non_toex"),
        g("score_change_u"),
    )
    if not p_value.ok:
        return {
            "period": lead,
            "sentence": f"{lead}, the comparison is not available (a group has no "
            "score changes, or every change is equal).",
        }
    u_text = (
        f"{u.value:,.0f}"
        if u.ok and float(u.value).is_integer()
        else (f"{u.value:,.1f}" if u.ok else NOT_AVAILABLE)
    )
    finding = (
        "the two groups' score changes differ more than chance alone would readily explain"
        if p_value.value < 0.05
        else "there is no clear evidence that the two groups' score changes differ"
    )
    return {
        "period": lead,
        "sentence": (
            f"{lead}, comparing {n_toex.count} TOEX-involved with {n_other.count} other score "
            f"changes (Mann–Whitney U = {u_text}, two-sided p = {p_value.value:.3f}): {finding} "
            "at the 5% level."
        ),
    }

"""`evaluation_pack_<slug>.html`: the quarter's evaluation pack as one self-contained file.

The structure follows the real 2025-26 Q1 pack (shared/seed): the five research questions,
their KPIs, narrative sentences carrying the figures, charts, tables and case studies, plus a
data-quality section, a revisions section and the run's provenance.

This module turns `kpi_values` rows into a view model of *formatted* figures (`Fig`, which
prints "not available" when a measure is missing) and inline SVG charts; the wording lives in
the Jinja2 templates under `templates/` (autoescaped). Nothing here reads the clock.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from dagster_project.fiscal import Quarter, quarters_between

from . import charts
from .catalogue import KPI_DESCRIPTIONS, KPI_NAMES, RESEARCH_QUESTIONS
from .figures import (
    NOT_AVAILABLE,
    Fig,
    Figures,
    KpiRow,
    first_available,
    format_value,
    ratio,
    round_half_up,
)
from .sources import Inputs, truthy
from .text import (
    contains_url_reference,
    humanise,
    join_words,
    neutralise_urls,
    number_word,
    render_markdown,
)

TEMPLATES = Path(__file__).parent / "templates"
LARGE_DECREASE_POINTS = 150
# The pack lists at most this many assessments (table, chart, callouts, decrease amounts): the
# real pack lists a quarter's handful, and at national scale a quarter has ~175,000 (scale 1000),
# which no board reads and which took 14 s to render. Every assessment stays in
# kpis.kpi_toex_risk_score_changes (analysts' copy and its Parquet).
PACK_DETAIL_ROWS = 50
TERRITORIAL_FORCES = 43

IDENTIFICATION_CATEGORIES = {
    "safeguarding_referrals": "safeguarding referrals",
    "priority_individuals": "priority individuals identified",
    "ocgs": "OCGs identified",
    "vulnerabilities": "vulnerabilities identified",
}
FEEDBACK_QUESTIONS = {
    "q1_referral_clear": "The referral process was clear, easy to follow and the same as the referral "
    "process for any other capability within the ROCU.",
    "q2_team_accessible": "The TOEX team were easily accessible. I knew who my points of contact were "
    "and how I could reach them.",
    "q3_kept_updated": "I was contacted with updates when developments had been made, communicated with "
    "before there were changes made to the focus of the investigation, and received helpful responses "
    "to any queries I had.",
    "q4_timescales_met": "The TOEX team delivered in line with the timescales agreed at the initial "
    "discussion and if there were delays, I was made aware and they did not cause me an issue.",
    "q5_terms_of_reference": "There was an initial terms of reference agreed by all parties and the TOEX "
    "team delivered against this initial terms of reference or any changes to the terms of reference "
    "were communicated and agreed along the way.",
    "q6_product_useful": "The final product was easy to understand and provided useful insight which "
    "added value to my intelligence investigation.",
}
LIKERT = ("Strongly Agree", "Slightly Agree", "Neither Agree nor Disagree", "Slightly Disagree",
          "Strongly Disagree", "Not Applicable")
LIKERT_COLOURS = ("#1b5e20", "#66bb6a", "#bdbdbd", "#ef9a9a", "#c62828", "#90a4ae")
SOC_THREATS = {"CSA": "Child Sexual Abuse", "MSHT": "Modern Slavery and Human Trafficking",
               "OIC": "Organised Immigration Crime"}
POSITION_STATUSES = ("filled", "in_progress", "vacant", "on_hold")
POSITION_LABELS = {"filled": "filled", "in_progress": "in progress", "vacant": "vacant or out to advert",
                   "on_hold": "on hold"}
SURVEY_ANSWERS = ("Yes", "Not Sure", "No")
CHANNELS = ("LinkedIn", "X", "Website", "E-magazine")
COMMS_METRICS = ("page_views", "impressions", "followers", "users", "new_users", "pages_viewed",
                 "editions_published")
TDA_STAGES = ("idea", "business_need", "development", "testing", "assurance", "deployed", "retired")
ORG_TYPES = ("force", "rocu", "national")
ORG_LABELS = {"force": ("force", "forces"), "rocu": ("ROCU", "ROCUs"),
              "national": ("national organisation", "national organisations")}
TOOLS = ("Translation", "Transcription", "DART", "Facebook Friends", "Companies House", "Traffic Jam",
         "Client Eye")


# -- small helpers ---------------------------------------------------------------------------


def _gbp_axis(v: float) -> str:
    return ("-" if v < 0 else "") + "£" + charts.compact(abs(v))


def _pct_axis(v: float) -> str:
    return f"{v * 100:.0f}%"


def counted(fig: Fig, singular: str, plural: str | None = None, capitalise: bool = False) -> str:
    """'three instances', 'One member of staff' (words up to ten)."""
    if not fig.ok:
        return f"{NOT_AVAILABLE.capitalize() if capitalise else NOT_AVAILABLE} ({plural or singular + 's'})"
    n = fig.int
    return f"{number_word(n, capitalise)} {singular if n == 1 else (plural or singular + 's')}"


def _signed(value: float | None) -> str:
    if value is None:
        return ""
    rounded = round_half_up(value)
    return f"{rounded:+,.0f}" if rounded else "0"


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{round_half_up(value):,.0f}" if value.is_integer() or abs(value) >= 100 else f"{value:,.2f}"
    return neutralise_urls(str(value))


def _capitalise_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _wave_label(wave: str) -> str:
    try:
        return date.fromisoformat(f"{wave[:7]}-01").strftime("%B %Y")
    except ValueError:
        return wave


class History:
    """Each reporting quarter's own `quarter` figures, from inception to the pack's quarter."""

    def __init__(self, history: Sequence[tuple[Quarter, KpiRow]], quarter: Quarter):
        self._values: dict[tuple, dict[Quarter, float | None]] = defaultdict(dict)
        for reporting, row in history:
            self._values[(row.kpi_id, row.measure, row.breakdown, row.breakdown_value)][reporting] = row.value
        first = min((q for q, _ in history), default=quarter)
        self.quarters = quarters_between(first, quarter) if history else []
        self.labels = [q.label for q in self.quarters]

    def series(self, kpi: str, measure: str, by: str = "all", value: str = "all") -> list[float | None]:
        found = self._values.get((kpi, measure, by, value), {})
        return [found.get(q) for q in self.quarters]

    def any_series(self, *keys: tuple) -> list[float | None]:
        for key in keys:
            values = self.series(*key)
            if any(v is not None for v in values):
                return values
        return self.series(*keys[0])


# -- sections ---------------------------------------------------------------------------------


def _q1_1(F: Figures, quarter: Quarter, H: History) -> dict:
    previous_fy = date(quarter.fy_start_year - 1, 4, 1)
    blocks = [
        ("Verified identifications since inception", "since_inception", None, "Number of"),
        (f"Verified identifications in FY {Quarter(quarter.fy_start_year - 1, 1).fy_label}", "financial_year",
         previous_fy, "Number of new"),
    ]
    if quarter.q != 1:
        blocks.append((f"Verified identifications in FY {quarter.fy_label} to date", "fy_to_date", None,
                       "Number of new"))
    blocks.append((f"Verified identifications in {quarter.label}", "quarter", None, "Number of new"))
    tiles = [
        {
            "title": title,
            "figs": [(f"{prefix} {label}", F.get("Q1.1", m, period, start=start))
                     for m, label in IDENTIFICATION_CATEGORIES.items()],
        }
        for title, period, start, prefix in blocks
    ]
    chart = charts.line_chart(
        "Verified identifications per quarter since inception",
        H.labels,
        [charts.Series(_capitalise_first(label), H.series("Q1.1", m)) for m, label in IDENTIFICATION_CATEGORIES.items()],
    )
    return {"tiles": tiles, "chart": chart}


def _q1_2(F: Figures, quarter: Quarter, inputs: Inputs) -> dict:
    def t(m, p="quarter"):
        return F.get("Q1.2", m, p, "involvement", "toex")
    detail = inputs.risk_changes.rows
    decreases, large, table = [], [], []
    if detail is not None:
        for r in detail:
            change = r["score_change"]
            if change is not None and change < 0:
                decreases.append(change)
            if change is not None and change < -LARGE_DECREASE_POINTS:
                large.append(
                    f"{_plain(r['operation_ref'])} decreased from {_plain(r['previous_score'])} to "
                    f"{_plain(r['risk_score'])} [{_signed(change)}]"
                )
            table.append(
                {
                    "operation_ref": _plain(r["operation_ref"]),
                    "threat_type": _plain(r["threat_type"]),
                    "assessment_date": r["assessment_date"].isoformat()
                    if hasattr(r["assessment_date"], "isoformat") else _plain(r["assessment_date"]),
                    "previous_score": _plain(r["previous_score"]) if r["previous_score"] is not None else "first assessment",
                    "risk_score": _plain(r["risk_score"]),
                    "score_change": _signed(change) if change is not None else "",
                    "previous_ori": _plain(r["previous_ori"]),
                    "ori": _plain(r["ori"]),
                    "cls": "dec" if (change or 0) < 0 else "inc" if (change or 0) > 0 else "",
                }
            )
    decreases.sort(reverse=True)  # -4, -16, -434 as the pack lists them
    has_ori = detail is not None and any(r["ori"] is not None or r["previous_ori"] is not None for r in detail)
    table_note, large_total = "", len(large)
    if detail is not None and len(table) > PACK_DETAIL_ROWS:
        table_note = (f"Showing the {PACK_DETAIL_ROWS} largest decreases of {len(table):,} assessments; every "
                      "assessment is in kpis.kpi_toex_risk_score_changes (analysts' copy and Parquet).")
        table = table[:PACK_DETAIL_ROWS]
        if len(large) > PACK_DETAIL_ROWS:
            large = [*large[:PACK_DETAIL_ROWS], f"… and {len(large) - PACK_DETAIL_ROWS:,} more"]
    if len(decreases) > PACK_DETAIL_ROWS:
        decreases = []  # the template then gives the mean decrease instead of every amount
    if detail:
        changed = [r for r in detail[:PACK_DETAIL_ROWS] if r["score_change"] is not None]
        chart = charts.hbar_chart(
            f"Risk score changes of TOEX-involved assessments, {quarter.label}",
            [f"{r['operation_ref']} ({r['threat_type']})" if r["threat_type"] else str(r["operation_ref"])
             for r in changed],
            [r["score_change"] for r in changed],
            diverging=True,
            value_fmt=lambda v: f"{v:+,.0f}" if v else "0",
        )
    else:
        chart = charts.column_chart(
            f"Risk score changes of TOEX-involved assessments, {quarter.label}",
            ["Increased", "Decreased", "Unchanged", "First assessment"],
            [charts.Series("Assessments", [t(m).value for m in ("score_increases", "score_decreases",
                                                                 "score_unchanged", "first_assessments")])],
        )
    since = {m: t(m, "since_inception") for m in (
        "assessments", "assessed_operations", "ori_updates", "ori_decreases", "ori_increases",
        "ori_decreases_first_after_support")}
    dec_inc = (
        f"{round_half_up(since['ori_decreases'].value / since['ori_increases'].value, 1):g} times"
        if since["ori_decreases"].ok and since["ori_increases"].ok and since["ori_increases"].value
        else NOT_AVAILABLE
    )
    comparison = []
    for period, plabel in (("quarter", quarter.label), ("since_inception", "Since inception")):
        for inv, ilabel in (("toex", "TOEX-involved"), ("non_toex", "Other")):
            def g(m: str, period: str = period, inv: str = inv) -> Fig:
                return F.get("Q1.2", m, period, "involvement", inv)

            comparison.append({
                "period": plabel, "involvement": ilabel,
                "cells": [g(m).or_dash("points" if m.startswith("mean") else "count") for m in (
                    "assessments", "score_increases", "score_decreases", "score_unchanged", "first_assessments",
                    "mean_increase", "mean_decrease")],
            })
    ori_measures = ("ori_updates", "ori_decreases", "ori_increases", "ori_decreases_first_after_support")
    ori_chart = charts.column_chart(
        "ORI changes since inception: TOEX-involved and other assessments",
        ["ORI updated", "ORI decreased", "ORI increased", "Decrease on first assessment after support"],
        [charts.Series("TOEX-involved", [t(m, "since_inception").value for m in ori_measures]),
         charts.Series("Other", [F.get("Q1.2", m, "since_inception", "involvement", "non_toex").value
                                 for m in ori_measures])],
    )
    p_value = F.get("Q1.2", "score_change_p_value", "since_inception")
    return {
        "q": {m: t(m) for m in ("assessments", "assessed_operations", "score_increases", "score_decreases",
                                "score_unchanged", "first_assessments", "mean_increase", "mean_decrease",
                                "large_decreases")},
        "increases_text": counted(t("score_increases"), "instance"),
        "decreases_text": counted(t("score_decreases"), "instance"),
        "first_text": counted(t("first_assessments"), "first assessment"),
        "decrease_amounts": join_words([_signed(v) for v in decreases]),
        "large": large,
        "large_text": counted(first_available(t("large_decreases"), Fig(large_total if detail is not None else None)),
                              "Risk Score decrease was", "Risk Score decreases were", capitalise=True),
        "detail_note": inputs.risk_changes.note,
        "table": table,
        "table_note": table_note,
        "has_ori": has_ori,
        "chart": chart,
        "since": since,
        "ori_update_share": ratio(since["ori_updates"], since["assessments"]),
        "dec_inc": dec_inc,
        "first_after_share": ratio(since["ori_decreases_first_after_support"], since["ori_decreases"]),
        "comparison": comparison,
        "ori_chart": ori_chart,
        "p_value": f"{p_value.value:.3g}" if p_value.ok else NOT_AVAILABLE,
        "significant": p_value.ok and p_value.value < 0.05,
    }


def _q1_3(F: Figures, quarter: Quarter, H: History) -> dict:
    def either(measure: str, period: str) -> Fig:
        return first_available(F.get("Q1.3", measure, period), F.get("Q1.3", measure, period, "involvement", "toex"))

    threats = F.breakdown("Q1.3", "disruptions", "quarter", "threat_type")
    impacts = F.breakdown("Q1.3", "disruptions", "quarter", "impact", order=("major", "moderate", "minor"))
    return {
        "exploitation_share": either("exploitation_share", "since_inception"),
        "q_disruptions": F.get("Q1.3", "disruptions", "quarter", "involvement", "toex"),
        "q_operations": F.get("Q1.3", "disrupted_operations", "quarter", "involvement", "toex"),
        "awaiting": either("awaiting_moderation", "quarter"),
        "awaiting_tool": either("awaiting_moderation_tool", "quarter"),
        "si_disruptions": F.get("Q1.3", "disruptions", "since_inception", "involvement", "toex"),
        "si_operations": F.get("Q1.3", "disrupted_operations", "since_inception", "involvement", "toex"),
        "si_tool": either("tool_disruptions", "since_inception"),
        "si_tool_share": first_available(either("tool_disruption_share", "since_inception"),
                                         ratio(either("tool_disruptions", "since_inception"),
                                               F.get("Q1.3", "disruptions", "since_inception", "involvement", "toex"))),
        "by_threat": [(humanise(k) if k.islower() else k, v) for k, v in threats.items()],
        "by_impact": [(humanise(k), v) for k, v in impacts.items()],
        "chart": charts.column_chart(
            "Moderated TOEX-involved disruptions per quarter since inception",
            H.labels,
            [charts.Series("TOEX-involved disruptions", H.series("Q1.3", "disruptions", "involvement", "toex"))],
            labels=len(H.labels) <= 24,
        ),
    }


def _q1_4(F: Figures, quarter: Quarter, H: History) -> dict:
    def ref(period: str) -> Fig:
        return first_available(F.get("Q1.4", "safeguarding_referrals", period),
                               F.get("Q1.1", "safeguarding_referrals", period))

    return {
        "q_referrals": ref("quarter"),
        "q_operations": F.get("Q1.4", "safeguarding_operations", "quarter"),
        "si_referrals": ref("since_inception"),
        "si_operations": F.get("Q1.4", "safeguarding_operations", "since_inception"),
        "chart": charts.column_chart(
            "Safeguarding referrals per quarter since inception",
            H.labels,
            [charts.Series("Safeguarding referrals",
                           H.any_series(("Q1.4", "safeguarding_referrals"), ("Q1.1", "safeguarding_referrals")),
                           charts.PALETTE[2])],
            labels=len(H.labels) <= 24,
        ),
    }


def _q2_1(F: Figures, quarter: Quarter) -> dict:
    def g(m, p, o):
        return F.get("Q2.1", m, p, "origin", o)
    pro_days, tasked_days = g("mean_days_open", "as_at", "proactive"), g("mean_days_open", "as_at", "tasked")
    if pro_days.ok and tasked_days.ok and tasked_days.value:
        difference = pro_days.value / tasked_days.value - 1
        longer = f"{Fig(abs(difference), 'share').pct0} {'longer' if difference >= 0 else 'shorter'}"
    else:
        longer = f"{NOT_AVAILABLE} (longer or shorter)"
    origins = ("proactive", "tasked")
    return {
        "closed_text": counted(g("jobs_closed", "quarter", "proactive"), "proactively identified job",
                               capitalise=True),
        "closed_verb": "was" if g("jobs_closed", "quarter", "proactive").int == 1 else "were",
        "opened": {o: g("jobs_opened", "quarter", o) for o in origins},
        "closed": {o: g("jobs_closed", "quarter", o) for o in origins},
        "ongoing": {o: g("jobs_ongoing", "as_at", o) for o in origins},
        "full": {o: g("full_support_share", "as_at", o) for o in origins},
        "days": {"proactive": pro_days, "tasked": tasked_days},
        "longer": longer,
        "chart": charts.column_chart(
            f"Proactive and tasked jobs, {quarter.label}",
            ["Opened in the quarter", "Closed in the quarter", "Ongoing at the quarter end"],
            [charts.Series(humanise(o), [g("jobs_opened", "quarter", o).value, g("jobs_closed", "quarter", o).value,
                                         g("jobs_ongoing", "as_at", o).value]) for o in origins],
        ),
    }


def _answers_sentence(answers: dict[str, Fig]) -> str:
    parts = []
    for i, (answer, fig) in enumerate(answers.items()):
        n = fig.int
        number = (f"{n:,}" if n >= 10 else number_word(n, capitalise=(i == 0)))
        who = (" respondent" if n == 1 else " respondents") if i == 0 else ""
        parts.append(f"{number}{who} answered '{answer}'")
    return join_words(parts) if parts else NOT_AVAILABLE.capitalize()


def _q2_2(F: Figures, quarter: Quarter) -> dict:
    ids = list(FEEDBACK_QUESTIONS) + [m for m in F.measures("Q2.2") if m not in FEEDBACK_QUESTIONS
                                       and F.breakdown("Q2.2", m, "quarter", "answer")]
    questions, labels = [], []
    for i, qid in enumerate(ids, start=1):
        answers = {k: v for k, v in F.breakdown("Q2.2", qid, "quarter", "answer", order=LIKERT).items()
                   if v.ok and v.value}
        questions.append({"number": i, "text": FEEDBACK_QUESTIONS.get(qid, humanise(qid)),
                          "sentence": _answers_sentence(answers), "answers": answers})
        labels.append(f"{i}) {humanise(qid.split('_', 1)[-1])}")
    seen_answers = [a for a in LIKERT if any(a in q["answers"] for q in questions)]
    seen_answers += sorted({a for q in questions for a in q["answers"]} - set(seen_answers))
    chart = charts.stacked_share_chart(
        f"Client feedback answers, {quarter.label}",
        labels,
        [charts.Series(a, [q["answers"].get(a, Fig(0)).value for q in questions],
                       LIKERT_COLOURS[LIKERT.index(a)] if a in LIKERT else None) for a in seen_answers],
    )
    return {
        "responses": F.get("Q2.2", "responses", "quarter"),
        "recommend_share": F.get("Q2.2", "recommend_yes_share", "since_inception"),
        "recommend_responses": F.get("Q2.2", "recommend_responses", "since_inception"),
        "questions": questions,
        "chart": chart,
    }


def _supported_tail(fig: Fig) -> str:
    if not fig.ok:
        return f"the number supported by TOEX is {NOT_AVAILABLE}"
    n = fig.int
    if n == 0:
        return "none of these were supported by TOEX during this time"
    if n == 1:
        return "one was supported by TOEX during this time"
    return f"{number_word(n)} of these were supported by TOEX during this time"


def _q2_3(F: Figures, quarter: Quarter, inputs: Inputs) -> dict:
    counts = F.breakdown("Q2.3", "soc_exploitation_operations", "as_at", "threat_type", order=("OIC", "CSA", "MSHT"))
    shares = F.breakdown("Q2.3", "soc_exploitation_share", "as_at", "threat_type")
    threat_parts = [f"{shares.get(k, Fig(None, 'share')).pct1} (n. {v.count}) involve an aspect of {k}"
                    for k, v in counts.items()]
    threats = []
    for code, name in SOC_THREATS.items():
        def g(m: str, code: str = code) -> Fig:
            return F.get("Q2.3", m, "quarter", "threat_type", code)

        threats.append({"code": code, "name": name, "assessments": g("assessments"),
                        "operations": g("assessed_operations"), "top10": g("top10_operations"),
                        "supported_tail": _supported_tail(g("top10_toex_supported"))})
    top10_tables = []
    if inputs.top10.rows:
        by_threat: dict[str, dict] = defaultdict(lambda: defaultdict(dict))
        for r in inputs.top10.rows:
            by_threat[str(r["threat_type"])][r["month_end"]][r["rank"]] = r
        for threat in sorted(by_threat, key=lambda t: (list(SOC_THREATS).index(t) if t in SOC_THREATS else 9, t)):
            months = sorted(by_threat[threat], key=str)
            ranks = sorted({rank for m in months for rank in by_threat[threat][m] if rank is not None})
            rows = []
            for rank in ranks:
                cells = []
                for m in months:
                    r = by_threat[threat][m].get(rank)
                    supported = bool(r) and truthy(r["toex_supported"])
                    cells.append({"ref": _plain(r["operation_ref"]) if r else "", "supported": supported})
                rows.append({"rank": rank, "cells": cells})
            top10_tables.append({
                "threat": SOC_THREATS.get(threat, threat),
                "months": [m.strftime("%d %b %Y") if hasattr(m, "strftime") else _plain(m) for m in months],
                "rows": rows,
            })
    return {
        "soc_operations": F.get("Q2.3", "soc_exploitation_operations", "as_at"),
        "threat_sentence": join_words(threat_parts) if threat_parts else "",
        "sexual_share": F.get("Q2.3", "sexual_exploitation_share", "as_at"),
        "sexual_operations": F.get("Q2.3", "sexual_exploitation_operations", "as_at"),
        "supported": F.get("Q2.3", "toex_supported_operations", "since_inception"),
        "new_supported": F.get("Q2.3", "new_toex_supported_operations", "quarter"),
        "threats": threats,
        "top10_tables": top10_tables,
        "top10_note": inputs.top10.note,
    }


def _survey(F: Figures, questions_text: dict[str, str]) -> list[dict]:
    rows_by_measure: dict[str, dict[str, Fig]] = defaultdict(dict)
    waves: dict[str, dict] = {}
    for row in F.rows:
        if row.kpi_id != "Q2.4":
            continue
        if row.breakdown == "wave" and row.measure in ("survey_respondents", "survey_response_rate", "engagement_score"):
            waves.setdefault(row.breakdown_value, {})[row.measure] = Fig(row.value, row.unit)
        elif row.measure.startswith("survey_") and row.breakdown == "answer":
            rows_by_measure[row.measure[len("survey_"):]][row.breakdown_value] = Fig(row.value, row.unit)
    changes: dict[tuple[str, str], Fig] = {}
    for row in F.rows:
        if row.kpi_id == "Q2.4" and row.measure.startswith("survey_") and row.measure.endswith("_yes_change"):
            changes[(row.measure[len("survey_"):-len("_yes_change")], row.breakdown_value)] = Fig(row.value, "share")
    if not waves and rows_by_measure:
        waves = {"": {}}
    out = []
    ordered_waves = sorted(waves)
    for index, wave in enumerate(ordered_waves):
        latest = index == len(ordered_waves) - 1
        table = []
        if latest:  # per-question shares are not split by wave in kpi_values: show them with the latest
            for qid in sorted(rows_by_measure):
                answers = rows_by_measure[qid]
                change = changes.get((qid, wave)) or next((v for (q, _), v in changes.items() if q == qid), None)
                table.append({
                    "question": questions_text.get(qid, humanise(qid)),
                    "shares": [answers.get(a, Fig(None, "share")).pct1 for a in SURVEY_ANSWERS],
                    "values": [answers.get(a, Fig(None)).value for a in SURVEY_ANSWERS],
                    "diff": (f"{change.value * 100:+.1f}%" if change and change.ok else "new question"),
                })
        w = waves[wave]
        out.append({
            "label": _wave_label(wave) if wave else "Latest wave",
            "respondents": w.get("survey_respondents", Fig(None)),
            "response_rate": w.get("survey_response_rate", Fig(None, "share")),
            "engagement": w.get("engagement_score", Fig(None, "share")),
            "table": table,
            "chart": charts.stacked_share_chart(
                f"Staff survey answers, {_wave_label(wave) if wave else 'latest wave'}",
                [r["question"] for r in table],
                [charts.Series(a, [r["values"][i] for r in table], c)
                 for i, (a, c) in enumerate(zip(SURVEY_ANSWERS, ("#2e7d32", "#bdbdbd", "#c62828")))],
            ) if table else Markup(""),
        })
    return out


def _q2_4(F: Figures, quarter: Quarter, inputs: Inputs) -> dict:
    positions = F.breakdown("Q2.4", "positions", "as_at", "status", order=POSITION_STATUSES)
    pshares = F.breakdown("Q2.4", "position_share", "as_at", "status")
    total = first_available(F.get("Q2.4", "positions_total", "as_at"),
                            Fig(sum(v.value for v in positions.values() if v.ok) if positions else None))
    position_parts = []
    for i, (status, fig) in enumerate(positions.items()):
        share = first_available(pshares.get(status, Fig(None, "share")), ratio(fig, total))
        label = POSITION_LABELS.get(status, humanise(status).lower())
        if i == 0:
            position_parts.append(f"{share.pct0} (n. {fig.count}) of positions are currently {label}")
        else:
            position_parts.append(f"{number_word(fig.int) if fig.ok else NOT_AVAILABLE} "
                                  f"{'is' if fig.int == 1 else 'are'} {label} ({share.pct0})")
    leavers_by = F.breakdown("Q2.4", "leavers", "quarter", "leaving_reason")
    service = F.get("Q2.4", "mean_length_of_service_days", "as_at")
    years = math.floor(service.value / 365.25) if service.ok else 0
    return {
        "starters": F.get("Q2.4", "starters", "quarter"),
        "promotions": F.get("Q2.4", "promotions", "quarter"),
        "leavers": F.get("Q2.4", "leavers", "quarter"),
        "starters_text": counted(F.get("Q2.4", "starters", "quarter"), "new member", "new members", capitalise=True),
        "starters_verb": "has" if F.get("Q2.4", "starters", "quarter").int == 1 else "have",
        "promotions_text": counted(F.get("Q2.4", "promotions", "quarter"), "member", capitalise=True),
        "promotions_verb": "has" if F.get("Q2.4", "promotions", "quarter").int == 1 else "have",
        "leavers_text": counted(F.get("Q2.4", "leavers", "quarter"), "member", capitalise=True),
        "leavers_verb": "has" if F.get("Q2.4", "leavers", "quarter").int == 1 else "have",
        "leavers_by": join_words([f"{humanise(k).lower()}: {v.count}" for k, v in leavers_by.items()
                                  if v.ok and v.value]),
        "positions_sentence": join_words(position_parts) if position_parts else "",
        "positions_total": total,
        "staff_in_post": F.get("Q2.4", "staff_in_post", "as_at"),
        "service": service,
        "service_years": f" (over {number_word(years)} year{'s' if years != 1 else ''})" if years >= 1 else "",
        "positions_chart": charts.column_chart(
            f"Positions by status at {quarter.end:%d %B %Y}",
            [POSITION_LABELS.get(s, humanise(s)).capitalize() for s in positions],
            [charts.Series("Positions", [v.value for v in positions.values()])],
        ),
        "waves": _survey(F, inputs.survey_questions),
    }


def _q2_5(F: Figures, quarter: Quarter) -> dict:
    months = sorted({r.period_start for r in F.rows if r.kpi_id == "Q2.5" and r.period_type == "month"
                     and r.period_start})
    channels = sorted({r.breakdown_value for r in F.rows if r.kpi_id == "Q2.5" and r.breakdown == "channel"},
                      key=lambda c: (CHANNELS.index(c) if c in CHANNELS else 99, c))
    table, small = [], []
    for channel in channels:
        metrics = sorted({r.measure for r in F.rows if r.kpi_id == "Q2.5" and r.breakdown_value == channel},
                         key=lambda m: (COMMS_METRICS.index(m) if m in COMMS_METRICS else 99, m))
        for metric in metrics:
            monthly = [F.get("Q2.5", metric, "month", "channel", channel, start=m) for m in months]
            total = F.get("Q2.5", metric, "quarter", "channel", channel)
            cumulative = first_available(F.get("Q2.5", metric, "since_inception", "channel", channel))
            table.append({"channel": channel, "metric": humanise(metric),
                          "months": [f.or_dash() for f in monthly], "quarter": total.or_dash(),
                          "cumulative": cumulative.or_dash()})
            if sum(1 for f in monthly if f.ok) >= 1:
                small.append(charts.column_chart(
                    f"{channel}: {humanise(metric).lower()}", [f"{m:%b %Y}" for m in months],
                    [charts.Series(humanise(metric), [f.value for f in monthly],
                                   charts.PALETTE[channels.index(channel) % len(charts.PALETTE)])],
                    width=300, height=180))
    def c(m, ch, p="quarter"):
        return F.get("Q2.5", m, p, "channel", ch)
    linkedin_months = [(f"{m:%B}", F.get("Q2.5", "page_views", "month", "channel", "LinkedIn", start=m))
                       for m in months]
    return {
        "months": [f"{m:%b %Y}" for m in months],
        "table": table,
        "charts": small,
        "linkedin_views": ", ".join(f"{name}: {fig.count}" for name, fig in linkedin_months if fig.ok),
        "linkedin_impressions": c("impressions", "LinkedIn"),
        "x_followers": c("followers", "X"),
        "web_users": c("users", "Website"),
        "web_new_users": c("new_users", "Website"),
        "web_pages": c("pages_viewed", "Website"),
        "editions": first_available(c("editions_published", "E-magazine", "since_inception"),
                                    c("editions_published", "E-magazine")),
    }


def _org_count(org_type: str, fig: Fig) -> str:
    singular, plural = ORG_LABELS.get(org_type, (org_type, org_type))
    return f"{number_word(fig.int)} {singular if fig.int == 1 else plural}"


def _q3(F: Figures, quarter: Quarter) -> dict:
    stages = F.breakdown("Q3.1", "capabilities", "as_at", "stage", order=TDA_STAGES)
    accepted = F.breakdown("Q3.2", "organisations_accepted", "as_at", "org_type", order=ORG_TYPES)
    onboarded = F.breakdown("Q3.2", "organisations_onboarded", "as_at", "org_type", order=ORG_TYPES)
    tools = sorted(
        {r.breakdown_value for r in F.rows if r.kpi_id == "Q3.3" and r.breakdown == "tool"},
        key=lambda t: (TOOLS.index(t) if t in TOOLS else 99, t),
    )
    measures = ("tool_disruptions", "tool_jobs", "tool_units", "tool_organisations", "tool_active_users_peak")
    tool_rows = [
        {"tool": tool, "cells": [F.get("Q3.3", m, p, "tool", tool).or_dash() for m in measures
                                 for p in ("quarter", "since_inception")]}
        for tool in tools
    ]
    return {
        "stages": [(humanise(k), v) for k, v in stages.items()],
        "stage_chart": charts.column_chart(
            f"Capabilities by TDA stage at {quarter.end:%d %B %Y}", [humanise(k) for k in stages],
            [charts.Series("Capabilities", [v.value for v in stages.values()], charts.PALETTE[4])]),
        "deployments": F.get("Q3.1", "deployments", "quarter"),
        "idea_to_deployed": F.get("Q3.1", "mean_days_idea_to_deployed", "since_inception"),
        "accepted_text": _capitalise_first(join_words([_org_count(k, v) for k, v in accepted.items() if v.ok])),
        "onboarded_text": join_words([_org_count(k, v) for k, v in onboarded.items() if v.ok]),
        "coverage": F.get("Q3.2", "force_coverage_share", "as_at"),
        "ce_cost": F.get("Q3.2", "ce_cost_gbp", "quarter"),
        "tool_rows": tool_rows,
        "tool_chart": charts.column_chart(
            "Moderated disruptions with each technical tool",
            tools,
            [charts.Series(quarter.label, [F.get("Q3.3", "tool_disruptions", "quarter", "tool", t).value for t in tools]),
             charts.Series("Since inception",
                           [F.get("Q3.3", "tool_disruptions", "since_inception", "tool", t).value for t in tools])],
        ),
    }


def _q4(F: Figures, quarter: Quarter) -> dict:
    platforms = sorted({r.breakdown_value for r in F.rows if r.kpi_id == "Q4.1" and r.breakdown == "platform"})
    roles = F.breakdown("Q4.1", "registered_users", "as_at", "role")
    return {
        "platforms": [
            {"name": humanise(p), "registered": F.get("Q4.1", "registered_users", "as_at", "platform", p),
             "organisations": F.get("Q4.1", "organisations_reached", "as_at", "platform", p),
             "active": F.get("Q4.1", "active_users", "quarter", "platform", p)}
            for p in platforms
        ],
        "roles": [(humanise(k), v) for k, v in roles.items()],
        "warehouse_bytes": F.get("Q4.2", "warehouse_bytes", "as_at"),
        "warehouse_rows": F.get("Q4.2", "warehouse_rows", "as_at"),
        "pipeline_runs": F.get("Q4.2", "pipeline_runs", "quarter"),
        "dp_cost": {p: F.get("Q4.3", "dp_cost_gbp", p) for p in ("quarter", "fy_to_date", "since_inception")},
    }


def _q5(F: Figures, quarter: Quarter, H: History) -> dict:
    periods = (("quarter", quarter.label), ("fy_to_date", f"FY {quarter.fy_label} to date"),
               ("since_inception", "Since inception"))
    rows = []
    for measure, label in (("costs_gbp", "Costs"), ("gross_savings_gbp", "Gross savings"),
                           ("net_savings_gbp", "Net savings"), ("cost_per_disruption_gbp", "Cost per disruption"),
                           ("cost_per_safeguarding_referral_gbp", "Cost per safeguarding referral")):
        kpi = "Q5.1" if measure.startswith("cost") else "Q5.2"
        rows.append({"label": label, "cells": [F.get(kpi, measure, p).or_dash("gbp") for p, _ in periods]})
    categories = F.breakdown("Q5.1", "costs_gbp", "quarter", "category")
    savings_by_tool = F.breakdown("Q5.2", "gross_savings_gbp", "since_inception", "tool")
    return {
        "periods": [label for _, label in periods],
        "rows": rows,
        "gross_si": F.get("Q5.2", "gross_savings_gbp", "since_inception"),
        "costs_si": F.get("Q5.1", "costs_gbp", "since_inception"),
        "costs_q": F.get("Q5.1", "costs_gbp", "quarter"),
        "per_disruption": F.get("Q5.1", "cost_per_disruption_gbp", "since_inception"),
        "per_referral": F.get("Q5.1", "cost_per_safeguarding_referral_gbp", "since_inception"),
        "net_si": F.get("Q5.2", "net_savings_gbp", "since_inception"),
        "categories": [(humanise(k), v) for k, v in categories.items()],
        "savings_by_tool": [(k, v) for k, v in savings_by_tool.items()],
        "chart": charts.column_chart(
            "Costs and savings per quarter since inception",
            H.labels,
            [charts.Series("Costs", H.series("Q5.1", "costs_gbp"), charts.PALETTE[1]),
             charts.Series("Gross savings", H.series("Q5.2", "gross_savings_gbp"), charts.PALETTE[2])],
            value_fmt=_gbp_axis, labels=False,
        ),
    }


# -- quality, revisions, provenance ------------------------------------------------------------


def quality_view(results: Sequence[dict]) -> dict:
    failed = [r for r in results if not r.get("passed", False)]
    rank = {"ERROR": 0, "WARN": 1}
    failed.sort(key=lambda r: (rank.get(str(r.get("severity", "")).upper(), 2), str(r.get("asset", "")),
                               str(r.get("check", ""))))
    return {
        "checks": len(results),
        "passed": len(results) - len(failed),
        "issues": [{"severity": str(r.get("severity", "WARN")).upper(), "check": str(r.get("check", "")),
                    "asset": str(r.get("asset", "")), "message": neutralise_urls(str(r.get("message", "")))}
                   for r in failed],
    }


def _pick(d: dict, *keys):
    for key in keys:
        if key in d and d[key] is not None:
            return d[key]
    return None


def _revision_detail(r: dict) -> str:
    parts = [str(_pick(r, "period_type") or "")]
    start = _pick(r, "period_start")
    if start is not None:
        parts.append(f"from {start.isoformat() if hasattr(start, 'isoformat') else start}")
    by, value = _pick(r, "breakdown"), _pick(r, "breakdown_value")
    if by and by != "all":
        parts.append(f"{by} = {value}")
    return _plain(" ".join(p for p in parts if p))


def revisions_view(revisions: Sequence[dict] | None) -> list[dict]:
    out = []
    for r in revisions or []:
        old, new = _pick(r, "old_value", "old"), _pick(r, "new_value", "new")
        unit = str(_pick(r, "unit") or "count")
        def fmt(v, unit: str = unit) -> str:
            if v is None:
                return "removed"
            return format_value(float(v), unit) if isinstance(v, (int, float)) else _plain(v)

        out.append({
            "quarter": _plain(_pick(r, "quarter", "reporting_quarter")),
            "kpi": _plain(_pick(r, "kpi", "kpi_id")),
            "measure": _plain(_pick(r, "measure")),
            "detail": _revision_detail(r),
            "old": fmt(old), "new": fmt(new),
            "delivery": _plain(_pick(r, "delivery", "delivery_id")),
        })
    return out


def build_context(
    inputs: Inputs,
    quarter: Quarter,
    *,
    run_id: str,
    code_version: str,
    delivery_hashes: dict[str, str],
    quality_results: Sequence[dict],
    revisions: Sequence[dict] | None = None,
) -> dict:
    F = Figures(inputs.rows)
    H = History(inputs.history, quarter)
    kpi_counts = {q: sum(1 for k in KPI_NAMES if k.startswith(q + ".")) for q in RESEARCH_QUESTIONS}
    return {
        "quarter": quarter,
        "title": f"Evaluation Pack {quarter.label}",
        "questions": RESEARCH_QUESTIONS,
        "kpi_counts": kpi_counts,
        "kpi_names": KPI_NAMES,
        "kpi_descriptions": KPI_DESCRIPTIONS,
        "notes": list(inputs.notes),
        "q11": _q1_1(F, quarter, H),
        "q12": _q1_2(F, quarter, inputs),
        "q13": _q1_3(F, quarter, H),
        "q14": _q1_4(F, quarter, H),
        "q21": _q2_1(F, quarter),
        "q22": _q2_2(F, quarter),
        "q23": _q2_3(F, quarter, inputs),
        "q24": _q2_4(F, quarter, inputs),
        "q25": _q2_5(F, quarter),
        "q3": _q3(F, quarter),
        "q4": _q4(F, quarter),
        "q5": _q5(F, quarter, H),
        "case_studies": [
            {"operation_ref": c.operation_ref, "title": c.title,
             "body": render_markdown(c.body_markdown, drop_heading=c.title)}
            for c in inputs.case_studies
        ],
        "quality": quality_view(quality_results),
        "revisions": revisions_view(revisions),
        "run_id": run_id,
        "code_version": code_version,
        "delivery_hashes": sorted(delivery_hashes.items()),
        "large_decrease_points": LARGE_DECREASE_POINTS,
        "territorial_forces": TERRITORIAL_FORCES,
    }


def _finalize(value):
    """Every `{{ }}` output: data text loses URL schemes; our own Markup passes unchanged."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return neutralise_urls(str(value))


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True, default=True),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


class UnsafePackError(RuntimeError):
    """The rendered pack would carry an http(s) reference: refuse to publish it."""


def render_pack(context: dict) -> str:
    html = environment().get_template("evaluation_pack.html.j2").render(**context)
    if contains_url_reference(html):
        raise UnsafePackError("the rendered evaluation pack contains an http(s) reference")
    return html

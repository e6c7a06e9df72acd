"""Q2, the centrally coordinated, regionally delivered model: taskings (Q2.1), client feedback
(Q2.2) and unmet demand (Q2.3)."""

from __future__ import annotations

from collections import defaultdict

from dagster_project.fiscal import Quarter

from .. import charts
from ..figures import NOT_AVAILABLE, Fig, Figures
from ..sources import Inputs, truthy
from ..text import humanise, join_words, number_word
from .views import (
    LIKERT,
    LIKERT_COLOURS,
    SOC_THREATS,
    THREAT_NAMES,
    counted,
    plain,
)

# The questions as the client feedback form words them (the pack quotes them in full).
FEEDBACK_QUESTIONS = {
    "q1_referral_clear": "The referral process was clear, easy to follow and the same as the "
    "referral process for any other capability within the ROCU.",
    "q2_team_accessible": "The TOEX team were easily accessible. I knew who my points of contact "
    "were and how I could reach them.",
    "q3_kept_updated": "I was contacted with updates when developments had been made, communicated "
    "with before there were changes made to the focus of the investigation, and received helpful "
    "responses to any queries I had.",
    "q4_timescales_met": "The TOEX team delivered in line with the timescales agreed at the "
    "initial discussion and if there were delays, I was made aware and they did not cause me an "
    "issue.",
    "q5_terms_of_reference": "There was an initial terms of reference agreed by all parties and "
    "the TOEX team delivered against this initial terms of reference or any changes to the terms "
    "of reference were communicated and agreed along the way.",
    "q6_product_useful": "The final product was easy to understand and provided useful insight "
    "which added value to my intelligence investigation.",
}


def q2_1(figs: Figures, quarter: Quarter) -> dict:
    def g(m, p, o):
        return figs.get("Q2.1", m, p, "origin", o)

    pro_days, tasked_days = (
        g("mean_days_open", "as_at", "proactive"),
        g("mean_days_open", "as_at", "tasked"),
    )
    if pro_days.ok and tasked_days.ok and tasked_days.value:
        difference = pro_days.value / tasked_days.value - 1
        longer = (
            f"{Fig(abs(difference), 'share').pct0} {'longer' if difference >= 0 else 'shorter'}"
        )
    else:
        longer = f"{NOT_AVAILABLE} (longer or shorter)"
    origins = ("proactive", "tasked")
    return {
        "closed_text": counted(
            g("jobs_closed", "quarter", "proactive"), "proactively identified job", capitalise=True
        ),
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
            [
                charts.Series(
                    humanise(o),
                    [
                        g("jobs_opened", "quarter", o).value,
                        g("jobs_closed", "quarter", o).value,
                        g("jobs_ongoing", "as_at", o).value,
                    ],
                )
                for o in origins
            ],
        ),
    }


def answers_sentence(answers: dict[str, Fig]) -> str:
    parts = []
    for i, (answer, fig) in enumerate(answers.items()):
        n = fig.int
        number = f"{n:,}" if n >= 10 else number_word(n, capitalise=(i == 0))
        who = (" respondent" if n == 1 else " respondents") if i == 0 else ""
        parts.append(f"{number}{who} answered '{answer}'")
    return join_words(parts) if parts else NOT_AVAILABLE.capitalize()


def q2_2(figs: Figures, quarter: Quarter) -> dict:
    ids = list(FEEDBACK_QUESTIONS) + [
        m
        for m in figs.measures("Q2.2")
        if m not in FEEDBACK_QUESTIONS and figs.breakdown("Q2.2", m, "quarter", "answer")
    ]
    questions, labels = [], []
    for i, qid in enumerate(ids, start=1):
        answers = {
            k: v
            for k, v in figs.breakdown("Q2.2", qid, "quarter", "answer", order=LIKERT).items()
            if v.ok and v.value
        }
        questions.append(
            {
                "number": i,
                "text": FEEDBACK_QUESTIONS.get(qid, humanise(qid)),
                "sentence": answers_sentence(answers),
                "answers": answers,
            }
        )
        labels.append(f"{i}) {humanise(qid.split('_', 1)[-1])}")
    seen_answers = [a for a in LIKERT if any(a in q["answers"] for q in questions)]
    seen_answers += sorted({a for q in questions for a in q["answers"]} - set(seen_answers))
    chart = charts.stacked_share_chart(
        f"Client feedback answers, {quarter.label}",
        labels,
        [
            charts.Series(
                a,
                [q["answers"].get(a, Fig(0)).value for q in questions],
                LIKERT_COLOURS[LIKERT.index(a)] if a in LIKERT else None,
            )
            for a in seen_answers
        ],
    )
    return {
        "responses": figs.get("Q2.2", "responses", "quarter"),
        "recommend_share": figs.get("Q2.2", "recommend_yes_share", "since_inception"),
        "recommend_responses": figs.get("Q2.2", "recommend_responses", "since_inception"),
        "questions": questions,
        "chart": chart,
    }


def supported_tail(fig: Fig) -> str:
    if not fig.ok:
        return f"the number supported by TOEX is {NOT_AVAILABLE}"
    n = fig.int
    if n == 0:
        return "none of these were supported by TOEX during this time"
    if n == 1:
        return "one was supported by TOEX during this time"
    return f"{number_word(n)} of these were supported by TOEX during this time"


def q2_3(figs: Figures, quarter: Quarter, inputs: Inputs) -> dict:
    counts = figs.breakdown(
        "Q2.3", "soc_exploitation_operations", "as_at", "threat_type", order=("OIC", "CSA", "MSHT")
    )
    shares = figs.breakdown("Q2.3", "soc_exploitation_share", "as_at", "threat_type")
    threat_parts = [
        f"{shares.get(k, Fig(None, 'share')).pct1} (n. {v.count}) involve an aspect of {k}"
        for k, v in counts.items()
    ]
    threats = []
    for code in SOC_THREATS:
        name = THREAT_NAMES.get(code, code)

        def g(m: str, code: str = code) -> Fig:
            return figs.get("Q2.3", m, "quarter", "threat_type", code)

        threats.append(
            {
                "code": code,
                "name": name,
                "assessments": g("assessments"),
                "operations": g("assessed_operations"),
                "top10": g("top10_operations"),
                "supported_tail": supported_tail(g("top10_toex_supported")),
            }
        )
    top10_tables = []
    if inputs.top10.rows:
        by_threat: dict[str, dict] = defaultdict(lambda: defaultdict(dict))
        for r in inputs.top10.rows:
            by_threat[str(r["threat_type"])][r["month_end"]][r["rank"]] = r
        for threat in sorted(
            by_threat, key=lambda t: (SOC_THREATS.index(t) if t in SOC_THREATS else 9, t)
        ):
            months = sorted(by_threat[threat], key=str)
            ranks = sorted(
                {rank for m in months for rank in by_threat[threat][m] if rank is not None}
            )
            rows = []
            for rank in ranks:
                cells = []
                for m in months:
                    r = by_threat[threat][m].get(rank)
                    supported = bool(r) and truthy(r["toex_supported"])
                    cells.append(
                        {"ref": plain(r["operation_ref"]) if r else "", "supported": supported}
                    )
                rows.append({"rank": rank, "cells": cells})
            top10_tables.append(
                {
                    "threat": THREAT_NAMES.get(threat, threat),
                    "months": [
                        m.strftime("%d %b %Y") if hasattr(m, "strftime") else plain(m)
                        for m in months
                    ],
                    "rows": rows,
                }
            )
    return {
        "soc_operations": figs.get("Q2.3", "soc_exploitation_operations", "as_at"),
        "threat_sentence": join_words(threat_parts) if threat_parts else "",
        "sexual_share": figs.get("Q2.3", "sexual_exploitation_share", "as_at"),
        "sexual_operations": figs.get("Q2.3", "sexual_exploitation_operations", "as_at"),
        "supported": figs.get("Q2.3", "toex_supported_operations", "since_inception"),
        "new_supported": figs.get("Q2.3", "new_toex_supported_operations", "quarter"),
        "threats": threats,
        "top10_tables": top10_tables,
        "top10_note": inputs.top10.note,
    }

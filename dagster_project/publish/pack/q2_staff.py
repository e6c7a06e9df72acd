"""Q2, the model's people and audiences: HR and the staff survey (Q2.4), communications (Q2.5)."""

from __future__ import annotations

import math
from collections import defaultdict

from markupsafe import Markup

from dagster_project.fiscal import Quarter

from .. import charts
from ..figures import NOT_AVAILABLE, Fig, Figures, first_available, ratio
from ..sources import Inputs
from ..text import humanise, join_words, number_word
from .views import (
    CHANNELS,
    COMMS_METRICS,
    POSITION_LABELS,
    POSITION_STATUSES,
    SURVEY_ANSWERS,
    counted,
    wave_label,
)


def survey(figs: Figures, questions_text: dict[str, str]) -> list[dict]:
    rows_by_measure: dict[str, dict[str, Fig]] = defaultdict(dict)
    waves: dict[str, dict] = {}
    for row in figs.rows:
        if row.kpi_id != "Q2.4":
            continue
        if row.breakdown == "wave" and row.measure in (
            "survey_respondents",
            "survey_response_rate",
            "engagement_score",
        ):
            waves.setdefault(row.breakdown_value, {})[row.measure] = Fig(row.value, row.unit)
        elif row.measure.startswith("survey_") and row.breakdown == "answer":
            rows_by_measure[row.measure[len("survey_") :]][row.breakdown_value] = Fig(
                row.value, row.unit
            )
    changes: dict[tuple[str, str], Fig] = {}
    for row in figs.rows:
        if (
            row.kpi_id == "Q2.4"
            and row.measure.startswith("survey_")
            and row.measure.endswith("_yes_change")
        ):
            changes[(row.measure[len("survey_") : -len("_yes_change")], row.breakdown_value)] = Fig(
                row.value, "share"
            )
    if not waves and rows_by_measure:
        waves = {"": {}}
    out = []
    ordered_waves = sorted(waves)
    for index, wave in enumerate(ordered_waves):
        latest = index == len(ordered_waves) - 1
        table = []
        if (
            latest
        ):  # per-question shares are not split by wave in kpi_values: show them with the latest
            for qid in sorted(rows_by_measure):
                answers = rows_by_measure[qid]
                change = changes.get((qid, wave)) or next(
                    (v for (q, _), v in changes.items() if q == qid), None
                )
                table.append(
                    {
                        "question": questions_text.get(qid, humanise(qid)),
                        "shares": [answers.get(a, Fig(None, "share")).pct1 for a in SURVEY_ANSWERS],
                        "values": [answers.get(a, Fig(None)).value for a in SURVEY_ANSWERS],
                        "diff": (
                            f"{change.value * 100:+.1f}%"
                            if change and change.ok
                            else "new question"
                        ),
                    }
                )
        w = waves[wave]
        out.append(
            {
                "label": wave_label(wave) if wave else "Latest wave",
                "respondents": w.get("survey_respondents", Fig(None)),
                "response_rate": w.get("survey_response_rate", Fig(None, "share")),
                "engagement": w.get("engagement_score", Fig(None, "share")),
                "wave": wave,
                "table": table,
                "chart": charts.stacked_share_chart(
                    f"Staff survey answers, {wave_label(wave) if wave else 'latest wave'}",
                    [r["question"] for r in table],
                    [
                        charts.Series(a, [r["values"][i] for r in table], c)
                        for i, (a, c) in enumerate(
                            zip(SURVEY_ANSWERS, ("#2e7d32", "#bdbdbd", "#c62828"), strict=False)
                        )
                    ],
                )
                if table
                else Markup(""),
            }
        )
    return out


def q2_4(figs: Figures, quarter: Quarter, inputs: Inputs) -> dict:
    positions = figs.breakdown("Q2.4", "positions", "as_at", "status", order=POSITION_STATUSES)
    pshares = figs.breakdown("Q2.4", "position_share", "as_at", "status")
    total = first_available(
        figs.get("Q2.4", "positions_total", "as_at"),
        Fig(sum(v.value for v in positions.values() if v.ok) if positions else None),
    )
    position_parts = []
    for i, (status, fig) in enumerate(positions.items()):
        share = first_available(pshares.get(status, Fig(None, "share")), ratio(fig, total))
        label = POSITION_LABELS.get(status, humanise(status).lower())
        if i == 0:
            position_parts.append(
                f"{share.pct0} (n. {fig.count}) of positions are currently {label}"
            )
        else:
            position_parts.append(
                f"{number_word(fig.int) if fig.ok else NOT_AVAILABLE} "
                f"{'is' if fig.int == 1 else 'are'} {label} ({share.pct0})"
            )
    leavers_by = figs.breakdown("Q2.4", "leavers", "quarter", "leaving_reason")
    service = figs.get("Q2.4", "mean_length_of_service_days", "as_at")
    years = math.floor(service.value / 365.25) if service.ok else 0
    return {
        "starters": figs.get("Q2.4", "starters", "quarter"),
        "promotions": figs.get("Q2.4", "promotions", "quarter"),
        "leavers": figs.get("Q2.4", "leavers", "quarter"),
        "starters_text": counted(
            figs.get("Q2.4", "starters", "quarter"), "new member", "new members", capitalise=True
        ),
        "starters_verb": "has" if figs.get("Q2.4", "starters", "quarter").int == 1 else "have",
        "promotions_text": counted(
            figs.get("Q2.4", "promotions", "quarter"), "member", capitalise=True
        ),
        "promotions_verb": "has" if figs.get("Q2.4", "promotions", "quarter").int == 1 else "have",
        "leavers_text": counted(figs.get("Q2.4", "leavers", "quarter"), "member", capitalise=True),
        "leavers_verb": "has" if figs.get("Q2.4", "leavers", "quarter").int == 1 else "have",
        "leavers_by": join_words(
            [f"{humanise(k).lower()}: {v.count}" for k, v in leavers_by.items() if v.ok and v.value]
        ),
        "positions_sentence": join_words(position_parts) if position_parts else "",
        "positions_total": total,
        "staff_in_post": figs.get("Q2.4", "staff_in_post", "as_at"),
        "service": service,
        "service_years": f" (over {number_word(years)} year{'s' if years != 1 else ''})"
        if years >= 1
        else "",
        "positions_chart": charts.column_chart(
            f"Positions by status at {quarter.end:%d %B %Y}",
            [POSITION_LABELS.get(s, humanise(s)).capitalize() for s in positions],
            [charts.Series("Positions", [v.value for v in positions.values()])],
        ),
        "waves": [
            {
                **w,
                "engagement_sentence": engagement_sentence(
                    w["wave"], w["engagement"], inputs.history
                ),
            }
            for w in survey(figs, inputs.survey_questions)
        ],
    }


def q2_5(figs: Figures, quarter: Quarter) -> dict:
    months = sorted(
        {
            r.period_start
            for r in figs.rows
            if r.kpi_id == "Q2.5" and r.period_type == "month" and r.period_start
        }
    )
    channels = sorted(
        {r.breakdown_value for r in figs.rows if r.kpi_id == "Q2.5" and r.breakdown == "channel"},
        key=lambda c: (CHANNELS.index(c) if c in CHANNELS else 99, c),
    )
    table, small = [], []
    for channel in channels:
        metrics = sorted(
            {r.measure for r in figs.rows if r.kpi_id == "Q2.5" and r.breakdown_value == channel},
            key=lambda m: (COMMS_METRICS.index(m) if m in COMMS_METRICS else 99, m),
        )
        for metric in metrics:
            monthly = [
                figs.get("Q2.5", metric, "month", "channel", channel, start=m) for m in months
            ]
            total = figs.get("Q2.5", metric, "quarter", "channel", channel)
            cumulative = first_available(
                figs.get("Q2.5", metric, "since_inception", "channel", channel)
            )
            table.append(
                {
                    "channel": channel,
                    "metric": humanise(metric),
                    "months": [f.or_dash() for f in monthly],
                    "quarter": total.or_dash(),
                    "cumulative": cumulative.or_dash(),
                }
            )
            if sum(1 for f in monthly if f.ok) >= 1:
                small.append(
                    charts.column_chart(
                        f"{channel}: {humanise(metric).lower()}",
                        [f"{m:%b %Y}" for m in months],
                        [
                            charts.Series(
                                humanise(metric),
                                [f.value for f in monthly],
                                charts.PALETTE[channels.index(channel) % len(charts.PALETTE)],
                            )
                        ],
                        width=300,
                        height=180,
                    )
                )

    def c(m, ch, p="quarter"):
        return figs.get("Q2.5", m, p, "channel", ch)

    linkedin_months = [
        (f"{m:%B}", figs.get("Q2.5", "page_views", "month", "channel", "LinkedIn", start=m))
        for m in months
    ]
    return {
        "months": [f"{m:%b %Y}" for m in months],
        "table": table,
        "charts": small,
        "linkedin_views": ", ".join(
            f"{name}: {fig.count}" for name, fig in linkedin_months if fig.ok
        ),
        "linkedin_impressions": c("impressions", "LinkedIn"),
        "x_followers": c("followers", "X"),
        "web_users": c("users", "Website"),
        "web_new_users": c("new_users", "Website"),
        "web_pages": c("pages_viewed", "Website"),
        "editions": first_available(
            c("editions_published", "E-magazine", "since_inception"),
            c("editions_published", "E-magazine"),
        ),
    }


ORDINALS = ("", "second ", "third ", "fourth ", "fifth ")


def engagement_sentence(wave: str, score: Fig, history) -> str:
    """The wave's engagement score against the previous wave and its rank since inception, from
    every wave's engagement_score in kpi_values (each reporting quarter publishes its own waves)."""
    if not score.ok or not wave:
        return ""
    scores = {
        row.breakdown_value: row.value
        for _, row in history
        if row.kpi_id == "Q2.4"
        and row.measure == "engagement_score"
        and row.breakdown == "wave"
        and row.value is not None
        and row.breakdown_value <= wave
    }
    scores[wave] = score.value
    text = f"The engagement score in {wave_label(wave)} was {score.pct1}"
    earlier = sorted(w for w in scores if w < wave)
    if earlier:
        previous = earlier[-1]
        change = score.value - scores[previous]
        direction = "an increase" if change > 0 else "a decrease" if change < 0 else "no change"
        size = f" of {Fig(abs(change), 'share').pct1[:-1]} percentage points" if change else ""
        text += (
            f", {direction}{size} on {wave_label(previous)}'s {Fig(scores[previous], 'share').pct1}"
        )
    text += "."
    if len(scores) >= 3:
        ordered = sorted(scores.values())
        low = ordered.index(score.value)  # 0 = lowest (ties share the better rank)
        high = len(ordered) - 1 - max(i for i, v in enumerate(ordered) if v == score.value)
        if low < len(ORDINALS) and low <= high:
            text += (
                f" This is the {ORDINALS[low]}lowest engagement score of the {len(scores)} waves "
                "since inception."
            )
        elif high < len(ORDINALS):
            text += (
                f" This is the {ORDINALS[high]}highest engagement score of the {len(scores)} waves "
                "since inception."
            )
    return text

"""HR staff records, establishment snapshots and the TOEX Citizen Survey (staff survey).

Calibrated: 126 staff in post on 2025-05-31 (86 survey respondents = 68.3%), 125 on
the quarter end with a mean length of service of exactly 865 days; 3 starters, 7
leavers, 1 promotion in the quarter (plus a starter, a leaver and a promotion in
early July that must not count); the latest establishment snapshot on or before the
quarter end holds 130 filled, 4 in progress, 10 vacant, 8 on hold positions. Survey
answers reproduce the May 2025 table and, through February 2025, its Diff column.
"""

from __future__ import annotations

import logging
from datetime import date

from .common import (
    INCEPTION,
    PRE_QUARTER_END,
    QUARTER_END,
    TEAM_FORCES,
    TEAMS,
    TERRITORIAL,
    Table,
    days,
    month_end,
    rand_date,
    uk,
    ym,
)
from .model import World
from .names import NATIONAL_ROLES, STAFF_ROLES

log = logging.getLogger("toex.generator")

IN_POST_AT_QUARTER_END = 125
MEAN_SERVICE_DAYS = 865
Q1_STARTS = (date(2025, 4, 7), date(2025, 5, 19), date(2025, 6, 16))
# Leavers of the quarter (end date, reason); 30 June is still in post on the quarter end.
Q1_LEAVERS = (
    (date(2025, 4, 11), "retirement"),
    (date(2025, 4, 30), "left_policing"),
    (date(2025, 5, 16), "changed_teams"),
    (date(2025, 5, 30), "end_of_secondment"),
    (date(2025, 6, 6), "left_policing"),
    (date(2025, 6, 20), "changed_teams"),
    (date(2025, 6, 30), "retirement"),
)
HISTORIC_LEAVERS = 74
REASONS = ("retirement", "left_policing", "changed_teams", "end_of_secondment", "other")
TEAM_SIZE = {"TOEX NT": 26, "LONDON": 12}  # other teams ~10


def _team(rng) -> str:
    weights = [TEAM_SIZE.get(t, 10) for t in TEAMS]
    return rng.choices(TEAMS, weights=weights)[0]


def _force_for(rng, team: str) -> str:
    return rng.choice(TEAM_FORCES[team]) if TEAM_FORCES.get(team) else rng.choice(TERRITORIAL)


def build_staff(w: World) -> None:
    rng = w.sub_rng("staff")
    staff: list[dict] = []

    def person(team, start, end=None, reason=None, number=None, name=None, email=None):
        if name is None:
            name, email = w.people.person(_force_for(rng, team))
        rec = {
            "staff_number": number or "",
            "full_name": name,
            "email": email,
            "team": team,
            "start": start,
            "end": end,
            "reason": reason,
            "promoted": None,
        }
        staff.append(rec)
        return rec

    # Current staff (in post on the quarter end).
    current = [person(_team(rng), d) for d in Q1_STARTS]
    current.append(person(_team(rng), None, Q1_LEAVERS[-1][0], Q1_LEAVERS[-1][1]))
    current.append(person(_team(rng), None, date(2025, 7, 4), "end_of_secondment"))
    while len(current) < IN_POST_AT_QUARTER_END:
        current.append(person(_team(rng), None))
    fixed = current[:3]
    movable = current[3:]
    for rec in movable:
        # The programme ramped up in 2021-22: early starts are more likely.
        span = (PRE_QUARTER_END - INCEPTION).days
        rec["start"] = INCEPTION + days(int(span * rng.random() ** 1.25))
    target = MEAN_SERVICE_DAYS * IN_POST_AT_QUARTER_END
    diff = target - sum((QUARTER_END - r["start"]).days for r in current)
    # Earlier start = longer service; spread the correction over everyone movable.
    for _ in range(5):
        for i, rec in enumerate(movable):
            if diff == 0:
                break
            step = round(diff / (len(movable) - i)) or (1 if diff > 0 else -1)
            new = min(max(rec["start"] - days(step), INCEPTION), PRE_QUARTER_END - days(1))
            diff -= (rec["start"] - new).days
            rec["start"] = new
    assert diff == 0, diff
    assert all(r["start"] for r in fixed)

    # Leavers of the quarter and before it.
    for end, reason in Q1_LEAVERS[:-1]:
        start = INCEPTION + days(int((date(2025, 1, 31) - INCEPTION).days * rng.random()))
        person(_team(rng), start, end, reason)
    for _ in range(HISTORIC_LEAVERS):
        start = rand_date(rng, INCEPTION, date(2024, 6, 30))
        end = rand_date(rng, start + days(90), PRE_QUARTER_END)
        person(_team(rng), start, end, rng.choice(REASONS))
    # A rejoiner: two stints under one staff number, both before the quarter.
    first = person(_team(rng), date(2021, 9, 6), date(2022, 11, 25), "changed_teams")
    again = person(
        first["team"],
        date(2023, 5, 15),
        date(2024, 12, 20),
        "end_of_secondment",
        name=first["full_name"],
        email=first["email"],
    )

    # Staff numbers in order of first joining.
    staff.sort(key=lambda r: (r["start"], r["full_name"]))
    n = 0
    for rec in staff:
        if rec is again:
            continue
        n += 1
        rec["staff_number"] = f"TX{10000 + n * 7}"
    again["staff_number"] = first["staff_number"]

    # Promotions: one in the quarter, one in July, the rest earlier.
    long_serving = [r for r in staff if r["end"] is None and r["start"] < date(2023, 6, 1)]
    chosen = rng.sample(long_serving, 24)
    chosen[0]["promoted"] = date(2025, 5, 12)
    chosen[1]["promoted"] = date(2025, 7, 1)
    for rec in chosen[2:]:
        rec["promoted"] = rand_date(rng, rec["start"] + days(180), PRE_QUARTER_END)
    for rec in staff:
        last = min(rec["end"] or PRE_QUARTER_END, PRE_QUARTER_END)
        long_enough = rec["end"] and rec["start"] < last - days(400)
        if long_enough and rec is not again and rng.random() < 0.1:
            rec["promoted"] = rand_date(
                rng, rec["start"] + days(180), min(rec["end"], PRE_QUARTER_END)
            )
    w.staff = staff
    _check(staff)


def in_post(staff: list[dict], d: date) -> list[dict]:
    return [r for r in staff if r["start"] <= d and (r["end"] is None or r["end"] >= d)]


def _check(staff: list[dict]) -> None:
    at_end = in_post(staff, QUARTER_END)
    assert len(at_end) == IN_POST_AT_QUARTER_END
    assert len(in_post(staff, date(2025, 5, 31))) == 126
    assert sum((QUARTER_END - r["start"]).days for r in at_end) == 865 * 125


def staff_table(w: World) -> Table:
    # HR exports UK dates.
    t = Table(
        "hr_staff",
        [
            "staff_number",
            "full_name",
            "team",
            "start_date",
            "end_date",
            "leaving_reason",
            "promoted_date",
        ],
    )
    for r in sorted(w.staff, key=lambda r: (r["staff_number"], r["start"])):
        t.add(
            {
                "staff_number": r["staff_number"],
                "full_name": r["full_name"],
                "team": r["team"],
                "start_date": uk(r["start"]),
                "end_date": uk(r["end"]),
                "leaving_reason": r["reason"] or "",
                "promoted_date": uk(r["promoted"]),
            }
        )
    return t


# --------------------------------------------------------------------------- positions

FINAL_POSITIONS = {"filled": 130, "in_progress": 4, "vacant": 10, "on_hold": 8}
IN_PROGRESS_STAGES = ("interview", "vetting", "pre_employment_checks", "start_date_agreed")


def positions_table(w: World) -> Table:
    """Quarterly establishment snapshots (Excel), each listing every position."""
    rng = w.sub_rng("positions")
    total = sum(FINAL_POSITIONS.values())
    positions = []
    for i in range(1, total + 1):
        team = _team(rng)
        title = (
            rng.choice(NATIONAL_ROLES + STAFF_ROLES)
            if team == "TOEX NT"
            else rng.choice(STAFF_ROLES)
        )
        positions.append((f"POS-{i:04d}", team, title))
    snapshots = [
        month_end(date(y, m, 1))
        for y, m in (
            (2023, 6),
            (2023, 9),
            (2023, 12),
            (2024, 3),
            (2024, 6),
            (2024, 9),
            (2024, 12),
            (2025, 3),
        )
    ]
    rows: list[dict] = []
    for k, snap in enumerate(snapshots):
        n = 136 + 2 * k  # the establishment grew over time
        for pid, team, title in positions[:n]:
            status = rng.choices(("filled", "in_progress", "vacant", "on_hold"), (84, 4, 7, 5))[0]
            rows.append(_position_row(rng, snap, pid, team, title, status))
    final = [s for s, c in FINAL_POSITIONS.items() for _ in range(c)]
    rng.shuffle(final)
    latest = [
        _position_row(rng, QUARTER_END, pid, team, title, status)
        for (pid, team, title), status in zip(positions, final, strict=False)
    ]
    stages = iter(IN_PROGRESS_STAGES)
    for row in latest:
        if row["status"] == "in_progress":
            row["recruitment_stage"] = next(stages)
    rows += latest
    # A snapshot taken after the quarter end, in which one more post is filled.
    filled_one = False
    for row in latest:
        new = dict(row, snapshot_date=date(2025, 7, 7))
        if not filled_one and row["status"] == "in_progress":
            new.update(status="filled", recruitment_stage=None)
            filled_one = True
        rows.append(new)
    t = Table(
        "hr_positions",
        ["snapshot_date", "position_id", "team", "role_title", "status", "recruitment_stage"],
        fmt="xlsx",
    )
    for row in rows:
        t.add(row)
    return t


def _position_row(rng, snap, pid, team, title, status) -> dict:
    stage = None
    if status == "in_progress":
        stage = rng.choice(IN_PROGRESS_STAGES)
    elif status == "vacant":
        stage = "advertised" if rng.random() < 0.6 else None
    return {
        "snapshot_date": snap,
        "position_id": pid,
        "team": team,
        "role_title": title,
        "status": status,
        "recruitment_stage": stage,
    }


# --------------------------------------------------------------------------- survey

QUESTIONS = (
    ("q01_aims", "I understand the aims and objectives of the TOEX programme"),
    (
        "q02_vision",
        ("The national leadership team provide a clear vision of the overall direction of TOEX"),
    ),
    (
        "q03_contribution",
        ("I know how the work I do helps our programme achieve its aims and objectives"),
    ),
    ("q04_training", "I can access the training and development I need to do my job"),
    ("q05_tools", "I can access and use the technical tools deployed in the TOEX CE?"),
    ("q06_performance", "I know how well our programme is performing"),
    ("q07_voice", "I am empowered to share my opinion on decisions that affect my work"),
    ("q08_valued", "I feel valued and recognised for the work I do"),
    ("q09_leadership", "Senior Leaders in my team, demonstrate effective decision making"),
    ("q10_pride", "I am proud to work for the TOEX Programme"),
    ("q11_advocacy", "I actively promote TOEX as a good place to work"),
)
NEW_QUESTION = "q05_tools"  # first asked in May 2025
# (Yes, Not Sure, No) counts: May 2025 (86 respondents) and February 2025 (88).
MAY_2025 = {
    "q01_aims": (85, 1, 0),
    "q02_vision": (73, 11, 2),
    "q03_contribution": (79, 6, 1),
    "q04_training": (76, 4, 6),
    "q05_tools": (67, 0, 19),
    "q06_performance": (71, 12, 3),
    "q07_voice": (74, 6, 6),
    "q08_valued": (69, 8, 9),
    "q09_leadership": (69, 14, 3),
    "q10_pride": (78, 8, 0),
    "q11_advocacy": (74, 9, 3),
}
FEB_2025 = {
    "q01_aims": (88, 0, 0),
    "q02_vision": (82, 5, 1),
    "q03_contribution": (86, 2, 0),
    "q04_training": (79, 5, 4),
    "q06_performance": (79, 7, 2),
    "q07_voice": (79, 5, 4),
    "q08_valued": (68, 12, 8),
    "q09_leadership": (72, 13, 3),
    "q10_pride": (85, 3, 0),
    "q11_advocacy": (82, 5, 1),
}
WAVES = [
    date(y, m, 1)
    for y in range(2022, 2026)
    for m in (2, 5, 8, 11)
    if date(y, m, 1) <= date(2025, 5, 1)
]  # quarterly: February, May, August, November


def survey_table(w: World) -> Table:
    rng = w.sub_rng("survey")
    t = Table("staff_survey", ["wave", "respondent_id", "question_id", "question_text", "answer"])
    for wave in WAVES:
        staff = in_post(w.staff, month_end(wave))
        if wave == date(2025, 5, 1):
            counts, n = MAY_2025, 86
        elif wave == date(2025, 2, 1):
            counts, n = FEB_2025, 88
        else:
            counts, n = None, round(len(staff) * rng.uniform(0.6, 0.85))
        respondents = sorted(rng.sample(staff, n), key=lambda r: r["email"])
        questions = [q for q in QUESTIONS if q[0] != NEW_QUESTION or wave >= date(2025, 5, 1)]
        answers: dict[str, list[str]] = {}
        for qid, _ in questions:
            if counts:
                yes, unsure, no = counts[qid]
                col = ["Yes"] * yes + ["Not Sure"] * unsure + ["No"] * no
            else:
                p = rng.uniform(0.82, 0.97)
                col = [
                    ("Yes" if rng.random() < p else rng.choice(("Not Sure", "Not Sure", "No")))
                    if rng.random() > 0.02
                    else ""
                    for _ in range(n)
                ]
            rng.shuffle(col)
            answers[qid] = col
        for i, r in enumerate(respondents):
            for qid, text in questions:
                t.add(
                    {
                        "wave": ym(wave),
                        "respondent_id": r["email"],
                        "question_id": qid,
                        "question_text": text,
                        "answer": answers[qid][i],
                    }
                )
    return t

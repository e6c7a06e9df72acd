"""The Capabilities Environment's tool usage: units processed per tool, team or force and month,
from each tool's go-live; Translation words and Transcription minutes calibrated to the pack's
gross savings since inception."""

from __future__ import annotations

import math
from datetime import date

from .capabilities import _live_from
from .common import INCEPTION, QUARTER_END, TEAMS, TERRITORIAL, Table, month_starts, ym
from .model import World

TOOL_START = {
    "Translation": date(2022, 5, 1),
    "Transcription": date(2022, 9, 1),
    "Traffic Jam": date(2022, 7, 1),
    "DART": date(2022, 12, 1),
    "Facebook Friends": date(2023, 3, 1),
    "Companies House": date(2023, 6, 1),
}
UNIT_TYPE = {
    "Translation": "words",
    "Transcription": "audio_minutes",
    "DART": "searches",
    "Facebook Friends": "searches",
    "Companies House": "searches",
    "Traffic Jam": "searches",
    "Client Eye": "records",
}
FORCE_TOOLS = ("Translation", "Transcription", "DART", "Companies House")
# Totals to the quarter end: 98.4m words x GBP 0.10 + 4.4m minutes x GBP 1.50 = GBP 16.44m.
SAVINGS_UNITS = {"Translation": 98_400_000, "Transcription": 4_400_000}
UNITS_PER_JOB = {
    "Translation": 3500,
    "Transcription": 40,
    "DART": 25,
    "Facebook Friends": 6,
    "Companies House": 12,
    "Traffic Jam": 30,
}


def tool_usage_table(w: World) -> Table:
    rng = w.sub_rng("tool_usage")
    months = month_starts(INCEPTION, date(2025, 7, 1))
    rows = []
    for tool, start in TOOL_START.items():
        orgs = [o for o in TEAMS] + ([f for f in TERRITORIAL] if tool in FORCE_TOOLS else [])
        for org in orgs:
            live = _live_from(w, org)
            if live is None:
                continue
            for m in months:
                if m < max(start, live.replace(day=1)):
                    continue
                if rng.random() > (0.92 if org in TEAMS else 0.75):
                    continue
                age = (m.year - start.year) * 12 + m.month - start.month + 1
                size = 3.0 if org in TEAMS else 1.0  # a TOEX team uses tools more than a force
                weight = math.sqrt(age) * size * rng.lognormvariate(0, 0.5)
                if m == date(2025, 7, 1):
                    weight /= 3  # ten days of July
                rows.append({"month": m, "tool": tool, "organisation": org, "w": weight})
    for tool in TOOL_START:
        mine = [r for r in rows if r["tool"] == tool]
        to_qe = [r for r in mine if r["month"] <= QUARTER_END]
        total = SAVINGS_UNITS.get(tool) or int(sum(r["w"] for r in to_qe) * rng.uniform(20, 60))
        _apportion(to_qe, total)
        scale = total / sum(r["w"] for r in to_qe)
        for r in mine:
            if r["month"] > QUARTER_END:
                r["units"] = max(1, round(r["w"] * scale))
    t = Table(
        "tool_usage",
        ["month", "tool", "organisation", "active_users", "jobs", "units", "unit_type"],
    )
    for r in sorted(rows, key=lambda r: (r["month"], r["tool"], r["organisation"])):
        jobs = max(1, round(r["units"] / UNITS_PER_JOB[r["tool"]] * rng.uniform(0.7, 1.3)))
        users = max(1, min(jobs, round(jobs / rng.uniform(2, 6))))
        t.add(
            {
                "month": ym(r["month"]),
                "tool": r["tool"],
                "organisation": r["organisation"],
                "active_users": str(users),
                "jobs": str(jobs),
                "units": str(r["units"]),
                "unit_type": UNIT_TYPE[r["tool"]],
            }
        )
    return t


def _apportion(rows: list[dict], total: int) -> None:
    """Integer units proportional to weights, summing exactly to `total`."""
    s = sum(r["w"] for r in rows)
    shares = [r["w"] / s * total for r in rows]
    floors = [int(x) for x in shares]
    order = sorted(range(len(rows)), key=lambda i: shares[i] - floors[i], reverse=True)
    for i in order[: total - sum(floors)]:
        floors[i] += 1
    for r, u in zip(rows, floors, strict=False):
        r["units"] = u

"""Monthly programme costs by cost centre and category (exported from Finance as Excel).

Not calibrated against a published figure; shaped like the programme: regional and
national team staff costs growing through the ramp-up, the Capabilities Environment
(CE) build then licences, cloud consumption, storage and care-and-feed, the Data
Platform (DP) from 2022, and a credit note.
"""

from __future__ import annotations

from datetime import date

from .common import INCEPTION, TEAMS, Table, month_starts, ym
from .model import World


def costs_table(w: World) -> Table:
    rng = w.sub_rng("costs")
    rows: list[tuple[date, str, str, float]] = []
    months = month_starts(INCEPTION, date(2025, 6, 1))
    for i, m in enumerate(months):
        ramp = min(1.0, 0.35 + i / 18)  # teams were recruited through 2021-22
        for team in TEAMS:
            base = 120_000 if team == "TOEX NT" else 62_000
            rows.append((m, team, "staff", base * ramp * rng.uniform(0.95, 1.05)))
            if rng.random() < 0.6:
                rows.append((m, team, "other", rng.uniform(400, 4_500)))
        if date(2021, 10, 1) <= m <= date(2022, 9, 1):
            rows.append((m, "CE", "build", rng.uniform(45_000, 80_000)))
        if m >= date(2022, 1, 1):
            rows.append((m, "CE", "licences", rng.uniform(12_000, 26_000)))
        if m >= date(2022, 3, 1):
            growth = min(1.0, 0.3 + (m.year - 2022) * 0.25)
            rows.append((m, "CE", "cloud_consumption", 35_000 * growth * rng.uniform(0.85, 1.15)))
            rows.append((m, "CE", "storage", rng.uniform(900, 4_200)))
        if m >= date(2022, 6, 1):
            rows.append((m, "CE", "care_and_feed", rng.uniform(14_000, 21_000)))
        if date(2022, 6, 1) <= m <= date(2023, 3, 1):
            rows.append((m, "DP", "build", rng.uniform(22_000, 38_000)))
        if m >= date(2022, 9, 1):
            rows.append((m, "DP", "cloud_consumption", rng.uniform(4_500, 15_000)))
            rows.append((m, "DP", "storage", rng.uniform(300, 1_800)))
        if m >= date(2023, 4, 1):
            rows.append((m, "DP", "care_and_feed", rng.uniform(6_500, 9_500)))
        if m == date(2024, 11, 1):
            rows.append((m, "DP", "other", -3_250.00))  # supplier credit note
    t = Table("costs", ["month", "cost_centre", "category", "amount_gbp"], fmt="xlsx")
    for m, centre, category, amount in rows:
        t.add(
            {
                "month": ym(m),
                "cost_centre": centre,
                "category": category,
                "amount_gbp": round(amount, 2),
            }
        )
    return t

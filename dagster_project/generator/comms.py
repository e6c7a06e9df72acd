"""Communications metrics, monthly per channel.

Calibrated for 2025-26 Q1: LinkedIn page views 197/234/170 and 21,4xx impressions,
X followers 634 at the end of June (a stock: 640 in July must not be used), website
387 users yet 700+ new users (the pack's inconsistency, kept on purpose), 3,3xx pages
viewed, and the 13th e-magazine edition published in May 2025.
"""

from __future__ import annotations

from datetime import date

from .common import INCEPTION, Table, month_starts, ym
from .model import World

Q1_MONTHS = (date(2025, 4, 1), date(2025, 5, 1), date(2025, 6, 1))
JULY = date(2025, 7, 1)
LINKEDIN_PAGE_VIEWS = (197, 234, 170)
X_FOLLOWERS = (621, 628, 634, 640)  # April, May, June, July
EDITIONS = 13


def _split(rng, total: int, parts: int = 3) -> list[int]:
    weights = [rng.uniform(0.8, 1.2) for _ in range(parts)]
    out = [int(total * x / sum(weights)) for x in weights]
    out[-1] += total - sum(out)
    return out


def comms_table(w: World) -> Table:
    rng = w.sub_rng("comms")
    rows: list[tuple[date, str, str, int]] = []
    months = month_starts(INCEPTION, date(2025, 3, 1))

    # LinkedIn: from June 2021.
    followers = 140
    for i, m in enumerate(x for x in months if x >= date(2021, 6, 1)):
        followers += rng.randint(8, 45)
        rows += [
            (m, "LinkedIn", "page_views", int(60 + 3 * i + rng.randint(-20, 40))),
            (m, "LinkedIn", "impressions", int(1800 + 110 * i + rng.randint(-400, 600))),
            (m, "LinkedIn", "followers", followers),
        ]
    for m, pv, imp in zip(
        Q1_MONTHS, LINKEDIN_PAGE_VIEWS, _split(rng, 21_400 + rng.randint(5, 95)), strict=False
    ):
        followers += rng.randint(20, 45)
        rows += [
            (m, "LinkedIn", "page_views", pv),
            (m, "LinkedIn", "impressions", imp),
            (m, "LinkedIn", "followers", followers),
        ]
    rows += [(JULY, "LinkedIn", "page_views", 58), (JULY, "LinkedIn", "followers", followers + 9)]

    # X: followers throughout; other analytics disabled after June 2023.
    x_months = [m for m in months]
    start = 180
    for i, m in enumerate(x_months):
        value = start + round((X_FOLLOWERS[0] - 3 - start) * (i + 1) / len(x_months))
        rows.append((m, "X", "followers", value))
        if m < date(2023, 7, 1):
            rows.append((m, "X", "impressions", rng.randint(900, 4200)))
    for m, f in zip(Q1_MONTHS + (JULY,), X_FOLLOWERS, strict=False):
        rows.append((m, "X", "followers", f))

    # Website: from January 2022.
    for m in (x for x in months if x >= date(2022, 1, 1)):
        users = rng.randint(90, 160)
        rows += [
            (m, "Website", "users", users),
            (m, "Website", "new_users", int(users * rng.uniform(0.7, 0.95))),
            (m, "Website", "pages_viewed", int(users * rng.uniform(6, 10))),
        ]
    for m, u, n, p in zip(
        Q1_MONTHS,
        _split(rng, 387),
        _split(rng, 700 + rng.randint(5, 40)),
        _split(rng, 3_300 + rng.randint(20, 95)),
        strict=False,
    ):
        rows += [
            (m, "Website", "users", u),
            (m, "Website", "new_users", n),
            (m, "Website", "pages_viewed", p),
        ]
    rows.append((JULY, "Website", "users", 41))

    # E-magazine: 12 editions before the quarter, the 13th in May 2025.
    mag_months = [m for m in months if m >= date(2022, 3, 1)]
    published = set(rng.sample(mag_months, EDITIONS - 1))
    for m in mag_months + list(Q1_MONTHS) + [JULY]:
        n = 1 if (m in published or m == date(2025, 5, 1)) else 0
        rows.append((m, "E-magazine", "editions_published", n))
        if m != JULY:
            rows.append((m, "E-magazine", "page_views", rng.randint(40, 160) + 250 * n))

    t = Table("comms_metrics", ["month", "channel", "metric", "value"])
    for m, channel, metric, value in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
        t.add({"month": ym(m), "channel": channel, "metric": metric, "value": str(max(0, value))})
    return t

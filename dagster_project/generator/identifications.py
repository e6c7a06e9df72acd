"""Verified identifications recorded in APMIS and the Internal Workload Tracker (IWT).

An identification is a `record_ref`; about a third are recorded in both systems and
count once, on the date and operation of the earliest verified record. Safeguarding
referrals: 445 before 2024-25, 458 in 2024-25, 94 in 2025-26 Q1 (997 since
inception) over 22 operations in the quarter. Edge cases planted: an unverified
earlier record, records straddling the quarter start and end, a second record on a
different operation, verified records dated in July, and unverified-only records.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from .common import (
    EXTRACTED,
    FY2024_START,
    INCEPTION,
    PRE_QUARTER_END,
    QUARTER_END,
    QUARTER_START,
    Table,
    days,
    iso,
    rand_date,
)
from .disruptions import Disruption, _q1_window, _range
from .model import Operation, World

log = logging.getLogger("toex.generator")

PERIODS = {
    "pre": (INCEPTION, FY2024_START - days(1)),
    "fy24": (FY2024_START, PRE_QUARTER_END),
    "q1": (QUARTER_START, QUARTER_END),
}
# category -> period -> identifications counted
COUNTS = {
    "safeguarding_referral": {"pre": 445, "fy24": 458, "q1": 94},
    "priority_individual": {"pre": 150, "fy24": 95, "q1": 25},
    "ocg": {"pre": 20, "fy24": 13, "q1": 5},
    "vulnerability": {"pre": 9, "fy24": 5, "q1": 2},
}
Q1_REFERRAL_OPS = 22
Q1_NAMED_REFERRALS = {"LONDON Op 35": 19, "SEROCU Op 56": 10, "NEROCU Op 63": 7, "NWROCU Op 60": 3}
UNVERIFIED_ONLY = 40


@dataclass
class Record:
    source: str
    op: Operation
    date: date
    category: str
    verified: bool
    ref_no: int = 0
    rid: str = ""


def build_identifications(w: World, disruptions: list[Disruption]) -> list[Record]:
    rng = w.sub_rng("identifications")
    refs: list[list[Record]] = []

    def ident(category, op, d, pattern=None):
        """One identification counted on `d` (its earliest verified record)."""
        pattern = pattern or rng.choices(("single", "both", "unverified_first"), (60, 30, 10))[0]
        first = rng.choice(("APMIS", "IWT"))
        second = "IWT" if first == "APMIS" else "APMIS"
        recs = [Record(first, op, d, category, True)]
        if pattern == "both":
            later = min(d + days(rng.randint(0, 25)), EXTRACTED, max(d, op.closed or EXTRACTED))
            recs.append(Record(second, op, later, category, rng.random() < 0.85))
        elif pattern == "unverified_first" and d - days(30) >= max(INCEPTION, op.opened):
            recs.insert(0, Record(second, op, d - days(rng.randint(1, 30)), category, False))
        refs.append(recs)

    toex_ops = sorted(
        {x.op for x in disruptions if x.toex} | {o for o in w.ops if o.jobs}, key=w.ops.index
    )

    # 2025-26 Q1 referrals: 22 operations.
    named = [w.roles[r] for r in Q1_NAMED_REFERRALS]
    active = [
        o
        for o in w.ops
        if o.jobs
        and o not in named
        and o.role is None
        and any(j.alloc <= QUARTER_END and j.end >= QUARTER_START for j in o.jobs)
    ]
    others = rng.sample(active, Q1_REFERRAL_OPS - len(named))
    q1_ops = named + others
    per_op = dict(zip(named, Q1_NAMED_REFERRALS.values(), strict=False))
    left = COUNTS["safeguarding_referral"]["q1"] - sum(per_op.values()) - 3  # 3 designed below
    extra = [0] * len(others)
    for _ in range(left - len(others)):
        extra[rng.randrange(len(others))] += 1
    for op, n in zip(others, extra, strict=False):
        per_op[op] = 1 + n
    for op, n in per_op.items():
        lo, hi = _q1_window(op)
        for _ in range(n):
            ident("safeguarding_referral", op, rand_date(rng, lo, hi))
    # Designed edge cases (three count in the quarter, one in 2024-25).
    a, b = [o for o in others if o.opened <= date(2025, 3, 1)][:2]
    not_q1 = next(
        o
        for o in toex_ops
        if o not in q1_ops
        and o.jobs
        and o.role is None
        and o.opened <= date(2025, 5, 1)
        and (o.closed is None or o.closed > QUARTER_END)
    )
    refs.append(
        [
            Record("APMIS", a, date(2025, 3, 25), "safeguarding_referral", False),
            Record("IWT", a, date(2025, 4, 2), "safeguarding_referral", True),
        ]
    )
    refs.append(
        [
            Record("APMIS", b, date(2025, 6, 28), "safeguarding_referral", True),
            Record("IWT", b, date(2025, 7, 2), "safeguarding_referral", True),
        ]
    )
    refs.append(
        [
            Record("APMIS", a, date(2025, 5, 12), "safeguarding_referral", True),
            Record("IWT", not_q1, date(2025, 5, 19), "safeguarding_referral", True),
        ]
    )
    refs.append(
        [
            Record("APMIS", b, date(2025, 3, 30), "safeguarding_referral", True),
            Record("IWT", b, date(2025, 4, 3), "safeguarding_referral", True),
        ]
    )
    fy24_designed = 1
    # Other categories in the quarter, on any operation active in it.
    for category in ("priority_individual", "ocg", "vulnerability"):
        for _ in range(COUNTS[category]["q1"]):
            op = rng.choice(q1_ops + active[:40])
            lo, hi = _q1_window(op)
            ident(category, op, rand_date(rng, lo, hi))

    # Earlier periods, with single records on the period boundaries.
    boundary = {"pre": [date(2024, 3, 31)], "fy24": [FY2024_START, PRE_QUARTER_END]}
    for period in ("pre", "fy24"):
        plo, phi = PERIODS[period]
        for category, counts in COUNTS.items():
            n = counts[period] - (
                fy24_designed if (period, category) == ("fy24", "safeguarding_referral") else 0
            )
            fixed = boundary[period] if category == "safeguarding_referral" else []
            for i in range(n):
                while True:
                    op = rng.choice(toex_ops)
                    r = _range(op, phi)
                    if r and r[1] >= plo and (i >= len(fixed) or r[0] <= fixed[i] <= r[1]):
                        break
                lo, hi = max(r[0], plo), r[1]
                d = fixed[i] if i < len(fixed) else _skew(rng, lo, hi)
                ident(category, op, d, "single" if i < len(fixed) else None)
    # Not counted: verified in July, and never verified.
    refs.append([Record("APMIS", q1_ops[2], date(2025, 7, 3), "safeguarding_referral", True)])
    for _ in range(4):
        op = rng.choice(q1_ops)
        refs.append(
            [
                Record(
                    rng.choice(("APMIS", "IWT")),
                    op,
                    rand_date(rng, date(2025, 7, 1), date(2025, 7, 9)),
                    rng.choice(("safeguarding_referral", "priority_individual")),
                    True,
                )
            ]
        )
    for _ in range(UNVERIFIED_ONLY):
        d = _skew(rng, INCEPTION, QUARTER_END)
        if d >= QUARTER_START:
            op = rng.choice(q1_ops)
        else:
            op = rng.choice([o for o in toex_ops if o.opened <= d <= (o.closed or EXTRACTED)])
        refs.append(
            [
                Record(
                    rng.choice(("APMIS", "IWT")),
                    op,
                    d,
                    rng.choice(("safeguarding_referral", "priority_individual")),
                    False,
                )
            ]
        )

    refs.sort(key=lambda recs: (min(r.date for r in recs), rng.random()))
    records = []
    for n, recs in enumerate(refs, 1):
        for r in recs:
            r.ref_no = n
            records.append(r)
    records.sort(key=lambda r: (r.date, r.ref_no, r.source))
    seq = {"APMIS": 0, "IWT": 0}
    for r in records:
        seq[r.source] += 1
        r.rid = f"{'APM' if r.source == 'APMIS' else 'IWT'}-ID-{seq[r.source]:06d}"
    _check(records, q1_ops)
    log.info("identifications: %d rows", len(records))
    return records


def _skew(rng, lo: date, hi: date) -> date:
    span = (hi - lo).days
    return lo + days(int(span * rng.random() ** 0.8)) if span > 0 else lo


def _check(records: list[Record], q1_ops) -> None:
    first: dict[int, Record] = {}
    for r in sorted(records, key=lambda r: r.date):
        if r.verified and r.ref_no not in first:
            first[r.ref_no] = r
    sr = [r for r in first.values() if r.category == "safeguarding_referral"]
    q1 = [r for r in sr if QUARTER_START <= r.date <= QUARTER_END]
    assert len(q1) == 94 and len({r.op for r in q1}) == Q1_REFERRAL_OPS
    assert sum(1 for r in sr if FY2024_START <= r.date <= PRE_QUARTER_END) == 458
    assert sum(1 for r in sr if r.date <= QUARTER_END) == 997


def identifications_table(records: list[Record]) -> Table:
    t = Table(
        "identifications",
        [
            "identification_id",
            "source_system",
            "record_ref",
            "operation_ref",
            "identified_date",
            "category",
            "verified",
        ],
    )
    for r in records:
        # APMIS exports 1/0, the workload tracker Y/N.
        flag = ("1" if r.verified else "0") if r.source == "APMIS" else ("Y" if r.verified else "N")
        t.add(
            {
                "identification_id": r.rid,
                "source_system": r.source,
                "record_ref": f"REF-{r.ref_no:06d}",
                "operation_ref": r.op.ref,
                "identified_date": iso(r.date),
                "category": r.category,
                "verified": flag,
            }
        )
    return t

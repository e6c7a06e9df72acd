"""MoRiLE assessments: risk scores and Organisational Risk Indicators.

Built in layers so each published figure is exact by construction:

1. *designed* series: the 11 TOEX-involved assessments of 2025-26 Q1 (with their
   previous assessments: 3 increases averaging +45, decreases -4/-16/-434 with
   `YHROCU Op 7` 510 -> 76, 4 unchanged, 1 first) and the Top 10 Highest Risk
   operations per SOC exploitation threat (12 CSA, 15 MSHT, 11 OIC over the three
   month ends; 2/1/0 of them supported), including a 365-day boundary, staleness,
   a tie broken by the more recent assessment, a high score off the Master List and
   one dated after the quarter;
2. *fillers*: TOEX-involved assessments before the quarter, dated inside job windows,
   so that 942 assessments over 231 operations are TOEX-involved since inception;
3. *background*: every other assessment, dated outside TOEX job windows, scores
   below any Top 10 score; the quarter's background hits the per-threat totals
   (CSA 162/132, MSHT 640/488, OIC 77/61) exactly;
4. ORI values last, walking each series so exactly 175 decreases (80 of them on the
   first assessment after support commenced) and 62 increases are TOEX-involved.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from .common import (
    INCEPTION,
    PRE_QUARTER_END,
    QUARTER_END,
    QUARTER_START,
    Table,
    days,
    iso,
    rand_date,
)
from .model import FAR, Operation, World

log = logging.getLogger("toex.generator")

BACKGROUND_MAX = 1150  # every score outside the designed Top 10 stays below this
TOEX_SINCE_INCEPTION = 942
TOEX_OPERATIONS = 231
ORI_DECREASES_FIRST_AFTER_SUPPORT = 80
ORI_DECREASES_OTHER = 95  # 175 decreases in all
ORI_INCREASES = 62  # 175 / 62 = 2.82; 237 updates
# Background assessments of the quarter: threat -> (assessments, operations), on top of
# the designed ones (TOEX 3/7/1, Top 10 entries and exits 3/9/1, off-list CSA 1).
QUARTER_BACKGROUND = {"CSA": (155, 125), "MSHT": (624, 475), "OIC": (75, 59)}
QUARTER_OTHER_THREATS = 110
JULY_BACKGROUND = 18

# role -> (threat, [(date, score), ...]) ; the Q1.2 and Q2.3 designs.
DESIGNED: dict[str, tuple[str, list[tuple[date, int]]]] = {
    "YHROCU Op 7": (
        "CSA",
        [(date(2025, 1, 22), 510), (date(2025, 5, 20), 76), (date(2025, 7, 8), 70)],
    ),
    "q12_x1": (
        "MSHT",
        [
            (date(2025, 2, 11), 820),
            (date(2025, 4, 15), 804),
            (date(2025, 6, 10), 804),
            (date(2025, 7, 3), 804),
        ],
    ),
    "q12_x2": ("MSHT", [(date(2025, 1, 20), 300), (date(2025, 5, 6), 296)]),
    "q12_x3": (
        "MSHT",
        [(date(2024, 12, 5), 400), (date(2025, 4, 22), 440), (date(2025, 6, 18), 440)],
    ),
    "q12_x4": ("CSA", [(date(2025, 3, 3), 350), (date(2025, 5, 28), 395)]),
    "q12_x5": ("OIC", [(date(2024, 11, 12), 600), (date(2025, 6, 3), 650)]),
    "q12_x6": ("MSHT", [(date(2025, 1, 28), 500), (date(2025, 4, 29), 500)]),
    "q12_x7": ("MSHT", [(date(2024, 10, 30), 260), (date(2025, 6, 24), 260)]),
    "q12_x8": ("CSA", [(date(2025, 6, 12), 700)]),  # a first assessment
    # CSA Top 10: core 8 + a1 (Apr: boundary, exactly 365 days old on 30 April) + a2 (Apr, May;
    # re-scored low in June) + a3 (from May) + a4 (June).
    "top10_csa_a1": ("CSA", [(date(2024, 4, 30), 1480)]),
    "top10_csa_a2": ("CSA", [(date(2024, 11, 19), 1530), (date(2025, 6, 9), 640)]),
    "top10_csa_a3": ("CSA", [(date(2025, 5, 14), 1450)]),
    "top10_csa_a4": ("CSA", [(date(2025, 6, 17), 1420)]),
    # MSHT Top 10: core 5 + b1..b10; b8 and the tie operation share 1210 at the end of May,
    # b8's assessment is the more recent so it takes 10th place.
    "top10_msht_b1": ("MSHT", [(date(2024, 10, 8), 1600), (date(2025, 6, 4), 590)]),
    "top10_msht_b2": ("MSHT", [(date(2024, 8, 27), 1560)]),
    "top10_msht_b3": ("MSHT", [(date(2024, 5, 6), 1520)]),  # stale by 31 May
    "top10_msht_b4": ("MSHT", [(date(2024, 5, 22), 1500)]),  # stale by 31 May
    "top10_msht_b5": ("MSHT", [(date(2025, 1, 15), 1470), (date(2025, 5, 8), 520)]),
    "top10_msht_b6": ("MSHT", [(date(2025, 5, 5), 1440)]),
    "top10_msht_b7": ("MSHT", [(date(2025, 5, 20), 1400)]),
    "top10_msht_b8": ("MSHT", [(date(2025, 5, 27), 1210), (date(2025, 6, 12), 480)]),
    "top10_msht_tie": ("MSHT", [(date(2025, 5, 9), 1210)]),
    "top10_msht_b9": ("MSHT", [(date(2025, 6, 5), 1380)]),
    "top10_msht_b10": ("MSHT", [(date(2025, 6, 23), 1300)]),
    # OIC Top 10: core 9 + c1 (April, stale by May) + c2 (from May).
    "top10_oic_c1": ("OIC", [(date(2024, 5, 15), 1450)]),
    "top10_oic_c2": ("OIC", [(date(2025, 5, 21), 1420)]),
    # Traps: off the SOC Master List, and after the quarter end.
    "off_list_high_csa": ("CSA", [(date(2025, 5, 15), 1900)]),
    "july_high_csa": ("CSA", [(date(2025, 7, 4), 1950)]),
}
CORE_SCORES = {
    "csa": [1980, 1910, 1870, 1820, 1760, 1705, 1650, 1590],
    "msht": [1960, 1890, 1800, 1740, 1690],
    "oic": [1950, 1880, 1830, 1770, 1720, 1660, 1610, 1560, 1500],
}
NO_BACKGROUND = {"q12_x8"}  # its quarter assessment is the series' first


@dataclass(eq=False)
class Assessment:
    op: Operation
    threat: str
    date: date
    score: int | None = None
    kind: str = "background"  # designed | filler | background | quarter | july
    aid: str = ""
    ori: int | None = None
    toex: bool = False


def build_assessments(w: World) -> list[Assessment]:
    rng = w.sub_rng("assessments")
    out: list[Assessment] = []
    cutoffs: dict[tuple[Operation, str], date] = {}

    # 1. designed series
    designed = dict(DESIGNED)
    for threat, scores in CORE_SCORES.items():
        for i, score in enumerate(scores, 1):
            d = rand_date(rng, date(2024, 7, 1), date(2025, 3, 20))
            designed[f"top10_{threat}_core_{i}"] = (threat.upper(), [(d, score)])
    for role, (threat, points) in designed.items():
        op = w.roles[role]
        first = points[0][0]
        if op.opened > first - days(10):
            op.opened = max(INCEPTION, first - days(rng.randint(30, 300)))
        cutoffs[(op, threat)] = INCEPTION if role in NO_BACKGROUND else first
        for d, score in points:
            kind = "designed" if d <= QUARTER_END else "july"
            out.append(Assessment(op, threat, d, score, kind))
    designed_ops = {w.roles[r] for r in designed}

    # 2. fillers: TOEX-involved assessments before the quarter
    for a in out:
        a.toex = a.op.toex_active(a.date)
    pre_toex = [a for a in out if a.toex and a.date < QUARTER_START]
    q1_toex_ops = {a.op for a in out if a.toex and QUARTER_START <= a.date <= QUARTER_END}
    old_supported = [
        o
        for o in w.ops
        if o.jobs
        and o.support_start < QUARTER_START
        and _windows(o, INCEPTION, PRE_QUARTER_END, FAR)
    ]
    must = {a.op for a in pre_toex}
    for op in q1_toex_ops:
        if op.support_start < QUARTER_START:
            must.add(op)
    # |A_pre u Q1 ops| must be 231.
    size = TOEX_OPERATIONS - len(q1_toex_ops - set(old_supported))
    others = [o for o in old_supported if o not in must and o not in designed_ops]
    rng.shuffle(others)
    a_pre = sorted(must, key=w.ops.index) + others[: size - len(must)]
    n_fill = (
        TOEX_SINCE_INCEPTION
        - len(pre_toex)
        - sum(1 for a in out if a.toex and QUARTER_START <= a.date <= QUARTER_END)
    )
    needs_one = [o for o in a_pre if o not in {a.op for a in pre_toex}]
    weights = [max(1, _window_days(o, cutoffs)) for o in a_pre]
    targets = list(needs_one) + rng.choices(a_pre, weights=weights, k=n_fill - len(needs_one))
    used: dict[tuple[Operation, str], set[date]] = defaultdict(set)
    for a in out:
        used[(a.op, a.threat)].add(a.date)
    fillers = []
    for op in targets:
        a = _filler(rng, op, cutoffs, used)
        if a is None:  # no room in this op's windows: put it on another A_pre operation
            for alt in rng.sample(a_pre, len(a_pre)):
                a = _filler(rng, alt, cutoffs, used)
                if a:
                    break
        fillers.append(a)
    # A same-day pair in one series: the previous assessment is decided by assessment_id.
    by_series = defaultdict(list)
    for a in fillers:
        by_series[(a.op, a.threat)].append(a)
    pair = next(
        v
        for k, v in sorted(by_series.items(), key=lambda kv: w.ops.index(kv[0][0]))
        if len(v) >= 3 and k[0] not in designed_ops
    )
    pair[1].date = pair[0].date
    out.extend(fillers)

    # 3. background before the quarter (outside TOEX windows)
    for op in w.ops:
        if op.group == "g3":
            continue
        for threat in op.threats:
            out.extend(_background_series(rng, op, threat, cutoffs.get((op, threat), FAR), used))

    # ... in the quarter, exact per-threat totals
    eligible = [
        o
        for o in w.ops
        if o.role is None
        and o.group in ("g1", "g4", "g5")
        and (o.closed is None or o.closed > QUARTER_END)
        and o.opened <= date(2025, 6, 20)
        and not o.active_between(QUARTER_START, date(2025, 7, 10))
    ]
    for threat, (n_assess, n_ops) in QUARTER_BACKGROUND.items():
        pool = [o for o in eligible if threat in o.threats]
        chosen = rng.sample(pool, n_ops)
        twice = set(rng.sample(chosen, n_assess - n_ops))
        for op in chosen:
            for _ in range(2 if op in twice else 1):
                out.append(
                    Assessment(
                        op,
                        threat,
                        _free_date(rng, op, threat, used, QUARTER_START, QUARTER_END),
                        kind="quarter",
                    )
                )
    other = [(o, t) for o in eligible for t in o.threats if t not in ("CSA", "MSHT", "OIC")]
    for op, threat in rng.sample(other, QUARTER_OTHER_THREATS):
        out.append(
            Assessment(
                op,
                threat,
                _free_date(rng, op, threat, used, QUARTER_START, QUARTER_END),
                kind="quarter",
            )
        )
    # ... and a few in early July, which no Q1 figure may count.
    for op in rng.sample(eligible, JULY_BACKGROUND):
        threat = rng.choice(sorted(op.threats))
        out.append(
            Assessment(
                op,
                threat,
                _free_date(rng, op, threat, used, date(2025, 7, 1), date(2025, 7, 10)),
                kind="july",
            )
        )

    for a in out:
        a.toex = a.op.toex_active(a.date)
    toex = [a for a in out if a.toex and a.date <= QUARTER_END]
    assert len(toex) == TOEX_SINCE_INCEPTION, len(toex)
    assert len({a.op for a in toex}) == TOEX_OPERATIONS, len({a.op for a in toex})
    _scores_and_ids(rng, out)
    _ori(rng, out)
    log.info("morile_assessments: %d rows", len(out))
    return out


def _windows(op: Operation, lo: date, hi: date, cutoff: date) -> list[tuple[date, date]]:
    """Job windows of `op` clipped to [lo, hi], the operation's life and the series cutoff."""
    out = []
    for j in op.jobs:
        a = max(j.alloc, lo, op.opened)
        b = min(j.end, hi, op.closed or FAR, cutoff - days(1))
        if a <= b:
            out.append((a, b))
    return out


def _window_days(op: Operation, cutoffs) -> int:
    return sum((b - a).days + 1 for a, b in _windows(op, INCEPTION, PRE_QUARTER_END, FAR))


def _filler(rng, op: Operation, cutoffs, used) -> Assessment | None:
    threats = sorted(op.threats)
    rng.shuffle(threats)
    for threat in threats:
        wins = _windows(op, INCEPTION, PRE_QUARTER_END, cutoffs.get((op, threat), FAR))
        if not wins:
            continue
        for _ in range(20):
            a, b = rng.choices(wins, weights=[(b - a).days + 1 for a, b in wins])[0]
            d = rand_date(rng, a, b)
            if d not in used[(op, threat)]:
                used[(op, threat)].add(d)
                return Assessment(op, threat, d, kind="filler")
    return None


def _background_series(rng, op: Operation, threat: str, cutoff: date, used) -> list[Assessment]:
    out = []
    end = min(op.closed or FAR, PRE_QUARTER_END, cutoff - days(1))
    t = op.opened + days(rng.randint(5, 150))
    while t <= end:
        if not op.toex_active(t) and t not in used[(op, threat)]:
            used[(op, threat)].add(t)
            out.append(Assessment(op, threat, t))
        t += days(rng.randint(70, 330))
    start = op.support_start
    if start and rng.random() < 0.7 and not any(a.date < start for a in out):
        # Assessed before TOEX support commenced (the ORI "first after support" question).
        hi = min(start - days(1), end)
        if hi >= op.opened:
            d = rand_date(rng, op.opened, hi)
            if d not in used[(op, threat)]:
                used[(op, threat)].add(d)
                out.append(Assessment(op, threat, d))
    return out


def _free_date(rng, op, threat, used, lo: date, hi: date) -> date:
    lo = max(lo, op.opened)
    while True:
        d = rand_date(rng, lo, hi)
        if d not in used[(op, threat)]:
            used[(op, threat)].add(d)
            return d


def _series(items: list[Assessment]) -> dict[tuple[Operation, str], list[Assessment]]:
    s: dict[tuple[Operation, str], list[Assessment]] = defaultdict(list)
    for a in items:
        s[(a.op, a.threat)].append(a)
    for v in s.values():
        v.sort(key=lambda a: (a.date, a.aid))
    return s


def _scores_and_ids(rng, items: list[Assessment]) -> None:
    keyed = sorted(items, key=lambda a: (a.date, rng.random()))
    for i, a in enumerate(keyed, 1):
        a.aid = f"MRL-{i:07d}"
    for series in _series(items).values():
        last = None
        for a in series:
            if a.score is None:
                if last is None:
                    a.score = rng.randint(80, 900)
                elif rng.random() < 0.25:
                    a.score = last
                else:
                    a.score = min(BACKGROUND_MAX, max(10, last + int(rng.gauss(0, 90))))
            last = a.score


def _ori(rng, items: list[Assessment]) -> None:
    series = _series(items)
    fas_pool, other_pool = [], []
    for key, s in series.items():
        start = key[0].support_start
        seen_after = False
        for i, a in enumerate(s):
            fas = start is not None and a.date >= start and not seen_after
            if start is not None and a.date >= start:
                seen_after = True
            if a.toex and i > 0 and a.date <= QUARTER_END:
                (fas_pool if fas else other_pool).append(a)
    events: dict[Assessment, str] = {}
    per_series: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])

    def pick(pool, n, kind):
        rng.shuffle(pool)
        got = 0
        for a in pool:
            if got == n:
                break
            caps = per_series[(a.op, a.threat)]
            if a in events or (kind == "dec" and caps[0] >= 3) or (kind == "inc" and caps[1] >= 1):
                continue
            events[a] = kind
            caps[0 if kind == "dec" else 1] += 1
            got += 1
        if got < n:
            raise RuntimeError(f"ORI: only {got} of {n} {kind} candidates")

    pick(fas_pool, ORI_DECREASES_FIRST_AFTER_SUPPORT, "dec")
    pick(other_pool, ORI_DECREASES_OTHER, "dec")
    pick(other_pool, ORI_INCREASES, "inc")

    for s in series.values():
        involved = any(a.toex for a in s)
        ev = []
        for i, a in enumerate(s):
            if a in events:
                ev.append(events[a])
            elif not involved and i > 0 and rng.random() < 0.15:
                ev.append(rng.choice(("dec", "dec", "inc")))  # not calibrated
            else:
                ev.append("same")
        # Predecessors of a change must carry an ORI; anything else may be blank.
        need = [i + 1 < len(s) and ev[i + 1] != "same" for i in range(len(s))]
        blank = [not need[i] and ev[i] == "same" and rng.random() < 0.3 for i in range(len(s))]
        offs, level = [], 0
        for e in ev:
            level += {"dec": -1, "inc": 1, "same": 0}[e]
            offs.append(level)
        lo, hi = 1 - min(0, *offs), 5 - max(0, *offs)
        if lo > hi:  # an uncalibrated walk went too far: flatten it
            ev = [e if s[i] in events else "same" for i, e in enumerate(ev)]
            offs, level = [], 0
            for e in ev:
                level += {"dec": -1, "inc": 1, "same": 0}[e]
                offs.append(level)
            lo, hi = 1 - min(0, *offs), 5 - max(0, *offs)
        start = rng.randint(lo, hi)
        for i, a in enumerate(s):
            a.ori = None if blank[i] else start + offs[i]


def assessments_table(items: list[Assessment]) -> Table:
    t = Table(
        "morile_assessments",
        ["assessment_id", "operation_ref", "threat_type", "assessment_date", "risk_score", "ori"],
    )
    for a in sorted(items, key=lambda a: a.aid):
        t.add(
            {
                "assessment_id": a.aid,
                "operation_ref": a.op.ref,
                "threat_type": a.threat,
                "assessment_date": iso(a.date),
                "risk_score": str(a.score),
                "ori": "" if a.ori is None else str(a.ori),
            }
        )
    return t

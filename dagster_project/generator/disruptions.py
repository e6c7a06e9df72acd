"""APMIS disruptions.

TOEX-involved moderated disruptions: 982 over 285 operations since inception, 60 over
33 operations in 2025-26 Q1 (11 on `NWROCU Op 60`); 87 relate to a technical tool
(none before September 2023); 805 (82%) are against exploitation threats. In the
quarter 11 more await moderation, 5 of them tool-related. Awaiting, rejected and
after-quarter TOEX disruptions sit on operations already counted, so they can only
change a figure if a rule is applied wrongly. Non-TOEX disruptions fill APMIS out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from .common import (
    EXPLOITATION,
    EXTRACTED,
    INCEPTION,
    NON_EXPLOITATION,
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

TOEX_TOTAL, TOEX_OPS = 982, 285
Q1_TOTAL, Q1_OPS = 60, 33
Q1_NAMED = {
    "NWROCU Op 60": 11,
    "TARIAN Op 49": 2,
    "LONDON Op 35": 3,
    "SEROCU Op 56": 2,
    "NEROCU Op 63": 4,
}
TOOL_TOTAL, Q1_TOOL = 87, 8
TOOLS_FROM = date(2023, 9, 1)  # tool disruptions were first assessed in September 2023
EXPLOITATION_TOTAL = 805
AWAITING_Q1, AWAITING_Q1_TOOL = 11, 5
SUPPORTED_PRE_OPS = 195  # of the 252 operations disrupted only before the quarter
NON_TOEX = 2700
TOOL_WEIGHTS = {
    "Translation": 30,
    "Transcription": 25,
    "DART": 12,
    "Facebook Friends": 13,
    "Companies House": 10,
    "Traffic Jam": 10,
}
IMPACTS = (("major", 20), ("moderate", 45), ("minor", 35))

DESCRIPTIONS = {
    "CSA": [
        "Suspect arrested for online sexual communication with a child",
        "Social media handle attributed to suspect; package passed to force",
        "Child safeguarded following address identified by TOEX research",
        "Sexual Risk Order obtained using TOEX evidential product",
    ],
    "MSHT": [
        "Warrant executed at brothel address identified through advert analysis",
        "Principal subject charged with s1 Modern Slavery Act offence",
        "Potential victims identified and referred through the NRM",
        "Slavery and Trafficking Prevention Order granted",
    ],
    "OIC": [
        "Facilitator arrested following communications data analysis",
        "Immigration enforcement visit at identified address",
        "Financial enabler identified and referred",
    ],
    "County Lines": [
        "Line holder arrested following call data analysis",
        "Deal line closed down",
        "Cuckooed address identified and secured",
    ],
    "Drugs": ["Class A drugs seized during warrant", "Cash seizure under POCA"],
    "Firearms": ["Firearm recovered during search of identified address"],
    "Fraud": ["Bank accounts frozen following financial investigation"],
    "Other": ["Intelligence package disseminated to partner agency"],
}
TOOL_DESCRIPTIONS = {
    "Translation": "Translated messages evidenced control of victims",
    "Transcription": "Transcribed interviews supported charging decision",
    "DART": "DART search linked advert phone numbers to suspect",
    "Facebook Friends": "Social media network analysis identified associates",
    "Companies House": "Company directorships linked suspects to premises",
    "Traffic Jam": "Traffic Jam search linked adverts across regions",
    "Client Eye": "Client Eye portal identified repeat buyers",
}


@dataclass(eq=False)
class Disruption:
    op: Operation
    date: date
    threat: str
    impact: str
    status: str  # moderated | awaiting | rejected
    toex: bool
    tool: str | None = None
    moderated: date | None = None
    did: str = ""
    description: str = ""


def _range(op: Operation, hi: date) -> tuple[date, date] | None:
    """Dates an operation can plausibly be disrupted on with TOEX, up to `hi`."""
    if op.jobs:
        lo = op.support_start
        end = max(j.end for j in op.jobs)
        top = min(hi, end + days(90) if end != FAR else hi, op.closed or FAR)
    else:
        lo, top = max(op.opened, INCEPTION), min(hi, op.closed or FAR)
    return (lo, top) if lo <= top else None


def build_disruptions(w: World) -> list[Disruption]:
    rng = w.sub_rng("disruptions")
    out: list[Disruption] = []

    def weighted(pairs):
        return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]

    def new(op, d, status, toex, tool=None):
        x = Disruption(op, d, "", weighted(IMPACTS), status, toex, tool)
        out.append(x)
        return x

    # Quarter: named operations plus 28 more with a job active in the quarter.
    named = [w.roles[r] for r in Q1_NAMED]
    active = [
        o
        for o in w.ops
        if o.jobs
        and o not in named
        and any(j.alloc <= QUARTER_END and j.end >= QUARTER_START for j in o.jobs)
        and (o.closed is None or o.closed > QUARTER_START)
    ]
    q1_ops = named + rng.sample(active, Q1_OPS - len(named))
    counts = {o: Q1_NAMED[o.role] for o in named}
    rest = q1_ops[len(named) :]
    for o, n in zip(
        rest,
        [1 + x for x in _spread(rng, Q1_TOTAL - sum(counts.values()) - len(rest), len(rest))],
        strict=False,
    ):
        counts[o] = n
    q1 = []
    for op, n in counts.items():
        lo, hi = _q1_window(op)
        for _ in range(n):
            q1.append(new(op, rand_date(rng, lo, hi), "moderated", True))
    nw = [x for x in q1 if x.op.role == "NWROCU Op 60"]
    for x in nw[:4]:
        x.tool = "Facebook Friends"
    for x, tool in zip(
        rng.sample([x for x in q1 if x.op.role != "NWROCU Op 60"], 4),
        ("Translation", "Translation", "Transcription", "Traffic Jam"),
        strict=False,
    ):
        x.tool = tool

    # Before the quarter: 252 more operations, each disrupted at least once.
    q1_set = set(q1_ops)
    supported = [
        o
        for o in w.ops
        if o.jobs
        and o.support_start < QUARTER_START
        and o not in q1_set
        and _range(o, PRE_QUARTER_END)
    ]
    unsupported = [
        o
        for o in w.ops
        if not o.jobs
        and o.group in ("g1", "g2")
        and o.role is None
        and o.opened < date(2025, 2, 1)
        and _range(o, PRE_QUARTER_END)
    ]
    pre_ops = rng.sample(supported, SUPPORTED_PRE_OPS) + rng.sample(
        unsupported, TOEX_OPS - Q1_OPS - SUPPORTED_PRE_OPS
    )
    all_ops = q1_ops + pre_ops
    pre_capable = [o for o in all_ops if _range(o, PRE_QUARTER_END)]
    extra = TOEX_TOTAL - Q1_TOTAL - len(pre_ops)
    targets = pre_ops + rng.choices(
        pre_capable,
        weights=[
            (_range(o, PRE_QUARTER_END)[1] - _range(o, PRE_QUARTER_END)[0]).days + 1
            for o in pre_capable
        ],
        k=extra,
    )
    pre = []
    for op in targets:
        lo, hi = _range(op, PRE_QUARTER_END)
        pre.append(new(op, _skew(rng, lo, hi), "moderated", True))
    recent = [x for x in pre if x.date >= TOOLS_FROM]
    for x in rng.sample(recent, TOOL_TOTAL - Q1_TOOL):
        x.tool = weighted(list(TOOL_WEIGHTS.items()))

    # Threat types: exactly 805 of the 982 against exploitation threats.
    toex = q1 + pre
    forced = [x for x in toex if not any(t in EXPLOITATION for t in x.op.threats)]
    optional = [x for x in toex if x not in set(forced) and x.op.role != "NWROCU Op 60"]
    n_other = TOEX_TOTAL - EXPLOITATION_TOTAL - len(forced)
    non_expl = set(forced) | set(rng.sample(optional, n_other))
    for x in toex:
        if x in non_expl:
            own = [t for t in x.op.threats if t in NON_EXPLOITATION]
            # Recording rules: e.g. a drugs seizure recorded against its own threat type.
            x.threat = rng.choice(own or ["Drugs", "Drugs", "Firearms", "Other"])
        else:
            x.threat = rng.choice([t for t in x.op.threats if t in EXPLOITATION])

    # TOEX-involved records that must not count: awaiting, rejected, after the quarter.
    extras = []
    for i in range(AWAITING_Q1):
        op = rng.choice(q1_ops)
        lo, hi = _q1_window(op)
        extras.append(
            new(
                op,
                rand_date(rng, max(lo, date(2025, 5, 1)), hi),
                "awaiting",
                True,
                weighted(list(TOOL_WEIGHTS.items())) if i < AWAITING_Q1_TOOL else None,
            )
        )
    for _ in range(3):  # dated before the quarter, still awaiting
        op = rng.choice(pre_capable)
        lo, hi = _range(op, PRE_QUARTER_END)
        extras.append(
            new(op, rand_date(rng, max(lo, min(hi, date(2025, 1, 15))), hi), "awaiting", True)
        )
    for _ in range(45):
        op = rng.choice(pre_capable)
        lo, hi = _range(op, PRE_QUARTER_END)
        extras.append(new(op, _skew(rng, lo, hi), "rejected", True))
    for _ in range(4):
        op = rng.choice(q1_ops)
        lo, hi = _q1_window(op)
        extras.append(new(op, rand_date(rng, lo, hi), "rejected", True))
    for status in ("moderated", "moderated", "moderated", "moderated", "awaiting", "awaiting"):
        op = rng.choice([o for o in q1_ops if o.closed is None])
        extras.append(new(op, rand_date(rng, date(2025, 7, 1), date(2025, 7, 8)), status, True))
    for x in extras:
        x.threat = rng.choice([t for t in x.op.threats if t in EXPLOITATION] or ["Drugs"])

    # Everyone else's disruptions (not TOEX-involved), a few tool-related.
    pool = [o for o in w.ops if o.group != "g3"]
    others = []
    for _ in range(NON_TOEX):
        op = rng.choice(pool)
        lo, hi = max(op.opened, INCEPTION), min(op.closed or EXTRACTED, EXTRACTED)
        d = _skew(rng, lo, hi)
        recent = d >= date(2025, 3, 1)
        status = weighted([("moderated", 86), ("awaiting", 30 if recent else 1), ("rejected", 6)])
        x = new(op, d, status, False)
        x.threat = rng.choice(sorted(op.threats))
        others.append(x)
    for x in rng.sample([x for x in others if x.date >= TOOLS_FROM and x.status == "moderated"], 6):
        x.tool = weighted(list(TOOL_WEIGHTS.items()))

    for x in out:
        if x.status == "moderated":
            cap = QUARTER_END if x.date <= QUARTER_END else EXTRACTED
            x.moderated = min(x.date + days(rng.randint(2, 40)), cap)
        x.description = TOOL_DESCRIPTIONS[x.tool] if x.tool else rng.choice(DESCRIPTIONS[x.threat])
    for x in rng.sample(out, len(out) // 5):  # free text is often left empty
        x.description = ""
    out.sort(key=lambda x: (x.date, x.toex, rng.random()))
    for i, x in enumerate(out, 1):
        x.did = f"DIS-{i:06d}"
    _check(out)
    log.info("disruptions: %d rows", len(out))
    return out


def _q1_window(op: Operation) -> tuple[date, date]:
    lo, hi = QUARTER_START, QUARTER_END
    act = [j for j in op.jobs if j.alloc <= QUARTER_END and j.end >= QUARTER_START]
    if act:
        lo = max(lo, min(j.alloc for j in act))
        hi = min(hi, max(min(j.end, QUARTER_END) for j in act) + days(20))
    return lo, max(lo, min(hi, QUARTER_END))


def _skew(rng, lo: date, hi: date) -> date:
    """Activity grows over time: later dates somewhat more likely."""
    span = (hi - lo).days
    return lo + days(int(span * rng.random() ** 0.8)) if span > 0 else lo


def _spread(rng, total: int, parts: int) -> list[int]:
    out = [0] * parts
    for _ in range(total):
        out[rng.randrange(parts)] += 1
    return out


def _check(items: list[Disruption]) -> None:
    mod = [x for x in items if x.toex and x.status == "moderated" and x.date <= QUARTER_END]
    q1 = [x for x in mod if x.date >= QUARTER_START]
    assert len(mod) == TOEX_TOTAL and len({x.op for x in mod}) == TOEX_OPS
    assert len(q1) == Q1_TOTAL and len({x.op for x in q1}) == Q1_OPS
    assert sum(1 for x in mod if x.tool) == TOOL_TOTAL
    assert sum(1 for x in mod if x.threat in EXPLOITATION) == EXPLOITATION_TOTAL
    aw = [
        x
        for x in items
        if x.toex and x.status == "awaiting" and QUARTER_START <= x.date <= QUARTER_END
    ]
    assert len(aw) == AWAITING_Q1 and sum(1 for x in aw if x.tool) == AWAITING_Q1_TOOL


def disruptions_table(items: list[Disruption]) -> Table:
    t = Table(
        "disruptions",
        [
            "disruption_id",
            "operation_ref",
            "disruption_date",
            "threat_type",
            "impact",
            "moderation_status",
            "moderated_date",
            "toex_involved",
            "technical_tool",
            "description",
        ],
    )
    for x in items:
        t.add(
            {
                "disruption_id": x.did,
                "operation_ref": x.op.ref,
                "disruption_date": iso(x.date),
                "threat_type": x.threat,
                "impact": x.impact,
                "moderation_status": x.status,
                "moderated_date": iso(x.moderated),
                "toex_involved": "TRUE" if x.toex else "FALSE",
                "technical_tool": x.tool or "",
                "description": x.description,
            }
        )
    return t

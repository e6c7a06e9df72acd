"""Operations (SOC Master List and TOEX operations), their threats, and TOEX jobs.

The operation population is built in groups whose sizes are what Q2.3 publishes
(1,059 open SOC Master List exploitation operations: MSHT 819, CSA 228, OIC 120;
a quarter with Sexual Exploitation). Operations with a part to play in a published
figure get a *role* (e.g. `YHROCU Op 7`, `top10_csa_core_1`); the other modules look
them up by role. Labels `<team> Op <n>` are numbered by opening date within a team,
then the named operations of the evaluation pack swap into their numbers.

Jobs are drawn in buckets whose sizes are the Q2.1 figures (proactive: 56 ongoing at
the quarter end, 4 closed in it; full support 47% proactive, 33% tasked) and then
closing dates are nudged so the mean days open are exactly 406 and 321.
"""

from __future__ import annotations

import logging
from datetime import date

from .common import (
    INCEPTION,
    PRE_QUARTER_END,
    QUARTER_END,
    QUARTER_START,
    TEAM_FORCES,
    TEAMS,
    TERRITORIAL,
    Table,
    days,
    exact_flags,
    iso,
    rand_date,
    uk,
)
from .model import Job, Operation, World

log = logging.getLogger("toex.generator")

# Group 1 (open SOC Master List exploitation operations): threat combinations whose
# sizes give MSHT 819, CSA 228, OIC 120 over 1,059 operations.
G1_COMBOS = [
    (("MSHT",), 717), (("CSA",), 162), (("OIC",), 74), (("MSHT", "CSA"), 60),
    (("MSHT", "OIC"), 40), (("CSA", "OIC"), 4), (("MSHT", "CSA", "OIC"), 2),
]
G1_SEXUAL_EXPLOITATION = 265  # 265 / 1059 = 25.0%
GROUP_SIZES = {"g2": 380, "g3": 3, "g4": 320, "g5": 160}
TEAM_WEIGHTS = {
    "TOEX NT": 0.05, "TARIAN": 0.06, "YHROCU": 0.10, "NWROCU": 0.12, "NEROCU": 0.06,
    "EMSOU": 0.10, "ERSOU": 0.12, "SEROCU": 0.10, "SWROCU": 0.09, "ROCUWM": 0.09, "LONDON": 0.11,
}
NATIONAL_OWNERS = ("National Crime Agency", "British Transport Police")

# Job buckets (allocated by the quarter end): origin -> state -> count.
JOB_BUCKETS = {
    "proactive": {"ongoing": 56, "closed_q1": 4, "closed_pre": 40},
    "tasked": {"ongoing": 74, "closed_q1": 22, "closed_pre": 204},
}
FULL_SUPPORT = {"proactive": 47, "tasked": 99}  # 47/100 and 99/300
MEAN_DAYS_OPEN = {"proactive": 406, "tasked": 321}
SUPPORTED_SOC = 231
NEW_IN_QUARTER = 16
NON_SOC_SUPPORTED = 20
JULY_CLOSURES = {"proactive": 2, "tasked": 1}  # closed 1-10 July: still open at the quarter end

# Designated operations: role -> (group, required threats, team, label number or None).
ROLES: dict[str, tuple[str, tuple[str, ...], str | None, int | None]] = {
    # Q1.2: the 11 TOEX-involved assessments of the quarter, on 9 operations.
    "YHROCU Op 7": ("g1", ("CSA",), "YHROCU", 7),
    "q12_x1": ("g1", ("MSHT",), None, None),
    "q12_x2": ("g1", ("MSHT",), None, None),
    "q12_x3": ("g1", ("MSHT",), None, None),
    "q12_x4": ("g1", ("CSA",), None, None),
    "q12_x5": ("g1", ("OIC",), None, None),
    "q12_x6": ("g1", ("MSHT",), None, None),
    "q12_x7": ("g1", ("MSHT",), None, None),
    "q12_x8": ("g1", ("CSA",), None, None),
    # Case studies of 2025-26 Q1 (jobs finished in the quarter).
    "TARIAN Op 49": ("g1", ("CSA",), "TARIAN", 49),
    "NWROCU Op 60": ("g1", ("CSA",), "NWROCU", 60),
    "LONDON Op 35": ("g1", ("MSHT",), "LONDON", 35),
    "SEROCU Op 56": ("g1", ("MSHT",), "SEROCU", 56),
    "NEROCU Op 63": ("g1", ("MSHT",), "NEROCU", 63),
    # Proactive jobs closed in the quarter, and the operation one grew out of.
    "LONDON Op 29": ("g1", ("MSHT",), "LONDON", 29),
    "LONDON Op 39": ("g1", ("MSHT",), "LONDON", 39),
    "LONDON Op 26": ("g2", ("MSHT",), "LONDON", 26),
    # Operations quoted in the client feedback.
    "EMSOU Op 100": ("g1", ("MSHT",), "EMSOU", 100),
    "ERSOU Op 73": ("g1", ("MSHT",), "ERSOU", 73),
    "ERSOU Op 74": ("g1", ("MSHT",), "ERSOU", 74),
    "LONDON Op 20": ("g1", ("MSHT",), "LONDON", 20),
    "TARIAN Op 18": ("g1", ("CSA",), "TARIAN", 18),
    "ERSOU Op 63": ("g1", ("MSHT",), "ERSOU", 63),
    "TOEX NT Op 41": ("g1", ("MSHT",), "TOEX NT", 41),
    # Q2.3 Top 10 Highest Risk operations per threat type (see assessments.py).
    **{f"top10_csa_core_{i}": ("g1", ("CSA",), None, None) for i in range(1, 9)},
    **{f"top10_csa_{x}": ("g1", ("CSA",), None, None) for x in ("a1", "a2", "a3", "a4")},
    **{f"top10_msht_core_{i}": ("g1", ("MSHT",), None, None) for i in range(1, 6)},
    **{f"top10_msht_b{i}": ("g1", ("MSHT",), None, None) for i in range(1, 11)},
    "top10_msht_tie": ("g1", ("MSHT",), None, None),
    **{f"top10_oic_core_{i}": ("g1", ("OIC",), None, None) for i in range(1, 10)},
    **{f"top10_oic_{x}": ("g1", ("OIC",), None, None) for x in ("c1", "c2")},
    # Traps: a high CSA score off the SOC Master List, and one dated after the quarter.
    "off_list_high_csa": ("g5", ("CSA",), None, None),
    "july_high_csa": ("g1", ("CSA",), None, None),
    # A new SOC Master List operation opened in July with a job allocated in July.
    "july_new_op": ("g3", ("MSHT",), None, None),
    "july_job_op": ("g1", ("MSHT",), None, None),
}
# Designated jobs: role -> (origin, state, allocated, closed). The 3 "new" ones are
# first supported in the quarter.
DESIGNED_JOBS: dict[str, tuple[str, str, date, date | None]] = {
    "YHROCU Op 7": ("tasked", "ongoing", date(2023, 10, 16), None),
    "q12_x1": ("proactive", "ongoing", date(2024, 6, 3), None),
    "q12_x2": ("tasked", "ongoing", date(2025, 4, 8), None),  # new in the quarter
    "q12_x3": ("tasked", "ongoing", date(2024, 9, 9), None),
    "q12_x4": ("tasked", "ongoing", date(2024, 11, 18), None),
    "q12_x5": ("proactive", "ongoing", date(2024, 7, 22), None),
    "q12_x6": ("tasked", "ongoing", date(2024, 12, 2), None),
    "q12_x7": ("tasked", "ongoing", date(2024, 8, 12), None),
    "q12_x8": ("proactive", "ongoing", date(2025, 5, 2), None),  # new in the quarter
    "top10_csa_core_1": ("tasked", "ongoing", date(2024, 3, 11), None),
    "top10_csa_core_2": ("proactive", "ongoing", date(2024, 10, 7), None),
    "top10_msht_core_1": ("tasked", "ongoing", date(2024, 5, 20), None),
    # In the CSA Top 10 only at the end of April; supported from June: not "top10_toex_supported".
    "top10_csa_a1": ("proactive", "ongoing", date(2025, 6, 10), None),  # new in the quarter
    # Supported, but the job closed before the quarter: OIC has no supported Top 10 operation.
    "top10_oic_core_9": ("tasked", "closed_pre", date(2023, 8, 14), date(2025, 3, 15)),
    "TARIAN Op 49": ("tasked", "closed_q1", date(2024, 2, 12), date(2025, 5, 23)),
    "NWROCU Op 60": ("tasked", "closed_q1", date(2024, 8, 5), date(2025, 6, 27)),
    "LONDON Op 35": ("tasked", "closed_q1", date(2024, 4, 15), date(2025, 4, 25)),
    "SEROCU Op 56": ("tasked", "closed_q1", date(2024, 6, 17), date(2025, 6, 13)),
    "NEROCU Op 63": ("tasked", "closed_q1", date(2024, 9, 23), date(2025, 5, 30)),
    "LONDON Op 29": ("proactive", "closed_q1", date(2024, 7, 1), date(2025, 4, 17)),
    "LONDON Op 39": ("proactive", "closed_q1", date(2024, 3, 25), date(2025, 6, 5)),
    "LONDON Op 26": ("tasked", "closed_pre", date(2022, 11, 7), date(2023, 9, 29)),
    "EMSOU Op 100": ("tasked", "closed_q1", date(2024, 5, 13), date(2025, 4, 30)),
    "ERSOU Op 73": ("tasked", "closed_q1", date(2024, 10, 14), date(2025, 5, 16)),
    "ERSOU Op 74": ("tasked", "closed_q1", date(2024, 11, 4), date(2025, 5, 16)),
    "LONDON Op 20": ("tasked", "closed_q1", date(2024, 1, 8), date(2025, 6, 6)),
    "TARIAN Op 18": ("tasked", "closed_pre", date(2023, 11, 20), date(2025, 3, 14)),
    "ERSOU Op 63": ("tasked", "closed_q1", date(2024, 12, 9), date(2025, 6, 20)),
    "TOEX NT Op 41": ("tasked", "closed_q1", date(2024, 9, 2), date(2025, 6, 11)),
}
# Operations that must carry (True) or must not carry (False) Sexual Exploitation.
SEXUAL_EXPLOITATION_ROLES = {
    "LONDON Op 35": True, "SEROCU Op 56": True, "NEROCU Op 63": True, "LONDON Op 29": True,
    "LONDON Op 39": True, "TARIAN Op 49": True, "NWROCU Op 60": False,
}
EXTRA_THREATS = {"TARIAN Op 49": ("County Lines", "Criminal Exploitation"),
                 "NEROCU Op 63": ("Drugs", None)}


def _owning_force(rng, team: str) -> str:
    if team == "TOEX NT":
        return rng.choice(TERRITORIAL + NATIONAL_OWNERS) if rng.random() < 0.9 else rng.choice(
            NATIONAL_OWNERS)
    return rng.choice(TEAM_FORCES[team])


def _skewed_date(rng, lo: date, hi: date, power: float = 0.75) -> date:
    """More recent dates more likely (the list grows over time)."""
    span = (hi - lo).days
    return lo + days(int(span * rng.random() ** power))


def build_operations(w: World) -> None:
    rng = w.sub_rng("operations")
    ops: list[Operation] = []

    def new(group: str, threats: dict, opened: date, closed: date | None, soc: bool) -> Operation:
        op = Operation(team="", owning_force="", opened=opened, closed=closed, soc_ml=soc,
                       group=group, threats=threats)
        ops.append(op)
        return op

    # g1: open on the SOC Master List at the quarter end, with a CSA/MSHT/OIC threat.
    g1: list[Operation] = []
    for combo, n in G1_COMBOS:
        for _ in range(n):
            g1.append(new("g1", {t: [] for t in combo}, _skewed_date(rng, INCEPTION, QUARTER_END),
                          None, True))
    # Three close in early July: still open at the quarter end.
    for op in rng.sample(g1, 3):
        op.closed = rand_date(rng, date(2025, 7, 1), date(2025, 7, 9))
    # g2: closed SOC exploitation operations.
    for _ in range(GROUP_SIZES["g2"]):
        opened = rand_date(rng, INCEPTION, date(2024, 12, 31))
        closed = min(opened + days(rng.randint(90, 900)), QUARTER_END)
        threats = rng.choice([("MSHT",)] * 7 + [("CSA",)] * 2 + [("OIC",), ("MSHT", "OIC")])
        new("g2", {t: [] for t in threats}, opened, closed, True)
    # g3: opened in July (after the quarter end).
    for i in range(GROUP_SIZES["g3"]):
        new("g3", {"MSHT" if i == 0 else rng.choice(("MSHT", "CSA")): []},
            rand_date(rng, date(2025, 7, 1), date(2025, 7, 8)), None, True)
    # g4: SOC Master List, other threats only.
    for _ in range(GROUP_SIZES["g4"]):
        opened = _skewed_date(rng, INCEPTION, QUARTER_END)
        closed = None
        if rng.random() < 0.3 and opened < date(2024, 12, 1):
            closed = min(opened + days(rng.randint(120, 800)), QUARTER_END)
        pool = ["County Lines"] * 4 + ["Drugs"] * 3 + ["Firearms", "Fraud", "Other"]
        threats = {t: [] for t in rng.sample(pool, rng.choice((1, 1, 2)))}
        new("g4", threats, opened, closed, True)
    # g5: not on the SOC Master List (local and TOEX-generated operations).
    for _ in range(GROUP_SIZES["g5"]):
        opened = _skewed_date(rng, INCEPTION, QUARTER_END)
        closed = None
        if rng.random() < 0.35 and opened < date(2024, 12, 1):
            closed = min(opened + days(rng.randint(60, 700)), QUARTER_END)
        pool = ["MSHT"] * 4 + ["CSA"] * 2 + ["County Lines"] * 2 + ["OIC", "Drugs", "Fraud"]
        new("g5", {rng.choice(pool): []}, opened, closed, False)
    # Some SOC exploitation operations also carry a non-exploitation threat.
    for op in g1 + [o for o in ops if o.group == "g2"]:
        if rng.random() < 0.12:
            op.threats.setdefault(rng.choice(("County Lines", "Drugs", "Fraud")), [])

    # Teams: fixed quotas so every named operation number exists.
    quotas = _quotas(len(ops))
    teams = [t for t, n in quotas.items() for _ in range(n)]
    rng.shuffle(teams)
    for op, team in zip(ops, teams):
        op.team = team
        op.owning_force = _owning_force(rng, team)

    _assign_roles(w, rng, ops)
    _assign_sub_threats(rng, ops)
    w.ops = ops


def _quotas(n: int) -> dict[str, int]:
    raw = {t: TEAM_WEIGHTS[t] * n for t in TEAMS}
    out = {t: int(v) for t, v in raw.items()}
    for t in sorted(raw, key=lambda t: raw[t] - out[t], reverse=True)[: n - sum(out.values())]:
        out[t] += 1
    return out


def _assign_roles(w: World, rng, ops: list[Operation]) -> None:
    for role, (group, threats, team, _) in ROLES.items():
        exact = [o for o in ops if o.group == group and o.role is None
                 and set(o.threats) == set(threats)]
        loose = [o for o in ops if o.group == group and o.role is None
                 and set(threats) <= set(o.threats)]
        cands = exact or loose
        if team:
            in_team = [o for o in cands if o.team == team]
            cands = in_team or cands
        op = rng.choice(cands)
        op.role = role
        if team and op.team != team:
            op.team = team
            op.owning_force = _owning_force(rng, team)
        w.roles[role] = op
    for role, (threat, sub) in EXTRA_THREATS.items():
        w.roles[role].threats.setdefault(threat, [sub])
    w.roles["NWROCU Op 60"].threats["CSA"] = ["Online CSA"]  # online grooming, not CSE
    # Named owners the pack quotes.
    w.roles["TOEX NT Op 41"].owning_force = "Derbyshire"
    w.roles["YHROCU Op 7"].owning_force = "West Yorkshire"
    w.roles["ERSOU Op 73"].owning_force = "Essex"
    w.roles["ERSOU Op 74"].owning_force = "Essex"
    w.roles["ERSOU Op 63"].owning_force = "Bedfordshire"
    w.roles["EMSOU Op 100"].owning_force = "Derbyshire"
    w.roles["LONDON Op 20"].owning_force = "Metropolitan Police"
    w.roles["TARIAN Op 18"].owning_force = "South Wales"
    w.roles["TARIAN Op 49"].owning_force = "South Wales"
    w.roles["SEROCU Op 56"].owning_force = "Sussex"
    w.roles["NEROCU Op 63"].owning_force = "Northumbria"


def _assign_sub_threats(rng, ops: list[Operation]) -> None:
    """Sub-threats; exactly G1_SEXUAL_EXPLOITATION group-1 operations carry Sexual Exploitation."""
    g1 = [o for o in ops if o.group == "g1"]
    forced_yes = [o for o in g1 if SEXUAL_EXPLOITATION_ROLES.get(o.role) is True]
    eligible = [o for o in g1 if ("MSHT" in o.threats or "CSA" in o.threats)
                and o.role not in SEXUAL_EXPLOITATION_ROLES]
    chosen = set(forced_yes) | set(rng.sample(eligible, G1_SEXUAL_EXPLOITATION - len(forced_yes)))
    for op in ops:
        se = op in chosen if op.group == "g1" else rng.random() < 0.25
        for threat, subs in op.threats.items():
            if subs:
                continue  # set by a role
            if threat == "MSHT":
                if se:
                    subs.append("Sexual Exploitation")
                    if rng.random() < 0.15:
                        subs.append(rng.choice(("Labour Exploitation", "Domestic Servitude")))
                else:
                    subs.append(rng.choice(("Labour Exploitation", "Labour Exploitation",
                                            "Criminal Exploitation", "Domestic Servitude", None)))
            elif threat == "CSA":
                if se and "MSHT" not in op.threats:
                    subs.append("Sexual Exploitation")
                else:
                    subs.append(rng.choice(("Online CSA", "Online CSA", None)))
            elif threat == "OIC":
                subs.append(rng.choice((None, None, "Other")))
            elif threat == "County Lines":
                subs.append("Criminal Exploitation")
            else:
                subs.append(None)


# --------------------------------------------------------------------------- jobs


def build_jobs(w: World) -> None:
    rng = w.sub_rng("jobs")
    jobs: list[Job] = []
    left = {o: dict(s) for o, s in JOB_BUCKETS.items()}

    def add(op: Operation, origin: str, state: str, alloc: date, closed: date | None) -> Job:
        job = Job(op=op, origin=origin, alloc=alloc, closed=closed, state=state)
        op.jobs.append(job)
        jobs.append(job)
        if state in left[origin]:
            left[origin][state] -= 1
        return job

    for role, (origin, state, alloc, closed) in DESIGNED_JOBS.items():
        op = w.roles[role]
        add(op, origin, state, alloc, closed)
        op.opened = min(op.opened, alloc - days(rng.randint(20, 240)))
        op.opened = max(op.opened, INCEPTION)
    if w.roles["LONDON Op 26"].closed < date(2023, 10, 1):
        w.roles["LONDON Op 26"].closed = date(2023, 12, 15)

    free_g1 = [o for o in w.ops if o.group == "g1" and o.role is None]
    rng.shuffle(free_g1)
    # 13 more operations first supported in the quarter (16 with the designed three).
    new_ops = free_g1[:13]
    for i, op in enumerate(new_ops):
        origin = "tasked" if i % 2 else "proactive"
        alloc = rand_date(rng, QUARTER_START, date(2025, 6, 24))
        op.opened = min(op.opened, alloc - days(rng.randint(3, 200)))
        if i == 0:  # one finished within the quarter
            closed = min(alloc + days(rng.randint(20, 60)), QUARTER_END)
            add(op, "tasked", "closed_q1", alloc, closed)
        else:
            add(op, origin, "ongoing", alloc, None)

    # Operations supported before the quarter: SOC Master List ones plus 20 off the list.
    designed_old = [w.roles[r] for r in DESIGNED_JOBS
                    if w.roles[r].soc_ml and w.roles[r].jobs[0].alloc < QUARTER_START]
    n_old_soc = SUPPORTED_SOC - NEW_IN_QUARTER - len(designed_old)
    rest = free_g1[13:]
    g2 = [o for o in w.ops if o.group == "g2" and o.role is None]
    g4 = [o for o in w.ops if o.group == "g4" and o.role is None]
    g5 = [o for o in w.ops if o.group == "g5" and o.role is None]
    old_soc = rest[: n_old_soc - 40] + rng.sample(g2, 26) + rng.sample(g4, 14)
    old_off = rng.sample(g5, NON_SOC_SUPPORTED)
    old = old_soc + old_off

    # Current jobs (ongoing or closed in the quarter) on distinct operations open at the end.
    open_old = [o for o in old if o.closed is None or o.closed > QUARTER_END]
    rng.shuffle(open_old)
    current = [(origin, state) for origin in ("proactive", "tasked")
               for state in ("ongoing", "closed_q1") for _ in range(left[origin][state])]
    rng.shuffle(current)
    holders = open_old[: len(current)]
    july_left = dict(JULY_CLOSURES)
    for op, (origin, state) in zip(holders, current):
        if state == "ongoing":
            age = rng.randint(40, 1150) if origin == "proactive" else rng.randint(20, 1080)
            # Supported before the quarter: allocated by 31 March at the latest.
            alloc = min(max(QUARTER_END - days(age), INCEPTION + days(20)), PRE_QUARTER_END)
            closed = None
            if july_left[origin]:
                july_left[origin] -= 1
                closed = rand_date(rng, date(2025, 7, 1), date(2025, 7, 9))
        else:
            closed = rand_date(rng, QUARTER_START, QUARTER_END)
            alloc = min(max(closed - days(rng.randint(45, 700)), INCEPTION + days(20)),
                        PRE_QUARTER_END)
        add(op, origin, state, alloc, closed)

    # Every other old operation gets a job that closed before the quarter; the remaining
    # closed jobs are earlier jobs of operations that already have one.
    pre = [origin for origin in ("proactive", "tasked") for _ in range(left[origin]["closed_pre"])]
    rng.shuffle(pre)
    for op in old:
        if op.jobs:
            continue
        origin = pre.pop()
        hi = min(PRE_QUARTER_END, op.closed or PRE_QUARTER_END)
        lo = min(max(INCEPTION + days(90), op.opened + days(60)), hi)
        closed = rand_date(rng, lo, hi)
        alloc = max(closed - days(rng.randint(30, 600)), INCEPTION + days(10))
        add(op, origin, "closed_pre", alloc, closed)
    tries = 0
    while pre:
        tries += 1
        if tries > 100_000:
            raise RuntimeError("could not place the earlier jobs")
        op = rng.choice(old)
        first = min(op.jobs, key=lambda j: j.alloc)
        closed = first.alloc - days(rng.randint(7, 150))
        alloc = closed - days(rng.randint(30, 450))
        if alloc < INCEPTION + days(10):
            continue
        add(op, pre.pop(), "closed_pre", alloc, closed)

    _calibrate_days_open(rng, jobs)
    for op in old + new_ops:
        start = op.support_start
        if op.opened > start - days(10):
            op.opened = max(INCEPTION, start - days(rng.randint(10, 300)))
        elif rng.random() < 0.5:
            # Room before support commenced: most operations are assessed before TOEX joins.
            op.opened = max(INCEPTION, min(op.opened, start - days(rng.randint(60, 400))))

    # July: a proactive job on an operation never supported before, a tasked one on a new op.
    add(w.roles["july_job_op"], "proactive", "july", date(2025, 7, 2), None)
    w.roles["july_new_op"].opened = date(2025, 7, 1)
    add(w.roles["july_new_op"], "tasked", "july", date(2025, 7, 7), None)

    assert all(v == 0 for s in left.values() for v in s.values()), left
    _support_levels(rng, jobs)
    for job in jobs:
        job.team = job.op.team if (job.op.team == "TOEX NT" or rng.random() < 0.85) else "TOEX NT"
    jobs.sort(key=lambda j: (j.alloc, j.op.opened, j.origin, j.closed or date(9999, 1, 1)))
    for i, job in enumerate(jobs, 1):
        job.job_id = f"IWT-{i:05d}"
    w.jobs = jobs


def _days_open(job: Job) -> int:
    end = job.closed if job.closed is not None and job.closed <= QUARTER_END else QUARTER_END
    return (end - job.alloc).days


def _calibrate_days_open(rng, jobs: list[Job]) -> None:
    """Nudge dates of non-designated jobs until each origin's total days open is exact.

    First closing dates of jobs closed before the quarter, then allocation dates (earlier
    allocation = longer open) of any non-designated job supported before the quarter.
    """
    for origin, mean in MEAN_DAYS_OPEN.items():
        mine = [j for j in jobs if j.origin == origin and j.alloc <= QUARTER_END]
        diff = mean * len(mine) - sum(_days_open(j) for j in mine)
        free = [j for j in mine if j.op.role is None and j.alloc < QUARTER_START
                and min(o.alloc for o in j.op.jobs) < QUARTER_START]
        rng.shuffle(free)
        closers = [j for j in free if j.state == "closed_pre"]
        for _ in range(3):  # spread the change thinly, then mop up what the bounds left
            for i, job in enumerate(closers):
                if diff == 0:
                    break
                later = [o.alloc for o in job.op.jobs if o.alloc > job.alloc]
                hi = min([PRE_QUARTER_END, job.op.closed or PRE_QUARTER_END]
                         + [d - days(3) for d in later])
                lo = job.alloc + days(14)
                if not lo <= job.closed <= hi:
                    continue
                step = round(diff / (len(closers) - i)) or (1 if diff > 0 else -1)
                target = min(max(job.closed + days(step), lo), hi)
                diff -= (target - job.closed).days
                job.closed = target
        for _ in range(3):
            for i, job in enumerate(free):
                if diff == 0:
                    break
                earlier = [o.closed for o in job.op.jobs if o.alloc < job.alloc and o.closed]
                lo = max([INCEPTION + days(10)] + [d + days(3) for d in earlier])
                hi = PRE_QUARTER_END
                if job.closed is not None and job.closed <= QUARTER_END:
                    hi = min(hi, job.closed - days(14))
                if not lo <= job.alloc <= hi:
                    continue
                step = round(diff / (len(free) - i)) or (1 if diff > 0 else -1)
                target = min(max(job.alloc - days(step), lo), hi)
                diff -= (job.alloc - target).days
                job.alloc = target
        if diff:
            raise RuntimeError(f"could not calibrate {origin} days open (left {diff})")


def _support_levels(rng, jobs: list[Job]) -> None:
    for origin, full in FULL_SUPPORT.items():
        mine = [j for j in jobs if j.origin == origin and j.state != "july"]
        for job, f in zip(mine, exact_flags(rng, len(mine), full)):
            job.support = "full" if f else "partial"
    for job in jobs:
        if not job.support:
            job.support = rng.choice(("full", "partial"))


# --------------------------------------------------------------------------- labels


NAMED = {role: (spec[2], spec[3]) for role, spec in ROLES.items() if spec[3] is not None}


def assign_labels(w: World) -> None:
    """`<team> Op <n>` numbered by opening date within the team; named roles swap in."""
    rng = w.sub_rng("labels")
    by_team: dict[str, list[Operation]] = {t: [] for t in TEAMS}
    for op in w.ops:
        by_team[op.team].append(op)
    for team, ops in by_team.items():
        keyed = sorted(ops, key=lambda o: (o.opened, rng.random()))
        for i, op in enumerate(keyed, 1):
            op.number = i
        numbered = {o.number: o for o in ops}
        for role, (rteam, n) in NAMED.items():
            if rteam != team:
                continue
            op = w.roles[role]
            other = numbered[n]
            other.number, op.number = op.number, n
            numbered[other.number], numbered[n] = other, op
    for op in w.ops:
        op.ref = f"{op.team} Op {op.number}"
    for role, (team, n) in NAMED.items():
        assert w.roles[role].ref == f"{team} Op {n}", role


# --------------------------------------------------------------------------- tables


def operations_table(w: World) -> Table:
    t = Table("operations", ["operation_ref", "team", "owning_force", "opened_date",
                             "closed_date", "soc_master_list"])
    for op in sorted(w.ops, key=lambda o: (o.team, o.number)):
        t.add({"operation_ref": op.ref, "team": op.team, "owning_force": op.owning_force,
               "opened_date": iso(op.opened), "closed_date": iso(op.closed),
               "soc_master_list": "Y" if op.soc_ml else "N"})
    return t


def operation_threats_table(w: World) -> Table:
    t = Table("operation_threats", ["operation_ref", "threat_type", "sub_threat"])
    for op in sorted(w.ops, key=lambda o: (o.team, o.number)):
        for threat, subs in op.threats.items():
            for sub in dict.fromkeys(subs or [None]):
                t.add({"operation_ref": op.ref, "threat_type": threat, "sub_threat": sub or ""})
    return t


def jobs_table(w: World) -> Table:
    # The workload tracker exports UK dates.
    t = Table("toex_jobs", ["job_id", "operation_ref", "team", "origin", "support_level",
                            "allocated_date", "closed_date", "status"])
    for j in w.jobs:
        t.add({"job_id": j.job_id, "operation_ref": j.op.ref, "team": j.team, "origin": j.origin,
               "support_level": j.support, "allocated_date": uk(j.alloc),
               "closed_date": uk(j.closed), "status": j.status})
    return t

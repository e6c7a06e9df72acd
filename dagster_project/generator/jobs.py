"""TOEX jobs on the operations (`toex_jobs`).

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
    Table,
    days,
    exact_flags,
    rand_date,
    uk,
)
from .model import Job, Operation, World

log = logging.getLogger("toex.generator")

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
JULY_CLOSURES = {"proactive": 2, "tasked": 1}  # closed 1-10 July: still open at the quarter end


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
    designed_old = [
        w.roles[r]
        for r in DESIGNED_JOBS
        if w.roles[r].soc_ml and w.roles[r].jobs[0].alloc < QUARTER_START
    ]
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
    current = [
        (origin, state)
        for origin in ("proactive", "tasked")
        for state in ("ongoing", "closed_q1")
        for _ in range(left[origin][state])
    ]
    rng.shuffle(current)
    holders = open_old[: len(current)]
    july_left = dict(JULY_CLOSURES)
    for op, (origin, state) in zip(holders, current, strict=False):
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
            alloc = min(
                max(closed - days(rng.randint(45, 700)), INCEPTION + days(20)), PRE_QUARTER_END
            )
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
        free = [
            j
            for j in mine
            if j.op.role is None
            and j.alloc < QUARTER_START
            and min(o.alloc for o in j.op.jobs) < QUARTER_START
        ]
        rng.shuffle(free)
        closers = [j for j in free if j.state == "closed_pre"]
        for _ in range(3):  # spread the change thinly, then mop up what the bounds left
            for i, job in enumerate(closers):
                if diff == 0:
                    break
                later = [o.alloc for o in job.op.jobs if o.alloc > job.alloc]
                hi = min(
                    [PRE_QUARTER_END, job.op.closed or PRE_QUARTER_END]
                    + [d - days(3) for d in later]
                )
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
        for job, f in zip(mine, exact_flags(rng, len(mine), full), strict=False):
            job.support = "full" if f else "partial"
    for job in jobs:
        if not job.support:
            job.support = rng.choice(("full", "partial"))


# --------------------------------------------------------------------------- table


def jobs_table(w: World) -> Table:
    # The workload tracker exports UK dates.
    t = Table(
        "toex_jobs",
        [
            "job_id",
            "operation_ref",
            "team",
            "origin",
            "support_level",
            "allocated_date",
            "closed_date",
            "status",
        ],
    )
    for j in w.jobs:
        t.add(
            {
                "job_id": j.job_id,
                "operation_ref": j.op.ref,
                "team": j.team,
                "origin": j.origin,
                "support_level": j.support,
                "allocated_date": uk(j.alloc),
                "closed_date": uk(j.closed),
                "status": j.status,
            }
        )
    return t

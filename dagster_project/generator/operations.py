"""Operations (SOC Master List and TOEX operations) and their threats; the TOEX jobs on
them are in `jobs.py`.

The operation population is built in groups whose sizes are what Q2.3 publishes
(1,059 open SOC Master List exploitation operations: MSHT 819, CSA 228, OIC 120;
a quarter with Sexual Exploitation). Operations with a part to play in a published
figure get a *role* (e.g. `YHROCU Op 7`, `top10_csa_core_1`); the other modules look
them up by role. Labels `<team> Op <n>` are numbered by opening date within a team,
then the named operations of the evaluation pack swap into their numbers.
"""

from __future__ import annotations

import logging
from datetime import date

from .common import (
    INCEPTION,
    QUARTER_END,
    TEAM_FORCES,
    TEAMS,
    TERRITORIAL,
    Table,
    days,
    iso,
    rand_date,
)
from .model import Operation, World

log = logging.getLogger("toex.generator")

# Group 1 (open SOC Master List exploitation operations): threat combinations whose
# sizes give MSHT 819, CSA 228, OIC 120 over 1,059 operations.
G1_COMBOS = [
    (("MSHT",), 717),
    (("CSA",), 162),
    (("OIC",), 74),
    (("MSHT", "CSA"), 60),
    (("MSHT", "OIC"), 40),
    (("CSA", "OIC"), 4),
    (("MSHT", "CSA", "OIC"), 2),
]
G1_SEXUAL_EXPLOITATION = 265  # 265 / 1059 = 25.0%
GROUP_SIZES = {"g2": 380, "g3": 3, "g4": 320, "g5": 160}
TEAM_WEIGHTS = {
    "TOEX NT": 0.05,
    "TARIAN": 0.06,
    "YHROCU": 0.10,
    "NWROCU": 0.12,
    "NEROCU": 0.06,
    "EMSOU": 0.10,
    "ERSOU": 0.12,
    "SEROCU": 0.10,
    "SWROCU": 0.09,
    "ROCUWM": 0.09,
    "LONDON": 0.11,
}
NATIONAL_OWNERS = ("National Crime Agency", "British Transport Police")


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
# Operations that must carry (True) or must not carry (False) Sexual Exploitation.
SEXUAL_EXPLOITATION_ROLES = {
    "LONDON Op 35": True,
    "SEROCU Op 56": True,
    "NEROCU Op 63": True,
    "LONDON Op 29": True,
    "LONDON Op 39": True,
    "TARIAN Op 49": True,
    "NWROCU Op 60": False,
}
EXTRA_THREATS = {
    "TARIAN Op 49": ("County Lines", "Criminal Exploitation"),
    "NEROCU Op 63": ("Drugs", None),
}


def _owning_force(rng, team: str) -> str:
    if team == "TOEX NT":
        return (
            rng.choice(TERRITORIAL + NATIONAL_OWNERS)
            if rng.random() < 0.9
            else rng.choice(NATIONAL_OWNERS)
        )
    return rng.choice(TEAM_FORCES[team])


def _skewed_date(rng, lo: date, hi: date, power: float = 0.75) -> date:
    """More recent dates more likely (the list grows over time)."""
    span = (hi - lo).days
    return lo + days(int(span * rng.random() ** power))


def build_operations(w: World) -> None:
    rng = w.sub_rng("operations")
    ops: list[Operation] = []

    def new(group: str, threats: dict, opened: date, closed: date | None, soc: bool) -> Operation:
        op = Operation(
            team="",
            owning_force="",
            opened=opened,
            closed=closed,
            soc_ml=soc,
            group=group,
            threats=threats,
        )
        ops.append(op)
        return op

    # g1: open on the SOC Master List at the quarter end, with a CSA/MSHT/OIC threat.
    g1: list[Operation] = []
    for combo, n in G1_COMBOS:
        for _ in range(n):
            g1.append(
                new(
                    "g1",
                    {t: [] for t in combo},
                    _skewed_date(rng, INCEPTION, QUARTER_END),
                    None,
                    True,
                )
            )
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
        new(
            "g3",
            {"MSHT" if i == 0 else rng.choice(("MSHT", "CSA")): []},
            rand_date(rng, date(2025, 7, 1), date(2025, 7, 8)),
            None,
            True,
        )
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
    for op, team in zip(ops, teams, strict=False):
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
        exact = [
            o for o in ops if o.group == group and o.role is None and set(o.threats) == set(threats)
        ]
        loose = [
            o for o in ops if o.group == group and o.role is None and set(threats) <= set(o.threats)
        ]
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
    eligible = [
        o
        for o in g1
        if ("MSHT" in o.threats or "CSA" in o.threats) and o.role not in SEXUAL_EXPLOITATION_ROLES
    ]
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
                    subs.append(
                        rng.choice(
                            (
                                "Labour Exploitation",
                                "Labour Exploitation",
                                "Criminal Exploitation",
                                "Domestic Servitude",
                                None,
                            )
                        )
                    )
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
    t = Table(
        "operations",
        ["operation_ref", "team", "owning_force", "opened_date", "closed_date", "soc_master_list"],
    )
    for op in sorted(w.ops, key=lambda o: (o.team, o.number)):
        t.add(
            {
                "operation_ref": op.ref,
                "team": op.team,
                "owning_force": op.owning_force,
                "opened_date": iso(op.opened),
                "closed_date": iso(op.closed),
                "soc_master_list": "Y" if op.soc_ml else "N",
            }
        )
    return t


def operation_threats_table(w: World) -> Table:
    t = Table("operation_threats", ["operation_ref", "threat_type", "sub_threat"])
    for op in sorted(w.ops, key=lambda o: (o.team, o.number)):
        for threat, subs in op.threats.items():
            for sub in dict.fromkeys(subs or [None]):
                t.add({"operation_ref": op.ref, "threat_type": threat, "sub_threat": sub or ""})
    return t

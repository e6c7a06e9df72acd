"""The Capabilities Environment: TDA pipeline, onboarding and platform users (tool usage: tools.py).

Calibrated: 26 territorial forces and 4 ROCUs accepted or onboarded on the quarter end
(an acceptance on 3 July and an onboarding on 8 July must not count); gross savings
since inception of about GBP 16.4m from Translation words (GBP 0.10) and Transcription
audio minutes (GBP 1.50).
"""

from __future__ import annotations

import logging
from datetime import date

from .common import (
    EXTRACTED,
    TEAMS,
    TERRITORIAL,
    Table,
    days,
    iso,
    rand_date,
)
from .model import World

log = logging.getLogger("toex.generator")

# capability id -> (name, [(stage, entered_date), ...])
CAPABILITIES = {
    "TDA-001": (
        "Translation",
        [
            ("idea", date(2021, 6, 14)),
            ("business_need", date(2021, 7, 19)),
            ("development", date(2021, 9, 6)),
            ("testing", date(2022, 1, 17)),
            ("assurance", date(2022, 3, 21)),
            ("deployed", date(2022, 5, 9)),
        ],
    ),
    "TDA-002": (
        "Transcription",
        [
            ("idea", date(2021, 8, 2)),
            ("business_need", date(2021, 9, 13)),
            ("development", date(2021, 11, 22)),
            ("testing", date(2022, 5, 16)),
            ("assurance", date(2022, 7, 25)),
            ("deployed", date(2022, 9, 12)),
        ],
    ),
    "TDA-003": (
        "Traffic Jam integration",
        [
            ("idea", date(2021, 10, 4)),
            ("business_need", date(2021, 11, 15)),
            ("assurance", date(2022, 5, 23)),
            ("deployed", date(2022, 7, 4)),
        ],
    ),
    "TDA-004": (
        "DART",
        [
            ("idea", date(2022, 1, 10)),
            ("business_need", date(2022, 2, 21)),
            ("development", date(2022, 4, 4)),
            ("testing", date(2022, 8, 15)),
            ("assurance", date(2022, 10, 17)),
            ("deployed", date(2022, 12, 5)),
        ],
    ),
    "TDA-005": (
        "Facebook Friends",
        [
            ("idea", date(2022, 5, 9)),
            ("business_need", date(2022, 6, 20)),
            ("development", date(2022, 8, 1)),
            ("testing", date(2022, 12, 12)),
            ("assurance", date(2023, 1, 30)),
            ("deployed", date(2023, 3, 13)),
        ],
    ),
    "TDA-006": (
        "Companies House",
        [
            ("idea", date(2022, 9, 5)),
            ("business_need", date(2022, 10, 17)),
            ("development", date(2022, 12, 5)),
            ("testing", date(2023, 3, 20)),
            ("assurance", date(2023, 5, 2)),
            ("deployed", date(2023, 6, 19)),
        ],
    ),
    "TDA-007": (
        "Client Eye",
        [
            ("idea", date(2024, 9, 9)),
            ("business_need", date(2024, 10, 21)),
            ("development", date(2025, 1, 13)),
            ("testing", date(2025, 4, 22)),
            ("assurance", date(2025, 6, 23)),
        ],
    ),
    "TDA-008": (
        "IP Address Dashboard",
        [
            ("idea", date(2024, 10, 7)),
            ("business_need", date(2024, 11, 11)),
            ("development", date(2025, 1, 6)),
            ("testing", date(2025, 3, 3)),
            ("assurance", date(2025, 4, 7)),
            ("deployed", date(2025, 5, 14)),
        ],
    ),
    "TDA-009": (
        "Punter Review Dashboard",
        [
            ("idea", date(2024, 2, 5)),
            ("business_need", date(2024, 3, 18)),
            ("development", date(2024, 5, 7)),
            ("testing", date(2024, 8, 19)),
            ("assurance", date(2024, 9, 30)),
            ("deployed", date(2024, 11, 4)),
        ],
    ),
    "TDA-010": (
        "Adult Services Advert Scraper",
        [
            ("idea", date(2022, 11, 7)),
            ("business_need", date(2022, 12, 19)),
            ("development", date(2023, 2, 13)),
            ("testing", date(2023, 6, 26)),
            ("assurance", date(2023, 8, 14)),
            ("deployed", date(2023, 10, 2)),
            ("retired", date(2025, 2, 17)),
        ],
    ),
    "TDA-011": (
        "Entity Resolution Service",
        [
            ("idea", date(2024, 6, 10)),
            ("business_need", date(2024, 8, 5)),
            ("development", date(2024, 12, 2)),
        ],
    ),
    "TDA-012": (
        "Image Similarity Search",
        [("idea", date(2024, 12, 16)), ("business_need", date(2025, 3, 10))],
    ),
    "TDA-013": ("Vehicle Movement Explorer", [("idea", date(2025, 5, 6))]),
    "TDA-014": (
        "Crypto Wallet Tracer",
        [
            ("idea", date(2024, 3, 4)),
            ("business_need", date(2024, 5, 13)),
            ("development", date(2024, 9, 23)),
            ("testing", date(2025, 2, 24)),
        ],
    ),
    # Deployed after the quarter end: still at assurance on 30 June.
    "TDA-015": (
        "OCR Document Reader",
        [
            ("idea", date(2024, 4, 15)),
            ("business_need", date(2024, 6, 3)),
            ("development", date(2024, 8, 27)),
            ("testing", date(2024, 12, 9)),
            ("assurance", date(2025, 3, 31)),
            ("deployed", date(2025, 7, 8)),
        ],
    ),
    "TDA-016": (
        "Network Graph Explorer",
        [
            ("idea", date(2023, 5, 15)),
            ("business_need", date(2023, 6, 26)),
            ("development", date(2023, 8, 21)),
            ("testing", date(2023, 12, 4)),
            ("assurance", date(2024, 1, 22)),
            ("deployed", date(2024, 3, 18)),
        ],
    ),
    "TDA-017": (
        "Force Profile Builder",
        [
            ("idea", date(2023, 2, 20)),
            ("business_need", date(2023, 4, 3)),
            ("development", date(2023, 6, 12)),
            ("testing", date(2023, 9, 25)),
            ("assurance", date(2023, 11, 6)),
            ("deployed", date(2023, 12, 11)),
        ],
    ),
    "TDA-018": (
        "Victim Journey Timeline",
        [("idea", date(2024, 6, 3)), ("business_need", date(2024, 8, 12))],
    ),
    "TDA-019": (
        "Dark Web Marketplace Monitor",
        [
            ("idea", date(2023, 2, 6)),
            ("business_need", date(2023, 4, 17)),
            ("retired", date(2023, 11, 20)),
        ],
    ),
}


def capabilities_table(w: World) -> Table:
    t = Table("capabilities", ["capability_id", "capability_name", "stage", "entered_date"])
    for cid, (name, stages) in CAPABILITIES.items():
        for stage, d in stages:
            t.add(
                {
                    "capability_id": cid,
                    "capability_name": name,
                    "stage": stage,
                    "entered_date": iso(d),
                }
            )
    return t


# --------------------------------------------------------------------------- onboarding

FORCES_ONBOARDED, FORCES_ACCEPTED = 15, 11  # 26 accepted or onboarded on the quarter end
ROCU_STATUS = {
    "YHROCU": "onboarded",
    "NWROCU": "onboarded",
    "EMSOU": "accepted",
    "TARIAN": "accepted",
    "ERSOU": "requested",
    "SEROCU": "july_accepted",
    "ROCUWM": "requested",
    "NEROCU": "requested",
}


def build_onboarding(w: World) -> dict[str, list[tuple[str, date]]]:
    """organisation -> [(status, date), ...] in date order."""
    rng = w.sub_rng("onboarding")
    forces = list(TERRITORIAL)
    rng.shuffle(forces)
    # One of the 11 accepted forces is onboarded on 8 July; one more is accepted on 3 July.
    plan = (
        ["onboarded"] * FORCES_ONBOARDED
        + ["accepted"] * (FORCES_ACCEPTED - 1)
        + ["accepted_july_onboarded"]
        + ["requested"] * 6
        + ["july_accepted"]
        + ["withdrawn_after_accepted", "withdrawn"]
    )
    plan += ["none"] * (len(forces) - len(plan))
    status: dict[str, list[tuple[str, date]]] = {}
    for org, kind in zip(forces, plan, strict=False):
        if kind != "none":
            status[org] = _history(rng, kind)
    for org, kind in ROCU_STATUS.items():
        status[org] = _history(rng, kind)
    status["TOEX NT"] = [
        ("requested", date(2022, 3, 7)),
        ("accepted", date(2022, 3, 21)),
        ("onboarded", date(2022, 5, 9)),
    ]
    status["National Crime Agency"] = _history(rng, "accepted")
    w.onboarding = status
    return status


def _history(rng, kind: str) -> list[tuple[str, date]]:
    latest = date(2024, 10, 31) if kind.startswith("withdrawn") else date(2025, 1, 31)
    req = rand_date(rng, date(2023, 1, 9), latest)
    acc = req + days(rng.randint(14, 90))
    onb = acc + days(rng.randint(21, 120))
    if kind == "onboarded":
        onb = min(onb, date(2025, 6, 20))
        acc = min(acc, onb - days(14))
        req = min(req, acc - days(14))
        return [("requested", req), ("accepted", acc), ("onboarded", onb)]
    if kind == "accepted":
        return [("requested", req), ("accepted", min(acc, date(2025, 6, 16)))]
    if kind == "accepted_july_onboarded":
        return [
            ("requested", req),
            ("accepted", min(acc, date(2025, 5, 12))),
            ("onboarded", date(2025, 7, 8)),
        ]
    if kind == "requested":
        return [("requested", rand_date(rng, date(2024, 6, 3), date(2025, 6, 13)))]
    if kind == "july_accepted":
        return [
            ("requested", rand_date(rng, date(2025, 3, 3), date(2025, 5, 30))),
            ("accepted", date(2025, 7, 3)),
        ]
    if kind == "withdrawn_after_accepted":
        return [
            ("requested", req),
            ("accepted", acc),
            ("withdrawn", acc + days(rng.randint(30, 90))),
        ]
    return [("requested", req), ("withdrawn", req + days(rng.randint(20, 60)))]


def onboarding_table(w: World) -> Table:
    t = Table("onboarding", ["organisation", "org_type", "status", "status_date"])
    for org, hist in w.onboarding.items():
        org_type = (
            "force"
            if org in TERRITORIAL
            else ("national" if org in ("TOEX NT", "National Crime Agency") else "rocu")
        )
        for status, d in hist:
            t.add(
                {"organisation": org, "org_type": org_type, "status": status, "status_date": iso(d)}
            )
    return t


def _live_from(w: World, org: str) -> date | None:
    """When an organisation could use the CE: TOEX teams from go-live, forces once onboarded."""
    if org in TEAMS:
        return date(2022, 5, 9)  # the TOEX network has used the CE since it went live
    hist = dict(w.onboarding.get(org, []))
    if "onboarded" in hist and "withdrawn" not in hist:
        return hist["onboarded"]
    return None


# --------------------------------------------------------------------------- platform users

ROLES = (
    ("analyst", 40),
    ("investigator", 25),
    ("researcher", 20),
    ("data_engineer", 5),
    ("manager", 10),
)


def platform_users_table(w: World) -> Table:
    rng = w.sub_rng("platform_users")
    rows = []
    dp_users = []
    for org in sorted(set(TEAMS) | set(w.onboarding)):
        live = _live_from(w, org)
        if live is None or live > EXTRACTED:
            continue
        n = rng.randint(8, 15) if org in TEAMS else rng.randint(3, 10)
        for _ in range(n):
            _, email = w.people.person(org)
            role = rng.choices([r for r, _ in ROLES], [p for _, p in ROLES])[0]
            first = rand_date(rng, live, min(EXTRACTED, live + days(500)))
            last = None if rng.random() < 0.1 else rand_date(rng, first, EXTRACTED)
            rows.append(
                {
                    "user_id": email,
                    "organisation": org,
                    "role": role,
                    "platform": "capabilities_environment",
                    "first_access_date": first,
                    "last_access_date": last,
                }
            )
            if org in TEAMS and rng.random() < 0.3:
                dp_users.append((email, org, role))
    # The Data Platform: TOEX analysts and engineers, plus a few pilot forces.
    for email, org, role in dp_users:
        first = rand_date(rng, date(2023, 4, 3), date(2025, 7, 9))
        rows.append(
            {
                "user_id": email,
                "organisation": org,
                "role": role,
                "platform": "data_platform",
                "first_access_date": first,
                "last_access_date": rand_date(rng, first, EXTRACTED),
            }
        )
    for org in rng.sample(sorted(TERRITORIAL), 3):
        for _ in range(rng.randint(2, 5)):
            _, email = w.people.person(org)
            first = rand_date(rng, date(2024, 1, 8), date(2025, 6, 27))
            rows.append(
                {
                    "user_id": email,
                    "organisation": org,
                    "role": rng.choice(("analyst", "data_engineer", "manager")),
                    "platform": "data_platform",
                    "first_access_date": first,
                    "last_access_date": rand_date(rng, first, EXTRACTED),
                }
            )
    t = Table(
        "platform_users",
        ["user_id", "organisation", "role", "platform", "first_access_date", "last_access_date"],
    )
    for r in sorted(rows, key=lambda r: (r["platform"], r["first_access_date"], r["user_id"])):
        t.add(
            dict(
                r,
                first_access_date=iso(r["first_access_date"]),
                last_access_date=iso(r["last_access_date"]),
            )
        )
    return t

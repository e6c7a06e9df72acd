"""The planted mess: what real extracts look like, none of it changing a calibrated figure.

Three kinds:
- `format`: accepted as-is by a correct ingestion (UK dates, BOM, odd spacing and case in
  code-list values, mixed boolean spellings);
- `quarantine`: EXTRA rows beyond the calibrated data that ingestion must quarantine
  (both rows of a conflicting duplicate key go);
- `duplicate`: exact copies of calibrated rows, collapsed to one at ingestion.

`PLANTED_MESS` lists every item; tests and the calibration check read it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .common import Table


@dataclass(frozen=True)
class Mess:
    extract: str
    kind: str  # format | quarantine | duplicate
    what: str
    rows: int  # rows affected (format; -1 = the whole file), extra rows (quarantine), copies


PLANTED_MESS: tuple[Mess, ...] = (
    Mess("toex_jobs", "format", "allocated_date and closed_date written DD/MM/YYYY", -1),
    Mess("hr_staff", "format", "start_date, end_date and promoted_date written DD/MM/YYYY", -1),
    Mess("client_feedback", "format", "UTF-8 byte-order mark at the start of the file", 1),
    Mess("operation_threats", "format", "threat_type ' msht' (leading space, lower case)", 4),
    Mess("disruptions", "format", "moderation_status 'Moderated ' (capital, trailing space)", 6),
    Mess("disruptions", "format", "toex_involved spelled Yes/No instead of TRUE/FALSE", 10),
    Mess("toex_jobs", "format", "team 'tarian' in lower case", 2),
    Mess("morile_assessments", "format", "threat_type 'csa' in lower case", 3),
    Mess("identifications", "format", "verified is 1/0 from APMIS and Y/N from IWT", -1),
    Mess("operations", "format", "soc_master_list spelled Y/N", -1),
    Mess("case_studies", "format", "publish spelled Yes/No", -1),
    Mess("disruptions", "quarantine", "impact 'severe' is not in the code list", 1),
    Mess(
        "disruptions",
        "quarantine",
        "disruption_id DIS-900002 twice with different content (conflicting key)",
        2,
    ),
    Mess("identifications", "quarantine", "operation_ref 'NWROCU Op 9999' does not exist", 1),
    Mess("toex_jobs", "quarantine", "allocated_date '31/02/2025' is not a date", 1),
    Mess("morile_assessments", "quarantine", "risk_score 2500 is above the maximum 2000", 1),
    Mess(
        "morile_assessments",
        "quarantine",
        "assessment_id MRL-9000002 twice with different content (conflicting key)",
        2,
    ),
    Mess("client_feedback", "quarantine", "respondent_force 'Scotland Yard' is not a force", 1),
    Mess("operation_threats", "quarantine", "threat_type 'Cyber' is not in the code list", 1),
    Mess("hr_staff", "quarantine", "end_date before start_date", 1),
    Mess("costs", "quarantine", "month '2025-13' is not a month", 1),
    Mess("disruptions", "duplicate", "exact copies of two rows (one TOEX-involved in Q1)", 2),
    Mess("identifications", "duplicate", "exact copy of one row", 1),
    Mess("tool_usage", "duplicate", "exact copy of one row", 1),
    Mess("comms_metrics", "duplicate", "exact copy of one row", 1),
)
QUARANTINED_ROWS = sum(m.rows for m in PLANTED_MESS if m.kind == "quarantine")  # 12
DUPLICATE_ROWS = sum(m.rows for m in PLANTED_MESS if m.kind == "duplicate")  # 5


def _col(t: Table, name: str) -> int:
    return t.columns.index(name)


def _where(t: Table, **eq) -> list[list]:
    idx = {_col(t, k): v for k, v in eq.items()}
    return [r for r in t.rows if all(r[i] == v for i, v in idx.items())]


def _insert(rng: random.Random, t: Table, row: list) -> None:
    t.rows.insert(rng.randrange(len(t.rows) + 1), row)


def _row(t: Table, **values) -> list:
    return [values.get(c, "") for c in t.columns]


def apply_mess(seed: int, tables: dict[str, Table]) -> None:
    rng = random.Random(f"{seed}:mess")

    # format -----------------------------------------------------------------
    t = tables["operation_threats"]
    for r in rng.sample(_where(t, threat_type="MSHT"), 4):
        r[_col(t, "threat_type")] = " msht"
    t = tables["disruptions"]
    for r in rng.sample(_where(t, moderation_status="moderated"), 6):
        r[_col(t, "moderation_status")] = "Moderated "
    for r in rng.sample(t.rows, 10):
        r[_col(t, "toex_involved")] = "Yes" if r[_col(t, "toex_involved")] == "TRUE" else "No"
    t = tables["toex_jobs"]
    for r in _where(t, team="TARIAN")[:2]:
        r[_col(t, "team")] = "tarian"
    t = tables["morile_assessments"]
    for r in rng.sample(_where(t, threat_type="CSA"), 3):
        r[_col(t, "threat_type")] = "csa"

    # duplicates -------------------------------------------------------------
    t = tables["disruptions"]
    q1 = [
        r
        for r in t.rows
        if r[_col(t, "toex_involved")] == "TRUE"
        and r[_col(t, "moderation_status")] == "moderated"
        and "2025-04-01" <= r[_col(t, "disruption_date")] <= "2025-06-30"
    ]
    other = [r for r in t.rows if r[_col(t, "toex_involved")] == "FALSE"]
    for r in (rng.choice(q1), rng.choice(other)):
        _insert(rng, t, list(r))
    for name in ("identifications", "tool_usage", "comms_metrics"):
        t = tables[name]
        _insert(rng, t, list(rng.choice(t.rows)))

    # quarantine -------------------------------------------------------------
    t = tables["disruptions"]
    some = next(r for r in t.rows if r[_col(t, "disruption_date")].startswith("2025-05"))
    op = some[_col(t, "operation_ref")]
    _insert(
        rng,
        t,
        _row(
            t,
            disruption_id="DIS-900001",
            operation_ref=op,
            disruption_date="2025-05-14",
            threat_type="MSHT",
            impact="severe",
            moderation_status="moderated",
            moderated_date="2025-05-20",
            toex_involved="TRUE",
            description="Warrant executed",
        ),
    )
    old = next(r for r in t.rows if r[_col(t, "disruption_date")].startswith("2023-02"))
    for impact in ("minor", "moderate"):
        _insert(
            rng,
            t,
            _row(
                t,
                disruption_id="DIS-900002",
                operation_ref=old[1],
                disruption_date="2023-02-09",
                threat_type="Drugs",
                impact=impact,
                moderation_status="moderated",
                moderated_date="2023-02-20",
                toex_involved="FALSE",
            ),
        )
    t = tables["identifications"]
    _insert(
        rng,
        t,
        _row(
            t,
            identification_id="APM-ID-900001",
            source_system="APMIS",
            record_ref="REF-900001",
            operation_ref="NWROCU Op 9999",
            identified_date="2025-05-06",
            category="safeguarding_referral",
            verified="1",
        ),
    )
    t = tables["toex_jobs"]
    op = t.rows[len(t.rows) // 2][_col(t, "operation_ref")]
    _insert(
        rng,
        t,
        _row(
            t,
            job_id="IWT-90001",
            operation_ref=op,
            team="TOEX NT",
            origin="proactive",
            support_level="full",
            allocated_date="31/02/2025",
            status="ongoing",
        ),
    )
    t = tables["morile_assessments"]
    drugs = _where(t, threat_type="Drugs")
    _insert(
        rng,
        t,
        _row(
            t,
            assessment_id="MRL-9000001",
            operation_ref=drugs[0][1],
            threat_type="Drugs",
            assessment_date="2024-02-10",
            risk_score="2500",
            ori="3",
        ),
    )
    for score in ("340", "430"):
        _insert(
            rng,
            t,
            _row(
                t,
                assessment_id="MRL-9000002",
                operation_ref=drugs[1][1],
                threat_type="Drugs",
                assessment_date="2023-06-19",
                risk_score=score,
                ori="",
            ),
        )
    t = tables["client_feedback"]
    likert = {q: "Strongly Agree" for q in t.columns if q.startswith("q")}
    _insert(
        rng,
        t,
        _row(
            t,
            response_id="CF-90001",
            submitted_date="2025-05-22",
            respondent_email="jo.bloggs@met.police.uk",
            respondent_role="DC",
            respondent_force="Scotland Yard",
            would_recommend="Yes",
            **likert,
        ),
    )
    t = tables["operation_threats"]
    op = t.rows[7][_col(t, "operation_ref")]
    _insert(rng, t, _row(t, operation_ref=op, threat_type="Cyber", sub_threat=""))
    t = tables["hr_staff"]
    _insert(
        rng,
        t,
        _row(
            t,
            staff_number="TX99991",
            full_name="Sam Example",
            team="EMSOU",
            start_date="14/03/2025",
            end_date="03/02/2025",
            leaving_reason="other",
        ),
    )
    t = tables["costs"]
    _insert(rng, t, ["2025-13", "DP", "storage", 512.4])

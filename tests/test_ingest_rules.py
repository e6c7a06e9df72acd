"""One test per ingestion rule: the quarantine reason, and rows read = accepted + quarantined +
collapsed."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pytest
from sample_data import OPERATIONS_HEADER, OPERATIONS_OK

from dagster_project.ingest.reader import FileRejected

JOBS_HEADER = "job_id,operation_ref,team,origin,support_level,allocated_date,closed_date,status\n"
ASSESS_HEADER = "assessment_id,operation_ref,threat_type,assessment_date,risk_score,ori\n"


def reconciles(r, read, accepted, quarantined, collapsed=0):
    assert (r.rows_read, r.rows_accepted, r.rows_quarantined, r.rows_collapsed) == (
        read,
        accepted,
        quarantined,
        collapsed,
    )
    assert r.reconciles


def test_valid_file_loads_typed_and_canonical(deliveries):
    got = deliveries.ingest(
        {
            "operations.csv": OPERATIONS_HEADER
            + " TARIAN Op 49 , tarian ,south wales,05/01/2023,,yes\n"
        }
    )
    reconciles(got.result, 1, 1, 0)
    (row,) = got.raw("operations")
    assert row[1:] == (
        "TARIAN Op 49",
        "TARIAN",
        "South Wales",
        date(2023, 1, 5),
        None,
        True,
    )


@pytest.mark.parametrize(
    "spelling,expected",
    [
        ("Y", True),
        ("n", False),
        ("Yes", True),
        ("NO", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
    ],
)
def test_boolean_spellings(deliveries, spelling, expected):
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_HEADER + f"TARIAN Op 1,TARIAN,Gwent,2023-01-05,,{spelling}\n"}
    )
    assert got.raw("operations")[0][-1] is expected


def test_required_value_missing(deliveries):
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_OK + "TARIAN Op 2,,Gwent,2023-01-05,,Y\n"}
    )
    reconciles(got.result, 3, 2, 1)
    assert got.quarantine() == [(3, "team: required value missing")]


def test_impossible_date(deliveries):
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_OK + "TARIAN Op 2,TARIAN,Gwent,31/02/2023,,Y\n"}
    )
    reconciles(got.result, 3, 2, 1)
    assert got.quarantine() == [(3, "opened_date: '31/02/2023' is not a valid date")]


def test_unknown_code_value(deliveries):
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_OK + "TARIAN Op 2,TARIAN,Gotham,2023-01-05,,Y\n"}
    )
    reconciles(got.result, 3, 2, 1)
    assert got.quarantine() == [(3, "owning_force: 'Gotham' not in code list force")]


def test_pattern_rule(deliveries):
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_OK + "Operation X,TARIAN,Gwent,2023-01-05,,Y\n"}
    )
    assert got.quarantine()[0][1].startswith("operation_ref: 'Operation X' does not match")


def test_on_or_after_rule(deliveries):
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_OK + "TARIAN Op 2,TARIAN,Gwent,2023-01-05,2022-01-01,Y\n"}
    )
    reconciles(got.result, 3, 2, 1)
    assert got.quarantine() == [(3, "closed_date: before opened_date (2022-01-01 < 2023-01-05)")]


def test_required_when_rule(deliveries):
    jobs = JOBS_HEADER + (
        "J1,TARIAN Op 49,TARIAN,tasked,full,2024-01-01,,closed\n"
        "J2,TARIAN Op 49,TARIAN,proactive,partial,2024-01-01,,ongoing\n"
    )
    got = deliveries.ingest({"operations.csv": OPERATIONS_OK, "toex_jobs.csv": jobs}, "toex_jobs")
    reconciles(got.result, 2, 1, 1)
    assert got.quarantine() == [(1, "closed_date: required when status is closed")]


def test_orphan_reference(deliveries):
    jobs = JOBS_HEADER + "J1,TARIAN Op 999,TARIAN,tasked,full,2024-01-01,,ongoing\n"
    got = deliveries.ingest({"operations.csv": OPERATIONS_OK, "toex_jobs.csv": jobs}, "toex_jobs")
    reconciles(got.result, 1, 0, 1)
    assert got.quarantine() == [
        (1, "operation_ref: 'TARIAN Op 999' not found in operations.operation_ref")
    ]


def test_quarantine_keeps_each_value_as_written(deliveries):
    """The checked table keeps a typed column's text only where it is not the typed value
    written out (ingest/load.py, `_kept_sql`): the quarantine still shows every value as the
    file wrote it (trimmed), and a row found by the reference rule after the first pass gets
    every rule's reason again, in the contract's column order."""
    rows = (
        ASSESS_HEADER
        + "A1,TARIAN Op 999, msht ,01/02/2024,12.0,6\n"  # orphan, and ori above the maximum
        + "A2,TARIAN Op 49,MSHT,2024-02-01,+7,\n"  # valid: '+7' and '2024-02-01'
        + "A3,TARIAN Op 49,Drugs,2024-02-31,0012,x\n"  # impossible date, ori not a number
    )
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_OK, "morile_assessments.csv": rows}, "morile_assessments"
    )
    reconciles(got.result, 3, 1, 2)
    assert got.quarantine() == [
        (
            1,
            "operation_ref: 'TARIAN Op 999' not found in operations.operation_ref; "
            "ori: 6 above the maximum 5",
        ),
        (3, "assessment_date: '2024-02-31' is not a valid date; ori: 'x' is not a valid integer"),
    ]
    kept = [
        json.loads(j)
        for (j,) in got.con.execute(
            "SELECT row_json FROM ingest.quarantine WHERE extract = 'morile_assessments' "
            "ORDER BY row_number"
        ).fetchall()
    ]
    assert kept == [
        {
            "assessment_id": "A1",
            "operation_ref": "TARIAN Op 999",
            "threat_type": "msht",
            "assessment_date": "01/02/2024",
            "risk_score": "12.0",
            "ori": "6",
        },
        {
            "assessment_id": "A3",
            "operation_ref": "TARIAN Op 49",
            "threat_type": "Drugs",
            "assessment_date": "2024-02-31",
            "risk_score": "0012",
            "ori": "x",
        },
    ]
    (valid,) = got.raw("morile_assessments")
    assert valid[1:] == (
        "A2",
        "TARIAN Op 49",
        "MSHT",
        date(2024, 2, 1),
        7,
        None,
    )


@pytest.mark.parametrize(
    "score,ori,reason",
    [
        ("2500", "3", "risk_score: 2500 above the maximum 2000"),
        ("-1", "3", "risk_score: -1 below the minimum 0"),
        ("100", "0", "ori: 0 below the minimum 1"),
        ("100", "6", "ori: 6 above the maximum 5"),
        ("abc", "3", "risk_score: 'abc' is not a valid integer"),
    ],
)
def test_range_and_numeric_rules(deliveries, score, ori, reason):
    rows = (
        ASSESS_HEADER
        + f"A1,TARIAN Op 49,MSHT,2024-01-01,{score},{ori}\nA2,TARIAN Op 49,MSHT,2024-02-01,100,\n"
    )
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_OK, "morile_assessments.csv": rows}, "morile_assessments"
    )
    reconciles(got.result, 2, 1, 1)
    assert got.quarantine() == [(1, reason)]
    assert got.raw("morile_assessments")[0][-1] is None, "blank ORI is null, not an error"


def test_conflicting_duplicate_key_quarantines_both(deliveries):
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_OK + "TARIAN Op 49,TARIAN,Gwent,2023-01-05,,Y\n"}
    )
    reconciles(got.result, 3, 1, 2)
    assert [r for _, r in got.quarantine()] == [
        "conflicting duplicate key (operation_ref): rows 1, 3 differ"
    ] * 2


def test_exact_duplicates_collapsed(deliveries):
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_OK + "TARIAN Op 49, TARIAN ,South Wales,05/01/2023,,yes\n"}
    )
    reconciles(got.result, 3, 2, 0, collapsed=1)


def test_repeats_among_many_rows_match_a_plain_reading_of_the_rule(deliveries):
    """Exact duplicates of an earlier valid row collapse; valid rows still sharing a key are all
    quarantined, naming every row of the key. Checked against a row-by-row reading in Python on
    a file full of repeats: composite key, a dropped personal column (names differ, so not
    duplicates), spellings that type alike, and invalid rows sharing keys (never counted)."""
    import random

    rng = random.Random(14)
    header = "staff_number,full_name,team,start_date,end_date,leaving_reason,promoted_date\n"
    lines, rows = [], []
    for n in range(1, 401):
        staff = f"S{rng.randint(1, 60)}"
        day = rng.choice(["2024-04-01", "2024-05-01"])
        start = day if rng.random() < 0.5 else f"{day[8:]}/{day[5:7]}/{day[:4]}"  # UK spelling
        team = rng.choice(["TARIAN", " tarian ", "LONDON", "NOPE"])
        name = rng.choice(["A", "B"])
        lines.append(f"{staff},{name},{team},{start},,,\n")
        rows.append((n, staff, name, team.strip().upper(), day))
    got = deliveries.ingest({"hr_staff.csv": header + "".join(lines)}, "hr_staff")

    invalid = {n for n, *_, team, _ in rows if team == "NOPE"}
    seen, kept, collapsed = set(), [], 0
    for n, staff, name, team, day in rows:
        if n in invalid:
            continue
        if (staff, name, team, day) in seen:
            collapsed += 1
        else:
            seen.add((staff, name, team, day))
            kept.append((n, (staff, day)))
    by_key: dict[tuple, list[int]] = {}
    for n, key in kept:
        by_key.setdefault(key, []).append(n)
    conflicts = {
        n: "conflicting duplicate key (staff_number, start_date): rows "
        + ", ".join(map(str, ns))
        + " differ"
        for ns in by_key.values()
        if len(ns) > 1
        for n in ns
    }
    accepted = [n for n, key in kept if n not in conflicts]
    assert collapsed and conflicts and accepted, "the sample exercises every outcome"
    reconciles(got.result, 400, len(accepted), len(invalid) + len(conflicts), collapsed)
    assert [r[0] for r in got.raw("hr_staff")] == accepted
    quarantined = dict(got.quarantine())
    assert {n: quarantined[n] for n in conflicts} == conflicts
    assert sorted(quarantined) == sorted(invalid | set(conflicts))


def test_a_large_file_lands_in_file_order_with_its_reference_rule(deliveries, tmp_path):
    """Accepted rows go into the raw table and the validated Parquet in file order, without a
    sort: the rules run in one order-keeping pass and the reference rule after it, in place.
    A file of several row groups (read in parallel), unknown references and other broken rows
    spread through it, and a row breaking both."""
    from dagster_project.ingest.load import export_validated

    ops = [f"TARIAN Op {i}" for i in range(1, 10_001)]
    operations = OPERATIONS_HEADER + "".join(f"{o},TARIAN,Gwent,2023-01-05,,Y\n" for o in ops)
    threats = ["CSA", "MSHT", "OIC", "Drugs", "Fraud", "Other"]
    subs = ["", "Sexual Exploitation", "Labour Exploitation", "Criminal Exploitation"]
    subs += ["Domestic Servitude", "Online CSA", "Other"]
    lines, broken = [], {}
    for n in range(1, 300_001):  # every row its own key: (operation, threat, sub-threat)
        ref, threat, sub = ops[n % 10_000], threats[n // 10_000 % 6], subs[n // 60_000]
        if n % 9_973 == 0:
            ref = f"NWROCU Op {n}"
            broken[n] = f"operation_ref: '{ref}' not found in operations.operation_ref"
        if n % 12_345 == 0 or n == 9_973 * 7:
            threat = "Cyber"
            reason = "threat_type: 'Cyber' not in code list threat_type"
            broken[n] = f"{broken[n]}; {reason}" if n in broken else reason
        lines.append(f"{ref},{threat},{sub}\n")
    body = "operation_ref,threat_type,sub_threat\n" + "".join(lines)
    got = deliveries.ingest(
        {"operations.csv": operations, "operation_threats.csv": body}, "operation_threats"
    )
    assert "; " in broken[9_973 * 7], "one row breaks the reference and another rule"
    reconciles(got.result, 300_000, 300_000 - len(broken), len(broken))
    assert dict(got.quarantine()) == broken
    expected = [n for n in range(1, 300_001) if n not in broken]
    numbers = deliveries.con.execute(
        "SELECT _row_number FROM raw.operation_threats ORDER BY rowid"
    ).fetchall()
    assert [n for (n,) in numbers] == expected, "insertion order is file order"
    parquet = export_validated(
        deliveries.con, "operation_threats", tmp_path / "landing", got.result.delivery_id
    )
    in_file = deliveries.con.execute(f"SELECT _row_number FROM '{parquet}'").fetchall()
    assert [n for (n,) in in_file] == expected


def test_missing_required_column_rejects_file_and_keeps_previous(deliveries):
    deliveries.ingest({"operations.csv": OPERATIONS_OK})
    with pytest.raises(FileRejected, match=r"operations.csv: missing required column owning_force"):
        deliveries.ingest(
            {
                "operations.csv": "operation_ref,team,opened_date,soc_master_list\n"
                "X Op 1,TARIAN,2023-01-01,Y\n"
            }
        )
    assert len(deliveries.con.execute("SELECT * FROM raw.operations").fetchall()) == 2, (
        "previous version kept"
    )
    status, message = deliveries.con.execute(
        "SELECT status, message FROM ingest.file_loads ORDER BY loaded_at DESC LIMIT 1"
    ).fetchone()
    assert status == "rejected" and "owning_force" in message


def test_unknown_extra_column_reported_and_kept_out(deliveries):
    body = (
        "operation_ref,TEAM ,owning_force,opened_date,closed_date,soc_master_list,notes\n"
        "TARIAN Op 1,TARIAN,Gwent,2023-01-05,,Y,hello\n"
    )
    got = deliveries.ingest({"operations.csv": body})
    assert got.result.unknown_columns == ["notes"]
    cols = [r[0] for r in deliveries.con.execute("DESCRIBE raw.operations").fetchall()]
    assert "notes" not in cols


def test_bom_and_windows_1252(deliveries):
    text = OPERATIONS_HEADER + "TARIAN Op 1,TARIAN,Gwent,2023-01-05,,Y\n"
    got = deliveries.ingest({"operations.csv": b"\xef\xbb\xbf" + text.encode()})
    assert got.result.encoding == "utf-8-sig" and got.result.rows_accepted == 1
    case = (
        "case_studies.csv",
        "quarter,operation_ref,title,body_markdown,publish\n"
        "2025-26 Q1,TARIAN Op 1,Caf\xe9 \u2013 brothel,\u201cquoted\u201d,Y\n",
    )
    got = deliveries.ingest(
        {"operations.csv": text, case[0]: case[1].encode("cp1252")}, "case_studies"
    )
    assert got.result.encoding == "cp1252"
    assert got.raw("case_studies")[0][3:5] == ("Caf\xe9 \u2013 brothel", "\u201cquoted\u201d"), (
        "not garbled"
    )


def test_binary_garbage_and_empty_files_rejected(deliveries):
    with pytest.raises(FileRejected, match="binary content"):
        deliveries.ingest({"operations.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"})
    with pytest.raises(FileRejected, match="empty file"):
        deliveries.ingest({"operations.csv": b""})


def test_header_only_is_zero_rows(deliveries):
    got = deliveries.ingest({"operations.csv": OPERATIONS_HEADER})
    reconciles(got.result, 0, 0, 0)


def test_unbalanced_quote_and_truncated_row_quarantined(deliveries):
    body = OPERATIONS_OK + 'TARIAN Op 7,"TARIAN,Gwent,2023-01-05,,Y\n'
    got = deliveries.ingest({"operations.csv": body})
    reconciles(got.result, 3, 2, 1)
    assert got.quarantine()[0][0] == 3 and "unparseable CSV record" in got.quarantine()[0][1]
    got = deliveries.ingest(
        {
            "operations.csv": OPERATIONS_HEADER
            + "TARIAN Op 1,TARIAN,Gwent,2023-01-05,,Y\nTARIAN Op 2,TARIAN"
        }
    )
    reconciles(got.result, 2, 1, 1)
    assert "MISSING COLUMNS" in got.quarantine()[-1][1]


def test_row_numbers_survive_parse_rejects(deliveries):
    body = OPERATIONS_HEADER + (
        "TARIAN Op 1,TARIAN,Gwent,2023-01-05,,Y\nbroken,row\n"
        "TARIAN Op 3,TARIAN,Gotham,2023-01-05,,Y\n"
    )
    got = deliveries.ingest({"operations.csv": body})
    assert [n for n, _ in got.quarantine()] == [2, 3]
    assert got.raw("operations")[0][0] == 1


def test_overlong_free_text_quarantined(deliveries):
    big = "x" * 200_001
    body = (
        "quarter,operation_ref,title,body_markdown,publish\n2025-26 Q1,TARIAN Op 49,T,"
        + big
        + ",Y\n"
    )
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_OK, "case_studies.csv": body}, "case_studies"
    )
    reconciles(got.result, 1, 0, 1)
    assert got.quarantine()[0][1] == "body_markdown: longer than 100000 characters (200001)"


def test_xlsx_first_sheet_with_dates_and_numbers(deliveries):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Month", "cost_centre", "category", "amount_gbp"])
    import datetime

    ws.append([datetime.datetime(2025, 4, 1), "ce", "Licences", 1250.5])
    ws.append(["2025-05", "DP", "cloud_consumption", -20])
    wb.create_sheet("notes").append(["ignored"])
    buf = io.BytesIO()
    wb.save(buf)
    got = deliveries.ingest({"costs.xlsx": buf.getvalue()})
    reconciles(got.result, 2, 2, 0)
    assert got.raw("costs") == [
        (1, datetime.date(2025, 4, 1), "CE", "licences", 1250.5),
        (2, datetime.date(2025, 5, 1), "DP", "cloud_consumption", -20.0),
    ]


def test_month_and_uk_dates(deliveries):
    body = (
        "month,channel,metric,value\n2025-04,linkedin,page_views,197\n"
        "05/2025,LinkedIn,page_views,234\n2025-13,X,followers,1\n"
    )
    got = deliveries.ingest({"comms_metrics.csv": body})
    reconciles(got.result, 3, 2, 1)
    assert got.quarantine() == [(3, "month: '2025-13' is not a valid month")]

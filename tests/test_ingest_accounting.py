"""Nothing read is lost, nothing lost is silent (issue 12, items 1-8): the independent record
count, real row numbers and raw text of parse rejects, strict headers, and gates whose
failures are never a baseline. Fast: no Dagster, no full pipeline."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import openpyxl
import pytest
from corpus.cases import DIS_HEADER, DIS_OK, OPS_GOOD
from sample_data import OPERATIONS_HEADER

from dagster_project.ingest.delivery import DeliveryError, land
from dagster_project.ingest.load import block_current_delivery, ensure_meta
from dagster_project.ingest.reader import FileRejected
from dagster_project.ingest.records import count_records
from dagster_project.quality.runner import previous_row_count

EDGE_CASES = {
    "plain": "a,b,c\n1,2,3\n4,5,6\n",
    "no final line end": "a,b,c\n1,2,3\n4,5,6",
    "crlf and a multi-line field": 'a,b,c\r\n1,2,"x\r\ny"\r\n3,4,5\r\n',
    "escaped quotes": 'a,b,c\n1,2,"he said ""no"""\n"",,""""\n',
    "blank lines": "a,b,c\n\n1,2,3\n\n\n4,5,6\n\n",
    "quote inside a field is literal": 'a,b,c\n1,2,5" screen\n3,4,5\n',
    "bom": "\ufeffa,b,c\n1,2,3\n",
}


@pytest.mark.parametrize("text", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_independent_count_agrees_with_pythons_csv_module(text, tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    expected = sum(1 for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if row) - 1
    got = count_records(path)
    assert got.records == expected
    assert got.open_quote_row is None


def test_independent_count_on_a_generated_delivery(tmp_path):
    """Every extract of a generated delivery: the byte count equals a full CSV parse."""
    from dagster_project.generator import generate

    generate(tmp_path / "d", seed=7, scale=1)
    for path in sorted((tmp_path / "d").glob("*.csv")):
        with open(path, newline="", encoding="utf-8-sig") as f:
            expected = sum(1 for row in csv.reader(f) if row) - 1
        assert count_records(path).records == expected, path.name


def test_misplaced_and_open_quotes_are_located(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b'a,b,c\n1,2,3\n4,5, "x\n6,7,8\n')
    assert count_records(path).misplaced_quote_row == 2 and count_records(path).records == 3
    path.write_bytes(b'a,b,c\n1,2,3\n4,5,"x\n6,7,8\n9,9,9\n')
    got = count_records(path)
    assert (got.records, got.open_quote_row, got.lines_in_open_record) == (2, 2, 3)


def test_parse_reject_row_numbers_count_records_not_lines(deliveries):
    """A multi-line quoted description and blank lines before a broken record: its row number is
    the record's (5), and the accepted rows around it keep theirs."""
    body = (
        DIS_HEADER
        + DIS_OK
        + DIS_OK.replace("D1,", "D2,").replace("Arrests made", '"Arrests\nmade"')
        + "\n"
        + DIS_OK.replace("D1,", "D3,")
        + "\n"
        + DIS_OK.replace("D1,", "D4,")
        + "D5,TARIAN Op 49\n"
        + DIS_OK.replace("D1,", "D6,")
    )
    got = deliveries.ingest({"operations.csv": OPS_GOOD, "disruptions.csv": body}, "disruptions")
    assert (got.result.rows_counted, got.result.rows_accepted, got.result.rows_quarantined) == (
        6,
        5,
        1,
    )
    assert [n for n, _ in got.quarantine()] == [5]
    assert [r[0] for r in got.raw("disruptions")] == [1, 2, 3, 4, 6]


def test_parse_reject_keeps_its_raw_text(deliveries):
    got = deliveries.ingest(
        {
            "operations.csv": OPERATIONS_HEADER
            + "TARIAN Op 1,TARIAN,Gwent,2023-01-05,,Y\nbroken,row\n"
        }
    )
    (raw,) = got.con.execute(
        "SELECT row_json FROM ingest.quarantine WHERE row_number = 2"
    ).fetchone()
    assert json.loads(raw) == {"raw_record": "broken,row", "raw_record_chars": len("broken,row")}


def test_parse_reject_of_a_personal_extract_withholds_its_text(deliveries):
    body = "staff_number,full_name,team,grade,start_date,leave_date\nS1,Jane Smith\n"
    got = deliveries.ingest({"hr_staff.csv": body}, "hr_staff")
    (raw,) = got.con.execute(
        "SELECT row_json FROM ingest.quarantine WHERE load_id LIKE '%/hr_staff'"
    ).fetchone()
    assert "Jane" not in raw and "S1" not in raw
    assert (
        json.loads(raw)["raw_record"] is None and "personal columns" in json.loads(raw)["withheld"]
    )


def test_invisible_characters_in_an_optional_header_are_stripped(deliveries):
    header = DIS_HEADER.replace("technical_tool", "technical_tool\u200b")
    got = deliveries.ingest(
        {
            "operations.csv": OPS_GOOD,
            "disruptions.csv": header + DIS_OK.replace(",,Arrests", ",dart,Arrests"),
        },
        "disruptions",
    )
    assert got.result.missing_columns == [] and got.result.unknown_columns == []
    assert got.con.execute("SELECT technical_tool FROM raw.disruptions").fetchall() == [("DART",)]


def test_missing_optional_column_is_reported(deliveries):
    header = DIS_HEADER.replace(",technical_tool", "")
    got = deliveries.ingest(
        {
            "operations.csv": OPS_GOOD,
            "disruptions.csv": header + DIS_OK.replace(",,Arrests", ",Arrests"),
        },
        "disruptions",
    )
    assert got.result.missing_columns == ["technical_tool"] and got.result.rows_accepted == 1
    assert got.con.execute(
        "SELECT missing_columns FROM ingest.file_loads WHERE extract = 'disruptions'"
    ).fetchone() == (["technical_tool"],)


def _workbook(sheets: list[tuple[str, list[list], str]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows, state in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        ws.sheet_state = state
    wb.active = next(i for i, s in enumerate(sheets) if s[2] == "visible")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


COSTS = ["month", "cost_centre", "category", "amount_gbp"]


def test_xlsx_hidden_first_sheet_is_not_read(deliveries):
    body = _workbook(
        [
            ("Old (do not use)", [COSTS, ["2025-04", "CE", "licences", 100]], "hidden"),
            ("Costs", [COSTS, ["2025-04", "CE", "licences", 10]], "visible"),
        ]
    )
    got = deliveries.ingest({"costs.xlsx": body}, "costs")
    assert [r[-1] for r in got.raw("costs")] == [10.0]


def test_xlsx_sheet_named_by_the_contract(tmp_path):
    from dagster_project.ingest.reader import read_file

    path = tmp_path / "costs"
    path.write_bytes(
        _workbook(
            [
                ("Notes", [["not data"]], "visible"),
                ("Costs", [COSTS, ["2025-04", "CE", "licences", 10]], "visible"),
                ("Workings", [COSTS], "hidden"),
            ]
        )
    )
    con = duckdb.connect()
    assert read_file(con, path, "xlsx", "t", "costs.xlsx", sheet="costs").records_counted == 1
    with pytest.raises(FileRejected, match="the sheet 'Workings' the contract names is hidden"):
        read_file(con, path, "xlsx", "t2", "costs.xlsx", sheet="Workings")


def test_xlsx_formula_without_cached_value_is_quarantined_with_its_rule(deliveries):
    body = _workbook(
        [
            (
                "Costs",
                [COSTS, ["2025-04", "CE", "licences", "=10*2"], ["2025-05", "CE", "licences", 5]],
                "visible",
            )
        ]
    )
    got = deliveries.ingest({"costs.xlsx": body}, "costs")
    assert got.result.reconciles and (got.result.rows_accepted, got.result.rows_quarantined) == (
        1,
        1,
    )
    assert got.quarantine() == [
        (
            1,
            "amount_gbp: formula '=10*2' has no cached value (the workbook was saved without "
            "recalculating)",
        )
    ]


def test_empty_or_unreadable_delivery_is_refused_before_landing(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DeliveryError, match="holds no extract file"):
        land(tmp_path / "empty", tmp_path / "landing")
    assert not (tmp_path / "landing").exists()


def test_a_blocked_delivery_is_never_the_baseline(tmp_path):
    """Halved disruptions fail the volume band; sent again, the band still compares against the
    last delivery that passed, so it fails again (it used to pass against the halved one)."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ensure_meta(con)
    con.execute("CREATE TABLE raw.disruptions (_delivery_id VARCHAR)")
    con.execute(
        """INSERT INTO ingest.deliveries (delivery_id, arrived_at) VALUES
        ('good', '2025-07-01T09:00:00Z'), ('halved', '2025-07-02T09:00:00Z'), """
        "('again', '2025-07-03T09:00:00Z')"
    )
    con.execute(
        "INSERT INTO ingest.file_loads "
        """(load_id, delivery_id, extract, status, rows_accepted) VALUES
        ('good/disruptions', 'good', 'disruptions', 'loaded', 3756),
        ('halved/disruptions', 'halved', 'disruptions', 'loaded', 1878)"""
    )
    con.execute("INSERT INTO ingest.current_delivery VALUES ('halved', now())")
    con.execute("INSERT INTO raw.disruptions VALUES ('halved')")
    assert previous_row_count(con, "disruptions", "raw.disruptions") == (3756, "good")
    assert (
        block_current_delivery(con, "raw/disruptions:quality_gate", "volume_within_band failed")
        == "halved"
    )
    con.execute(
        "DELETE FROM ingest.current_delivery; "
        "INSERT INTO ingest.current_delivery VALUES ('again', now())"
    )
    con.execute("UPDATE raw.disruptions SET _delivery_id = 'again'")
    assert previous_row_count(con, "disruptions", "raw.disruptions") == (3756, "good")


def test_count_cost_at_scale(tmp_path):
    """The independent count is a small fraction of the load: a 40 MB extract in well under a
    second."""
    import time

    path = Path(tmp_path / "big.csv")
    row = "A1,TARIAN Op 49,MSHT,2025-01-01,300,3\n"
    path.write_text(
        "assessment_id,operation_ref,threat_type,assessment_date,risk_score,ori\n" + row * 1_000_000
    )
    started = time.perf_counter()
    assert count_records(path).records == 1_000_000
    assert time.perf_counter() - started < 5  # measured ~0.3 s; a loose bound for a shared machine

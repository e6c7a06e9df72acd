"""The detail sheets' rows written as XML (publish/sheet_rows.py) read back exactly as the same
values written cell by cell with openpyxl: value, type, number format, text, the sheet's extent."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
from openpyxl import Workbook

from dagster_project.publish import workbook
from dagster_project.publish.sources import Detail

COLUMNS = workbook.RISK_COLUMNS
# Every kind of value a detail row may hold, plain or not (those go through openpyxl).
ODD = [
    None,
    "",
    "  padded  ",
    "a < b & c > d",
    "=SUM(A1)",
    "-12",
    "#N/A",
    "tab\there",
    "bell\x07",
    "é ü 中文",
    "x" * 40_000,
    0,
    -434,
    3.25,
    1e20,
    float("nan"),
    True,
    Decimal("1.5"),
    date(2025, 5, 1),
    datetime(2025, 5, 1, 12, 30),
]


# A date column holds dates (or text, which openpyxl keeps as text in the date format).
ODD_DATES = [None, date(2025, 5, 1), datetime(2025, 5, 1, 12, 30), "n/a", 45000]


def _records(n: int) -> list[dict]:
    def value(i: int, j: int, fmt: str):
        odd = ODD_DATES if fmt == workbook.DATE else ODD
        return odd[(i * 7 + j * 3) % len(odd)]

    return [{key: value(i, j, fmt) for j, (key, _, fmt) in enumerate(COLUMNS)} for i in range(n)]


def _cell_by_cell(records: list[dict]) -> Workbook:
    """The detail sheet as openpyxl alone writes it (the code path before sheet_rows)."""
    wb = Workbook()
    ws = wb.active
    for offset, record in enumerate(records):
        r = workbook.FIRST_DATA_ROW + offset
        for col, (key, _, fmt) in enumerate(COLUMNS, start=1):
            value = record.get(key)
            if fmt == workbook.DATE:
                workbook._date(ws, r, col, value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.cell(row=r, column=col, value=value).number_format = (
                    fmt or workbook.DETAIL_NUMBER_FORMAT
                )
            else:
                workbook._text(ws, r, col, None if value is None else str(value))
    buffer = io.BytesIO()
    wb.save(buffer)
    return openpyxl.load_workbook(buffer)


def test_rows_written_as_xml_read_back_as_openpyxl_writes_them():
    records = _records(len(ODD) * 3)
    data, counts = workbook.build_workbook(
        [],
        workbook.Quarter.parse("2025-26 Q1"),
        run_id="r",
        code_version="c",
        risk_changes=Detail(records),
    )
    assert counts[workbook.RISK] == len(records)
    got = openpyxl.load_workbook(io.BytesIO(data))[workbook.RISK]
    want = _cell_by_cell(records).active
    first = workbook.FIRST_DATA_ROW
    assert got.max_row == want.max_row == first + len(records) - 1
    compared = 0
    for g_row, w_row in zip(
        got.iter_rows(min_row=first), want.iter_rows(min_row=first), strict=True
    ):
        for g, w in zip(g_row, w_row, strict=True):
            same = g.value == w.value or (g.value != g.value and w.value != w.value)  # nan
            assert same and g.data_type == w.data_type, (g.coordinate, g.value, w.value)
            assert g.number_format == w.number_format, g.coordinate
            compared += 1
    assert compared == len(records) * len(COLUMNS)


def test_a_sheet_of_plain_rows_is_mostly_xml():
    records = [
        {
            "operation_ref": f"OP-{i}",
            "threat_type": "CSA",
            "assessment_date": date(2025, 5, 1),
            "previous_score": 100,
            "risk_score": 90 + i,
            "score_change": i - 10,
        }
        for i in range(50)
    ]
    wb = Workbook()
    plain = workbook._detail_sheet(wb, "R", "t", Detail(records), COLUMNS, 2)
    # Only the first and the last data rows are openpyxl cells; the 48 between are XML.
    assert sum(len(run) for run in plain.runs.values()) == 48
    assert wb["R"].max_row == workbook.FIRST_DATA_ROW + 49

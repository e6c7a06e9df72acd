"""The analysts' workbook, opened with openpyxl: sheet order, the quarterly series since inception,
detail sheets, number formats by unit, UK dates, frozen keys and the Definitions sheet."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from dagster_project.fiscal import Quarter, quarters_between
from dagster_project.kpi_catalogue import catalogue, inception_date
from dagster_project.publish.figures import KpiRow
from dagster_project.publish.sources import Detail
from dagster_project.publish.workbook import build_workbook

Q = Quarter.parse("2025-26 Q1")
QUARTERS = quarters_between(Quarter.containing(inception_date()), Q)


def _row(
    kpi, measure, period, value, unit, by="all", bv="all", start=Q.start, end=Q.end, label="", q=Q
):
    return KpiRow(q.label, kpi, measure, period, start, end, by, bv, value, unit, label, "")


ROWS = [
    _row(
        "Q1.3", "disruptions", "quarter", 60.0, "count", "involvement", "toex", label="2025-26 Q1"
    ),
    _row(
        "Q1.3",
        "disruptions",
        "financial_year",
        400.0,
        "count",
        "involvement",
        "toex",
        date(2024, 4, 1),
        date(2025, 3, 31),
        "FY 2024-25",
    ),
    _row("Q1.2", "score_change_p_value", "quarter", 0.4950452, "p_value"),
    _row("Q1.3", "exploitation_share", "since_inception", 0.82, "share", start=date(2021, 4, 1)),
    _row("Q4.2", "warehouse_bytes", "as_at", 123_456_789.0, "bytes", start=Q.end),
    _row("Q1.1", "safeguarding_referrals", "quarter", 94.0, "count"),
]
HISTORY = [
    (
        q,
        _row(
            "Q1.3",
            "disruptions",
            "quarter",
            float(10 + i),
            "count",
            "involvement",
            "toex",
            q.start,
            q.end,
            q=q,
        ),
    )
    for i, q in enumerate(QUARTERS)
]
RISK = Detail(
    [
        {
            "operation_ref": "OP-1",
            "threat_type": "CSA",
            "assessment_date": date(2025, 5, 2),
            "previous_score": 500,
            "risk_score": 66,
            "score_change": -434,
            "previous_ori": 3,
            "ori": 2,
        }
    ]
)
TOP10 = Detail(
    [
        {
            "threat_type": "CSA",
            "month_end": date(2025, 4, 30),
            "rank": 1,
            "operation_ref": "OP-1",
            "risk_score": 900,
            "toex_supported": True,
        }
    ]
)


@pytest.fixture(scope="module")
def wb():
    data, counts = build_workbook(
        ROWS, Q, run_id="run-1", code_version="abc", history=HISTORY, risk_changes=RISK, top10=TOP10
    )
    assert counts["Time series"] == len(QUARTERS) and counts["Definitions"] == len(
        catalogue().entries
    )
    return openpyxl.load_workbook(io.BytesIO(data))


def _find(ws, column: int, value):
    return next(r for r in ws.iter_rows(min_row=5) if r[column].value == value)


def test_sheets_follow_the_pack(wb):
    assert wb.sheetnames == [
        "Contents",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "Q5",
        "Time series",
        "Risk score changes",
        "Top 10",
        "Definitions",
    ]
    # within a question sheet, the catalogue's order: Q1.1 before Q1.2 before Q1.3
    kpis = [r[0].value for r in wb["Q1"].iter_rows(min_row=5) if r[0].value]
    assert kpis == sorted(kpis)


def test_time_series_has_every_quarter_since_inception_for_disruptions(wb):
    ws = wb["Time series"]
    header = [c.value for c in ws[4]]
    column = next(
        i
        for i, h in enumerate(header)
        if h and h.startswith("Q1.3") and "toex" in h and "non_toex" not in h
    )
    quarters = [r[0].value for r in ws.iter_rows(min_row=5) if r[0].value]
    assert (
        quarters[0] == "2021-22 Q1"
        and quarters[-1] == "2025-26 Q1"
        and len(quarters) == len(QUARTERS) == 17
    )
    values = [r[column].value for r in ws.iter_rows(min_row=5, max_row=4 + len(quarters))]
    assert values == [10 + i for i in range(17)]
    assert ws["B5"].number_format == "dd/mm/yyyy" and ws["B5"].value.date() == date(2021, 4, 1)
    assert ws.freeze_panes == "B5"


def test_number_formats_by_unit_and_uk_dates(wb):
    q1 = wb["Q1"]
    p_value = _find(q1, 1, "score_change_p_value")
    assert p_value[6].number_format == "0.000" and p_value[7].value == "p_value"
    assert _find(q1, 1, "exploitation_share")[6].number_format == "0.0%"
    assert _find(wb["Q4"], 1, "warehouse_bytes")[6].number_format == '#,##0.0,, "MB"'
    fy = next(r for r in q1.iter_rows(min_row=5) if r[3].value == "FY 2024-25")
    assert fy[10].number_format == "dd/mm/yyyy" and fy[10].value.date() == date(2024, 4, 1)
    assert q1.freeze_panes == "E5"  # KPI, measure, label and period stay in view
    referrals = _find(q1, 1, "safeguarding_referrals")
    assert referrals[2].value == "Safeguarding referrals"
    assert referrals[8].value == catalogue().entry("Q1.1", "safeguarding_referrals").population


def test_detail_sheets(wb):
    risk = wb["Risk score changes"]
    assert [c.value for c in risk[5]][:2] == ["OP-1", "CSA"] and risk["F5"].value == -434
    assert risk["C5"].number_format == "dd/mm/yyyy"
    assert wb["Top 10"]["D5"].value == "OP-1"


def test_definitions_sheet_is_the_catalogue(wb):
    ws = wb["Definitions"]
    rows = [
        [c.value for c in r] for r in ws.iter_rows(min_row=5, max_row=4 + len(catalogue().entries))
    ]
    assert len(rows) == len(catalogue().entries)
    assert all(r[3] and r[4] and r[5] and r[6] for r in rows)  # label, definition, population, unit
    by_key = {(r[0], r[1], r[2]): r for r in rows}
    assert (
        by_key[("Q1.3", "disruptions", "threat_type")][5] == "TOEX-involved moderated disruptions"
    )
    assert by_key[("Q1.3", "disruptions", "involvement")][5].startswith("All moderated disruptions")
    assert by_key[("Q1.4", "safeguarding_referrals", "all")][8] == "Q1.1 safeguarding_referrals"
    assert by_key[("Q1.2", "score_change_p_value", "all")][6] == "p_value"


def test_detail_cells_of_every_kind_read_back():
    """The detail sheets' values as XlsxWriter writes them, read back with openpyxl: numbers
    unrounded in the column's format, text inert and whole up to Excel's limit, dates UK."""
    odd = {
        "operation_ref": '=HYPERLINK("http://x","y")',
        "threat_type": "  padded <&> \x07",
        "assessment_date": date(2025, 5, 2),
        "previous_score": 0.8207739307535642,
        "risk_score": float("nan"),
        "score_change": True,
        "previous_ori": None,
        "ori": 1234567890123456,
    }
    other = {**odd, "operation_ref": "x" * 40_000, "assessment_date": "n/a", "ori": "#N/A"}
    data, _ = build_workbook([], Q, run_id="r", code_version="c", risk_changes=Detail([odd, other]))
    ws = openpyxl.load_workbook(io.BytesIO(data))["Risk score changes"]
    a, b = ws[5], ws[6]
    assert a[0].value == '\'=HYPERLINK("http://x","y")' and a[0].data_type == "s"
    assert a[1].value == "  padded <&> "  # the control character dropped, spaces kept
    assert a[2].value.date() == date(2025, 5, 2) and a[2].number_format == "dd/mm/yyyy"
    # unrounded: 16 significant digits are stored (%.16G, as openpyxl wrote them too)
    assert a[3].value == 0.8207739307535642 and a[3].number_format == "#,##0"
    # NaN shown as the constant error #NUM! (XlsxWriter writes it as that formula), not refused
    assert a[4].value == "=#NUM!"
    assert a[5].value == "True" and a[5].data_type == "s"  # a bool is text, as before
    assert a[6].value is None  # an empty cell, as before
    assert a[7].value == 1234567890123456
    assert b[0].value == "x" * 32_767  # Excel's limit for a cell's text
    assert b[2].value == "n/a" and b[2].number_format == "dd/mm/yyyy"
    assert b[7].value == "#N/A" and b[7].data_type == "s"  # text, not an error value
    assert ws.freeze_panes == "C5" and ws.auto_filter.ref == "A4:H6"

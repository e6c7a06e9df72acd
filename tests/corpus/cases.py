"""The corpus of bad deliveries: each case is a delivery (files) and its expected outcome.

Outcomes: `loaded` (file used; `quarantined` rows each name file, row and rule), `rejected`
(the whole file refused with a message naming file and rule; the previous version kept),
`ignored` (an entry of the delivery folder that is not an extract file), `delivery_error`
(the delivery as a whole is refused before anything is landed).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

OPS_HEADER = "operation_ref,team,owning_force,opened_date,closed_date,soc_master_list\n"
OPS_GOOD = OPS_HEADER + "TARIAN Op 49,TARIAN,South Wales,2023-01-05,,Y\nLONDON Op 35,LONDON,Metropolitan Police,2022-06-01,,N\n"
DIS_HEADER = ("disruption_id,operation_ref,disruption_date,threat_type,impact,moderation_status,moderated_date,"
              "toex_involved,technical_tool,description\n")
DIS_OK = "D1,TARIAN Op 49,2025-05-01,MSHT,major,moderated,2025-05-20,Y,,Arrests made\n"
ASSESS_HEADER = "assessment_id,operation_ref,threat_type,assessment_date,risk_score,ori\n"
TOOL_HEADER = "month,tool,organisation,active_users,jobs,units,unit_type\n"
JOBS_HEADER = "job_id,operation_ref,team,origin,support_level,allocated_date,closed_date,status\n"


def _xlsx(rows: list[list], merge: str | None = None, extra_sheets: int = 0) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    for i in range(extra_sheets):
        wb.create_sheet(f"Notes {i + 1}").append(["not data"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class Case:
    name: str
    files: dict[str, bytes | str]
    extract: str  # the extract whose outcome is checked
    outcome: str  # loaded | rejected | ignored | delivery_error
    message: str = ""  # expected in the rejection / every quarantine reason / the ignore note
    accepted: int | None = None
    quarantined: int = 0
    collapsed: int = 0
    rows: list[int] = field(default_factory=list)  # quarantined row numbers


def _dis(*rows: str) -> dict[str, str]:
    return {"operations.csv": OPS_GOOD, "disruptions.csv": DIS_HEADER + "".join(rows)}


CASES = [
    Case("missing_required_column", {"operations.csv": "operation_ref,team,opened_date,soc_master_list\nTARIAN Op 1,TARIAN,2023-01-01,Y\n"},
         "operations", "rejected", "operations.csv: missing required column owning_force"),
    Case("unknown_extra_column", {"operations.csv": OPS_HEADER.strip() + ",secret_notes\nTARIAN Op 49,TARIAN,South Wales,2023-01-05,,Y,x\n"},
         "operations", "loaded", accepted=1),
    Case("empty_file", {"operations.csv": b""}, "operations", "rejected", "operations.csv: empty file"),
    Case("header_only", {"operations.csv": OPS_HEADER}, "operations", "loaded", accepted=0),
    Case("truncated_last_row", _dis(DIS_OK, "D2,TARIAN Op 49,2025-05-01,MSHT"), "disruptions", "loaded",
         "MISSING COLUMNS", accepted=1, quarantined=1, rows=[2]),
    Case("unbalanced_quotes", _dis(DIS_OK, 'D2,TARIAN Op 49,2025-05-01,MSHT,major,moderated,2025-05-20,Y,,"never closed\n'),
         "disruptions", "loaded", "unterminated quote", accepted=1, quarantined=1, rows=[2]),
    Case("windows_1252", {"operations.csv": OPS_GOOD, "disruptions.csv": (DIS_HEADER + DIS_OK.replace("Arrests made", "Caf\xe9 \u2013 \u201cbrothel\u201d")).encode("cp1252")},
         "disruptions", "loaded", accepted=1),
    Case("utf8_bom", {"operations.csv": b"\xef\xbb\xbf" + OPS_GOOD.encode()}, "operations", "loaded", accepted=2),
    Case("mixed_iso_and_uk_dates", _dis(DIS_OK, "D2,TARIAN Op 49,01/05/2025,MSHT,major,moderated,20/05/2025,Y,,\n"),
         "disruptions", "loaded", accepted=2),
    Case("impossible_date", _dis(DIS_OK, "D2,TARIAN Op 49,31/02/2025,MSHT,major,awaiting,,Y,,\n"),
         "disruptions", "loaded", "disruption_date: '31/02/2025' is not a valid date", accepted=1, quarantined=1, rows=[2]),
    Case("date_far_in_future", _dis(DIS_OK, "D2,TARIAN Op 49,2205-05-01,MSHT,major,awaiting,,Y,,\n"),
         "disruptions", "loaded", "outside the plausible range", accepted=1, quarantined=1, rows=[2]),
    Case("non_numeric_in_numeric", {"operations.csv": OPS_GOOD, "morile_assessments.csv": ASSESS_HEADER + "A1,TARIAN Op 49,MSHT,2025-01-01,high,3\n"},
         "morile_assessments", "loaded", "risk_score: 'high' is not a valid integer", accepted=0, quarantined=1, rows=[1]),
    Case("negative_count", {"tool_usage.csv": TOOL_HEADER + "2025-04,Translation,Kent,-3,10,500,words\n"},
         "tool_usage", "loaded", "active_users: -3 below the minimum 0", accepted=0, quarantined=1, rows=[1]),
    Case("ori_zero", {"operations.csv": OPS_GOOD, "morile_assessments.csv": ASSESS_HEADER + "A1,TARIAN Op 49,MSHT,2025-01-01,300,0\n"},
         "morile_assessments", "loaded", "ori: 0 below the minimum 1", accepted=0, quarantined=1, rows=[1]),
    Case("ori_six", {"operations.csv": OPS_GOOD, "morile_assessments.csv": ASSESS_HEADER + "A1,TARIAN Op 49,MSHT,2025-01-01,300,6\n"},
         "morile_assessments", "loaded", "ori: 6 above the maximum 5", accepted=0, quarantined=1, rows=[1]),
    Case("unknown_code_value", _dis("D1,TARIAN Op 49,2025-05-01,Burglary,major,awaiting,,Y,,\n"),
         "disruptions", "loaded", "threat_type: 'Burglary' not in code list threat_type", accepted=0, quarantined=1, rows=[1]),
    Case("code_value_wrong_case_and_spaces", _dis("D1,TARIAN Op 49,2025-05-01, msht ,MAJOR, Moderated ,2025-05-20,yes,dart,\n"),
         "disruptions", "loaded", accepted=1),
    Case("orphan_operation_ref", _dis("D1,TARIAN Op 999,2025-05-01,MSHT,major,awaiting,,Y,,\n"),
         "disruptions", "loaded", "operation_ref: 'TARIAN Op 999' not found in operations.operation_ref", accepted=0, quarantined=1, rows=[1]),
    Case("conflicting_duplicate_keys", _dis(DIS_OK, DIS_OK.replace("major", "minor")),
         "disruptions", "loaded", "conflicting duplicate key (disruption_id): rows 1, 2 differ", accepted=0, quarantined=2, rows=[1, 2]),
    Case("exact_duplicate_rows", _dis(DIS_OK, DIS_OK, DIS_OK), "disruptions", "loaded", accepted=1, collapsed=2),
    Case("ten_megabyte_free_text", _dis(DIS_OK.replace("Arrests made", "x" * 10_000_000)),
         "disruptions", "loaded", "description: longer than 100000 characters (10000000)", accepted=0, quarantined=1, rows=[1]),
    Case("binary_garbage_csv", {"operations.csv": bytes(range(256)) * 64}, "operations", "rejected", "operations.csv: binary content"),
    Case("xlsx_several_sheets_merged_header",
         {"costs.xlsx": _xlsx([["month", "cost_centre", "category", "amount_gbp", ""], ["2025-04", "CE", "licences", 10, 5]],
                              merge="D1:E1", extra_sheets=2)},
         "costs", "loaded", accepted=1),
    Case("xlsx_title_row_above_header",
         {"costs.xlsx": _xlsx([["TOEX costs 2025", None, None, None], ["month", "cost_centre", "category", "amount_gbp"],
                               ["2025-04", "CE", "licences", 10]], merge="A1:D1")},
         "costs", "rejected", "costs.xlsx: missing required columns month, cost_centre, category, amount_gbp"),
    Case("xlsx_not_a_workbook", {"costs.xlsx": "month,cost_centre\n"}, "costs", "rejected", "costs.xlsx: not a readable .xlsx workbook"),
    Case("symlink_escaping_the_delivery", {"operations.csv": OPS_GOOD, "costs.csv": "->/etc/passwd"}, "costs", "ignored",
         "'costs.csv': not a regular file with a safe name"),
    Case("dot_dot_file_name", {"operations.csv": OPS_GOOD, "..operations.csv": OPS_GOOD}, "operations", "ignored",
         "'..operations.csv'"),
    Case("unexpected_file", {"operations.csv": OPS_GOOD, "passwords.txt": "hunter2"}, "operations", "ignored",
         "'passwords.txt': not an extract of the contract"),
    Case("formula_payloads_in_free_text",
         _dis(DIS_OK.replace("Arrests made", '"=HYPERLINK(""http://evil.example"",""click"")"'),
              "D2,TARIAN Op 49,2025-05-02,MSHT,major,moderated,2025-05-20,Y,,+cmd|' /C calc'!A0\n",
              "D3,TARIAN Op 49,2025-05-03,MSHT,major,moderated,2025-05-20,Y,,@SUM(1+1)*cmd\n"),
         "disruptions", "loaded", accepted=3),
    Case("blank_required_value", _dis("D1,,2025-05-01,MSHT,major,awaiting,,Y,,\n"), "disruptions", "loaded",
         "operation_ref: required value missing", accepted=0, quarantined=1, rows=[1]),
    Case("required_when_missing", _dis("D1,TARIAN Op 49,2025-05-01,MSHT,major,moderated,,Y,,\n"), "disruptions", "loaded",
         "moderated_date: required when moderation_status is moderated", accepted=0, quarantined=1, rows=[1]),
    Case("closed_before_opened", {"operations.csv": OPS_HEADER + "TARIAN Op 1,TARIAN,Gwent,2023-01-05,2022-01-05,Y\n"},
         "operations", "loaded", "closed_date: before opened_date", accepted=0, quarantined=1, rows=[1]),
    Case("invalid_boolean", {"operations.csv": OPS_HEADER + "TARIAN Op 1,TARIAN,Gwent,2023-01-05,,maybe\n"},
         "operations", "loaded", "soc_master_list: 'maybe' is not a valid bool", accepted=0, quarantined=1, rows=[1]),
    Case("duplicate_header_column", {"operations.csv": OPS_HEADER.strip() + ",Team\nTARIAN Op 1,TARIAN,Gwent,2023-01-05,,Y,X\n"},
         "operations", "rejected", "operations.csv: column 'Team' appears twice"),
    Case("nan_and_infinity", {"tool_usage.csv": TOOL_HEADER + "2025-04,Translation,Kent,3,10,NaN,words\n2025-04,DART,Kent,3,10,inf,searches\n"},
         "tool_usage", "loaded", "units: ", accepted=0, quarantined=2, rows=[1, 2]),
    Case("two_files_for_one_extract", {"operations.csv": OPS_GOOD, "operations.xlsx": _xlsx([["operation_ref"]])},
         "operations", "delivery_error", "two files for extract 'operations'"),
    Case("header_case_and_whitespace", {"operations.csv": " Operation_REF ,TEAM,owning_force , Opened_Date,closed_date,SOC_Master_List\n"
                                        "TARIAN Op 49,TARIAN,South Wales,2023-01-05,,Y\n"}, "operations", "loaded", accepted=1),
]

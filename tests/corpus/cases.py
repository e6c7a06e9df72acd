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
OPS_GOOD = (
    OPS_HEADER + "TARIAN Op 49,TARIAN,South Wales,2023-01-05,,Y\n"
    "LONDON Op 35,LONDON,Metropolitan Police,2022-06-01,,N\n"
)
DIS_HEADER = (
    "disruption_id,operation_ref,disruption_date,threat_type,impact,moderation_status,moderated_date,"
    "toex_involved,technical_tool,description\n"
)
DIS_OK = "D1,TARIAN Op 49,2025-05-01,MSHT,major,moderated,2025-05-20,Y,,Arrests made\n"
ASSESS_HEADER = "assessment_id,operation_ref,threat_type,assessment_date,risk_score,ori\n"
TOOL_HEADER = "month,tool,organisation,active_users,jobs,units,unit_type\n"
JOBS_HEADER = "job_id,operation_ref,team,origin,support_level,allocated_date,closed_date,status\n"


def _xlsx(
    rows: list[list],
    merge: str | None = None,
    extra_sheets: int = 0,
    hidden_first: list[list] | None = None,
) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    if merge:
        ws.merge_cells(merge)
    for i in range(extra_sheets):
        wb.create_sheet(f"Notes {i + 1}").append(["not data"])
    if hidden_first is not None:  # an old version kept, hidden, in front of the real sheet
        old = wb.create_sheet("Old (do not use)", 0)
        for r in hidden_first:
            old.append(r)
        old.sheet_state = "hidden"
        wb.active = 1
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
    max_line_bytes: int | None = (
        None  # the reader's record limit for this case (to test it without 200 MB)
    )


def _dis(*rows: str) -> dict[str, str]:
    return {"operations.csv": OPS_GOOD, "disruptions.csv": DIS_HEADER + "".join(rows)}


def _dis_ok(n: int, first: int = 1) -> list[str]:
    return [DIS_OK.replace("D1,", f"D{i},", 1) for i in range(first, first + n)]


HR_HEADER = ["snapshot_date", "position_id", "team", "role_title", "status", "recruitment_stage"]
COSTS_HEADER = ["month", "cost_centre", "category", "amount_gbp"]


CASES = [
    Case(
        "missing_required_column",
        {
            "operations.csv": "operation_ref,team,opened_date,soc_master_list\n"
            "TARIAN Op 1,TARIAN,2023-01-01,Y\n"
        },
        "operations",
        "rejected",
        "operations.csv: missing required column owning_force",
    ),
    Case(
        "unknown_extra_column",
        {
            "operations.csv": OPS_HEADER.strip()
            + ",secret_notes\nTARIAN Op 49,TARIAN,South Wales,2023-01-05,,Y,x\n"
        },
        "operations",
        "loaded",
        accepted=1,
    ),
    Case(
        "empty_file",
        {"operations.csv": b""},
        "operations",
        "rejected",
        "operations.csv: empty file",
    ),
    Case("header_only", {"operations.csv": OPS_HEADER}, "operations", "loaded", accepted=0),
    Case(
        "truncated_last_row",
        _dis(DIS_OK, "D2,TARIAN Op 49,2025-05-01,MSHT"),
        "disruptions",
        "loaded",
        "MISSING COLUMNS",
        accepted=1,
        quarantined=1,
        rows=[2],
    ),
    Case(
        "unbalanced_quotes",
        _dis(
            DIS_OK, 'D2,TARIAN Op 49,2025-05-01,MSHT,major,moderated,2025-05-20,Y,,"never closed\n'
        ),
        "disruptions",
        "loaded",
        "unterminated quote",
        accepted=1,
        quarantined=1,
        rows=[2],
    ),
    Case(
        "windows_1252",
        {
            "operations.csv": OPS_GOOD,
            "disruptions.csv": (
                DIS_HEADER + DIS_OK.replace("Arrests made", "Caf\xe9 \u2013 \u201cbrothel\u201d")
            ).encode("cp1252"),
        },
        "disruptions",
        "loaded",
        accepted=1,
    ),
    Case(
        "utf8_bom",
        {"operations.csv": b"\xef\xbb\xbf" + OPS_GOOD.encode()},
        "operations",
        "loaded",
        accepted=2,
    ),
    Case(
        "mixed_iso_and_uk_dates",
        _dis(DIS_OK, "D2,TARIAN Op 49,01/05/2025,MSHT,major,moderated,20/05/2025,Y,,\n"),
        "disruptions",
        "loaded",
        accepted=2,
    ),
    Case(
        "impossible_date",
        _dis(DIS_OK, "D2,TARIAN Op 49,31/02/2025,MSHT,major,awaiting,,Y,,\n"),
        "disruptions",
        "loaded",
        "disruption_date: '31/02/2025' is not a valid date",
        accepted=1,
        quarantined=1,
        rows=[2],
    ),
    Case(
        "date_far_in_future",
        _dis(DIS_OK, "D2,TARIAN Op 49,2205-05-01,MSHT,major,awaiting,,Y,,\n"),
        "disruptions",
        "loaded",
        "outside the plausible range",
        accepted=1,
        quarantined=1,
        rows=[2],
    ),
    Case(
        "non_numeric_in_numeric",
        {
            "operations.csv": OPS_GOOD,
            "morile_assessments.csv": ASSESS_HEADER + "A1,TARIAN Op 49,MSHT,2025-01-01,high,3\n",
        },
        "morile_assessments",
        "loaded",
        "risk_score: 'high' is not a valid integer",
        accepted=0,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "negative_count",
        {"tool_usage.csv": TOOL_HEADER + "2025-04,Translation,Kent,-3,10,500,words\n"},
        "tool_usage",
        "loaded",
        "active_users: -3 below the minimum 0",
        accepted=0,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "ori_zero",
        {
            "operations.csv": OPS_GOOD,
            "morile_assessments.csv": ASSESS_HEADER + "A1,TARIAN Op 49,MSHT,2025-01-01,300,0\n",
        },
        "morile_assessments",
        "loaded",
        "ori: 0 below the minimum 1",
        accepted=0,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "ori_six",
        {
            "operations.csv": OPS_GOOD,
            "morile_assessments.csv": ASSESS_HEADER + "A1,TARIAN Op 49,MSHT,2025-01-01,300,6\n",
        },
        "morile_assessments",
        "loaded",
        "ori: 6 above the maximum 5",
        accepted=0,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "unknown_code_value",
        _dis("D1,TARIAN Op 49,2025-05-01,Burglary,major,awaiting,,Y,,\n"),
        "disruptions",
        "loaded",
        "threat_type: 'Burglary' not in code list threat_type",
        accepted=0,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "code_value_wrong_case_and_spaces",
        _dis("D1,TARIAN Op 49,2025-05-01, msht ,MAJOR, Moderated ,2025-05-20,yes,dart,\n"),
        "disruptions",
        "loaded",
        accepted=1,
    ),
    Case(
        "orphan_operation_ref",
        _dis("D1,TARIAN Op 999,2025-05-01,MSHT,major,awaiting,,Y,,\n"),
        "disruptions",
        "loaded",
        "operation_ref: 'TARIAN Op 999' not found in operations.operation_ref",
        accepted=0,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "conflicting_duplicate_keys",
        _dis(DIS_OK, DIS_OK.replace("major", "minor")),
        "disruptions",
        "loaded",
        "conflicting duplicate key (disruption_id): rows 1, 2 differ",
        accepted=0,
        quarantined=2,
        rows=[1, 2],
    ),
    Case(
        "exact_duplicate_rows",
        _dis(DIS_OK, DIS_OK, DIS_OK),
        "disruptions",
        "loaded",
        accepted=1,
        collapsed=2,
    ),
    Case(
        "ten_megabyte_free_text",
        _dis(DIS_OK.replace("Arrests made", "x" * 10_000_000)),
        "disruptions",
        "loaded",
        "description: longer than 100000 characters (10000000)",
        accepted=0,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "binary_garbage_csv",
        {"operations.csv": bytes(range(256)) * 64},
        "operations",
        "rejected",
        "operations.csv: binary content",
    ),
    Case(
        "xlsx_several_sheets_merged_header",
        {
            "costs.xlsx": _xlsx(
                [
                    ["month", "cost_centre", "category", "amount_gbp", ""],
                    ["2025-04", "CE", "licences", 10, 5],
                ],
                merge="D1:E1",
                extra_sheets=2,
            )
        },
        "costs",
        "loaded",
        accepted=1,
    ),
    Case(
        "xlsx_title_row_above_header",
        {
            "costs.xlsx": _xlsx(
                [
                    ["TOEX costs 2025", None, None, None],
                    ["month", "cost_centre", "category", "amount_gbp"],
                    ["2025-04", "CE", "licences", 10],
                ],
                merge="A1:D1",
            )
        },
        "costs",
        "rejected",
        "costs.xlsx: missing required columns month, cost_centre, category, amount_gbp",
    ),
    Case(
        "xlsx_not_a_workbook",
        {"costs.xlsx": "month,cost_centre\n"},
        "costs",
        "rejected",
        "costs.xlsx: not a readable .xlsx workbook",
    ),
    Case(
        "symlink_escaping_the_delivery",
        {"operations.csv": OPS_GOOD, "costs.csv": "->/etc/passwd"},
        "costs",
        "ignored",
        "'costs.csv': not a regular file with a safe name",
    ),
    Case(
        "dot_dot_file_name",
        {"operations.csv": OPS_GOOD, "..operations.csv": OPS_GOOD},
        "operations",
        "ignored",
        "'..operations.csv'",
    ),
    Case(
        "unexpected_file",
        {"operations.csv": OPS_GOOD, "passwords.txt": "hunter2"},
        "operations",
        "ignored",
        "'passwords.txt': not an extract of the contract",
    ),
    Case(
        "formula_payloads_in_free_text",
        _dis(
            DIS_OK.replace("Arrests made", '"=HYPERLINK(""http://evil.example"",""click"")"'),
            "D2,TARIAN Op 49,2025-05-02,MSHT,major,moderated,2025-05-20,Y,,+cmd|' /C calc'!A0\n",
            "D3,TARIAN Op 49,2025-05-03,MSHT,major,moderated,2025-05-20,Y,,@SUM(1+1)*cmd\n",
        ),
        "disruptions",
        "loaded",
        accepted=3,
    ),
    Case(
        "blank_required_value",
        _dis("D1,,2025-05-01,MSHT,major,awaiting,,Y,,\n"),
        "disruptions",
        "loaded",
        "operation_ref: required value missing",
        accepted=0,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "required_when_missing",
        _dis("D1,TARIAN Op 49,2025-05-01,MSHT,major,moderated,,Y,,\n"),
        "disruptions",
        "loaded",
        "moderated_date: required when moderation_status is moderated",
        accepted=0,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "closed_before_opened",
        {"operations.csv": OPS_HEADER + "TARIAN Op 1,TARIAN,Gwent,2023-01-05,2022-01-05,Y\n"},
        "operations",
        "loaded",
        "closed_date: before opened_date",
        accepted=0,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "invalid_boolean",
        {"operations.csv": OPS_HEADER + "TARIAN Op 1,TARIAN,Gwent,2023-01-05,,maybe\n"},
        "operations",
        "loaded",
        "soc_master_list: 'maybe' is not a valid bool",
        accepted=0,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "duplicate_header_column",
        {
            "operations.csv": OPS_HEADER.strip()
            + ",Team\nTARIAN Op 1,TARIAN,Gwent,2023-01-05,,Y,X\n"
        },
        "operations",
        "rejected",
        "operations.csv: column 'Team' appears twice",
    ),
    Case(
        "nan_and_infinity",
        {
            "tool_usage.csv": TOOL_HEADER
            + "2025-04,Translation,Kent,3,10,NaN,words\n2025-04,DART,Kent,3,10,inf,searches\n"
        },
        "tool_usage",
        "loaded",
        "units: ",
        accepted=0,
        quarantined=2,
        rows=[1, 2],
    ),
    Case(
        "two_files_for_one_extract",
        {"operations.csv": OPS_GOOD, "operations.xlsx": _xlsx([["operation_ref"]])},
        "operations",
        "delivery_error",
        "two files for extract 'operations'",
    ),
    Case(
        "header_case_and_whitespace",
        {
            "operations.csv": " Operation_REF ,TEAM,owning_force , Opened_Date,"
            "closed_date,SOC_Master_List\n"
            "TARIAN Op 49,TARIAN,South Wales,2023-01-05,,Y\n"
        },
        "operations",
        "loaded",
        accepted=1,
    ),
    # --- issue 12, "figures changed silently": each was exit 0 with rows lost or changed.
    # A stray quote (after a space, so not a field start): the parser swallowed every later row
    # into one reject; the independent count of the bytes sees the rows and the file is refused
    # naming the row.
    Case(
        "stray_quote_swallows_the_rest",
        _dis(
            *_dis_ok(3),
            DIS_OK.replace("D1,", "D4,").rstrip("\n") + ', "Viper op closed\n',
            *_dis_ok(4, first=5),
        ),
        "disruptions",
        "rejected",
        "disruptions.csv: the CSV reader read 4 rows (3 parsed + 1 unparseable) but the "
        "file holds 8; row 4 holds a quote where none may be",
    ),
    Case(
        "quote_opened_never_closed",
        _dis(
            *_dis_ok(2),
            DIS_OK.replace("D1,", "D3,").replace("Arrests made", '"Viper op closed'),
            *_dis_ok(3, first=4),
        ),
        "disruptions",
        "rejected",
        "disruptions.csv: row 3: a quoted field opened there never closes, so the 3 line(s)",
    ),
    Case(
        "truncated_inside_a_quoted_field",
        _dis(
            *_dis_ok(2),
            DIS_OK.replace("D1,", "D3,").replace("Arrests made\n", '"Arrests made\nand'),
        ),
        "disruptions",
        "rejected",
        "disruptions.csv: row 3: a quoted field opened there never closes",
    ),
    Case(
        "unreadable_record_over_two_lines",
        _dis(DIS_OK, 'D2,TARIAN Op 49,2025-05-01,"MSHT\nmore",major\n', *_dis_ok(1, first=3)),
        "disruptions",
        "rejected",
        "disruptions.csv: row 2: an unreadable record runs over 2 lines",
    ),
    # Over the reader's record limit (64 MB in production; 1 MB here so the case stays small): the
    # parser drops such a record and files its reject against the row before it.
    Case(
        "record_over_the_line_limit",
        _dis(
            DIS_OK,
            *_dis_ok(1, first=2),
            DIS_OK.replace("D1,", "D3,").replace("Arrests made", '"' + "x" * 3_000_000 + '"'),
            *_dis_ok(2, first=4),
        ),
        "disruptions",
        "rejected",
        "disruptions.csv: row 3 is 3,000,0",
        max_line_bytes=1 << 20,
    ),
    Case(
        "non_whole_numbers_in_integer_columns",
        {
            "operations.csv": OPS_GOOD,
            "morile_assessments.csv": ASSESS_HEADER + "A1,TARIAN Op 49,MSHT,2025-01-01,1234.5,3\n"
            "A2,TARIAN Op 49,MSHT,2025-01-01,2.5,3\nA3,TARIAN Op 49,MSHT,2025-01-01,300,0x10\n"
            "A4,TARIAN Op 49,MSHT,2025-01-01,1e3,2\n"
            'A5,TARIAN Op 49,MSHT,2025-01-01,"1,234",2\nA6,TARIAN Op 49,MSHT,2025-01-01,\'300,2\n',
        },
        "morile_assessments",
        "loaded",
        "is not a valid integer",
        accepted=0,
        quarantined=6,
        rows=[1, 2, 3, 4, 5, 6],
    ),
    Case(
        "zero_fraction_is_a_whole_number",
        {
            "operations.csv": OPS_GOOD,
            "morile_assessments.csv": ASSESS_HEADER
            + "A1,TARIAN Op 49,MSHT,2025-01-01,300.0,3.00\n",
        },
        "morile_assessments",
        "loaded",
        accepted=1,
    ),
    Case(
        "spreadsheet_numbers",
        {
            "tool_usage.csv": TOOL_HEADER + '2025-04,Translation,Kent,3,10,"1,234",words\n'
            "2025-04,DART,Kent,3,10,£12,searches\n2025-04,Data Fusion,Kent,3,10,0x10,jobs\n"
            "2025-04,Translation,Essex,3,10,'12,words\n2025-05,Translation,Kent,3,10,1.5e3,words\n"
        },
        "tool_usage",
        "loaded",
        "units: ",
        accepted=1,
        quarantined=4,
        rows=[1, 2, 3, 4],
    ),
    Case(
        "excel_serial_and_datetime_dates",
        _dis(
            "D1,TARIAN Op 49,45778,MSHT,major,awaiting,,Y,,\n",
            "D2,TARIAN Op 49,2025-05-01 00:00:00,MSHT,major,awaiting,,Y,,\n",
        ),
        "disruptions",
        "loaded",
        "disruption_date: ",
        accepted=0,
        quarantined=2,
        rows=[1, 2],
    ),
    Case(
        "xlsx_hidden_first_sheet",
        {
            "costs.xlsx": _xlsx(
                [COSTS_HEADER, ["2025-04", "CE", "licences", 10]],
                hidden_first=[
                    COSTS_HEADER,
                    ["2025-04", "CE", "licences", 100],
                    ["2025-04", "DP", "licences", 200],
                ],
            )
        },
        "costs",
        "loaded",
        accepted=1,
    ),
    Case(
        "xlsx_formula_without_cached_value",
        {
            "hr_positions.xlsx": _xlsx(
                [
                    HR_HEADER,
                    ["2025-06-30", "P1", "TARIAN", "Analyst", "in_progress", '="interview"'],
                    ["2025-06-30", "P2", "TARIAN", "Analyst", "in_progress", "interview"],
                ]
            )
        },
        "hr_positions",
        "loaded",
        "recruitment_stage: formula '=\"interview\"' has no cached value",
        accepted=1,
        quarantined=1,
        rows=[1],
    ),
    Case(
        "zero_width_and_no_break_space_in_headers",
        {
            "operations.csv": "\ufeffoperation_ref,\u00a0team,owning_force\u200b,opened_date,"
            "closed_date\u2060,soc_master_list\n"
            "TARIAN Op 49,TARIAN,South Wales,2023-01-05,,Y\n"
        },
        "operations",
        "loaded",
        accepted=1,
    ),
    Case(
        "xlsx_truncated",
        {"costs.xlsx": _xlsx([COSTS_HEADER, ["2025-04", "CE", "licences", 10]])[:-200]},
        "costs",
        "rejected",
        "costs.xlsx: not a readable .xlsx workbook",
    ),
    Case("empty_delivery_folder", {}, "operations", "delivery_error", "holds no extract file"),
    Case(
        "delivery_of_only_a_zip",
        {"extracts.zip": b"PK\x03\x04"},
        "operations",
        "delivery_error",
        "holds no extract file (<extract>.csv|.xlsx); it holds only 'extracts.zip'",
    ),
]

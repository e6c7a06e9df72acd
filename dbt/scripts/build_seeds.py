"""Regenerate the dbt files that mirror the extract contract (`dagster_project/contracts/`).

    .venv/bin/python dbt/scripts/build_seeds.py          # rewrite them
    .venv/bin/python dbt/scripts/build_seeds.py --check  # exit 1 if any is stale

`seeds/force_teams.csv` is `code_lists.yml`'s force -> team map; `seeds/code_values.csv`
holds every closed code list (shared lists by name, per-column `values` lists as
`<extract>.<column>`) plus the platform's own `involvement` list. KPI models zero-fill
their breakdowns from it. `models/staging/_sources.yml` declares source `raw` (one table per
extract, the contract's title, column descriptions and warehouse types, unique/not_null on a
one-column key as one `model_rules` test) and source `ops`. The staging models cast each column
to its `data_type` there (macro `stage_source`), so a column's type is written once, in its
contract.
`seeds/kpi_catalogue_entries.csv` is `catalogue/kpi_catalogue.yml`, one row per (kpi_id,
measure, breakdown). `tests/dbt/test_dbt_seeds.py` runs the check.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project root

import yaml

from dagster_project.contract import code_lists, contracts, force_team
from dagster_project.kpi_catalogue import catalogue_csv

DBT_DIR = Path(__file__).resolve().parent.parent

# Lists the platform adds: not in any extract, but used as a breakdown.
PLATFORM_LISTS = {"involvement": ("toex", "non_toex")}
# Code lists of the contract that KPI breakdowns use.
SHARED_LISTS = (
    "team",
    "force",
    "threat_type",
    "exploitation_threat_type",
    "soc_exploitation_threat_type",
    "sub_threat",
    "tool",
    "likert",
    "cost_centre",
)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def force_teams_csv() -> str:
    rows = [
        [force, team or "", "true" if team else "false"] for force, team in force_team().items()
    ]
    return _csv(["force", "team", "is_territorial"], rows)


def code_values_csv() -> str:
    lists = code_lists()
    rows: list[list[str]] = []
    for name in SHARED_LISTS:
        rows += [[name, v, str(i + 1)] for i, v in enumerate(lists[name])]
    for contract in contracts().values():
        for col in contract.stored_columns:
            if col.allowed and not col.code_list:
                rows += [
                    [f"{contract.extract}.{col.name}", v, str(i + 1)]
                    for i, v in enumerate(col.allowed)
                ]
    for name, values in PLATFORM_LISTS.items():
        rows += [[name, v, str(i + 1)] for i, v in enumerate(values)]
    return _csv(["code_list", "code_value", "sort_order"], rows)


# Columns the ingestion adds to every raw table (dagster_project.contract.raw_table_ddl).
LOAD_COLUMNS = (
    ("_delivery_id", "varchar", "The delivery the row was loaded from."),
    ("_row_number", "bigint", "The row's number in its delivery file."),
)
RAW_DESCRIPTION = (
    "Accepted rows of each source extract, as loaded by the ingestion (typed, trimmed, code lists "
    "canonical, quarantined rows and exact duplicates removed, personal identifiers pseudonymised)."
)
# Written by the Dagster asset ops/platform_usage (dagster_project/defs/kpis.py), not an extract.
OPS_COLUMNS = (
    ("reporting_quarter", "varchar", "e.g. `2025-26 Q1`."),
    (
        "measure",
        "varchar",
        "`warehouse_bytes`, `warehouse_rows` (as_at) or `pipeline_runs` (quarter).",
    ),
    ("period_type", "varchar", "`as_at` or `quarter`."),
    ("period_start", "date", "Start of the period."),
    ("period_end", "date", "End of the period."),
    ("value", "double", "The measured value."),
    ("unit", "varchar", "`bytes` or `count`."),
)


def _column(name: str, data_type: str, description: str) -> dict:
    return {"name": name, "description": description, "data_type": data_type}


OPS_SOURCE = {
    "name": "ops",
    "description": "Operational tables written by Dagster assets (not extracts).",
    "schema": "ops",
    "tables": [
        {
            "name": "platform_usage",
            "description": "Q4.2 usage and storage measured from the warehouse itself and the "
            "Dagster instance, one row per reporting quarter and measure.",
            "columns": [_column(*c) for c in OPS_COLUMNS],
        }
    ],
}


def _raw_table(contract) -> dict:
    system = f" ({contract.source_system})"
    origin = "" if contract.title.endswith(system) else system
    columns = [_column(*c) for c in LOAD_COLUMNS]
    columns += [
        _column(col.name, col.sql_type.lower(), col.description) for col in contract.stored_columns
    ]
    table = {
        "name": contract.extract,
        "description": f"{contract.title}{origin}. Key: {', '.join(contract.key)}.",
        "columns": columns,
    }
    if len(contract.key) == 1:  # one dbt test for both rules (tests/generic/model_rules.sql)
        rules = {"not_null": list(contract.key), "unique": list(contract.key)}
        table["data_tests"] = [
            {"model_rules": {"name": f"raw_{contract.extract}_rules", "arguments": rules}}
        ]
    return table


def sources_yml() -> str:
    raw = {
        "name": "raw",
        "description": RAW_DESCRIPTION,
        "schema": "raw",
        "tables": [_raw_table(c) for _, c in sorted(contracts().items())],
    }
    header = (
        "# Generated from dagster_project/contracts by dbt/scripts/build_seeds.py: do not edit.\n"
    )
    body = yaml.safe_dump(
        {"version": 2, "sources": [raw, OPS_SOURCE]}, sort_keys=False, width=120, allow_unicode=True
    )
    return header + body


EXPECTED = {
    "seeds/force_teams.csv": force_teams_csv,
    "seeds/code_values.csv": code_values_csv,
    "seeds/kpi_catalogue_entries.csv": catalogue_csv,
    "models/staging/_sources.yml": sources_yml,
}


def sync(files: dict[Path, str], argv: list[str], script: str) -> int:
    """Write each file's expected text, or with --check report (exit 1) those that differ."""
    stale = []
    for path, text in files.items():
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print(
            f"stale generated files: {', '.join(stale)}; run dbt/scripts/{script}", file=sys.stderr
        )
        return 1
    return 0


def main(argv: list[str]) -> int:
    return sync(
        {DBT_DIR / name: render() for name, render in EXPECTED.items()}, argv, "build_seeds.py"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

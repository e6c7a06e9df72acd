"""Regenerate the dbt seeds that mirror the extract contract.

    .venv/bin/python dbt/scripts/build_seeds.py          # rewrite the seeds
    .venv/bin/python dbt/scripts/build_seeds.py --check  # exit 1 if they are stale

`seeds/force_teams.csv` is `code_lists.yml`'s force -> team map; `seeds/code_values.csv`
holds every closed code list (shared lists by name, per-column `values` lists as
`<extract>.<column>`) plus the platform's own `involvement` list. KPI models zero-fill
their breakdowns from it. `seeds/kpi_catalogue_entries.csv` is `catalogue/kpi_catalogue.yml`, one row
per (kpi_id, measure, breakdown). `tests/dbt/test_dbt_seeds.py` runs the check.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project root

from dagster_project.contract import code_lists, contracts, force_team
from dagster_project.kpi_catalogue import catalogue_csv

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

# Lists the platform adds: not in any extract, but used as a breakdown.
PLATFORM_LISTS = {"involvement": ("toex", "non_toex")}
# Code lists of the contract that KPI breakdowns use.
SHARED_LISTS = ("team", "force", "threat_type", "exploitation_threat_type",
                "soc_exploitation_threat_type", "sub_threat", "tool", "likert", "cost_centre")


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def force_teams_csv() -> str:
    rows = [[force, team or "", "true" if team else "false"] for force, team in force_team().items()]
    return _csv(["force", "team", "is_territorial"], rows)


def code_values_csv() -> str:
    lists = code_lists()
    rows: list[list[str]] = []
    for name in SHARED_LISTS:
        rows += [[name, v, str(i + 1)] for i, v in enumerate(lists[name])]
    for contract in contracts().values():
        for col in contract.stored_columns:
            if col.allowed and not col.code_list:
                rows += [[f"{contract.extract}.{col.name}", v, str(i + 1)] for i, v in enumerate(col.allowed)]
    for name, values in PLATFORM_LISTS.items():
        rows += [[name, v, str(i + 1)] for i, v in enumerate(values)]
    return _csv(["code_list", "code_value", "sort_order"], rows)


EXPECTED = {"force_teams.csv": force_teams_csv, "code_values.csv": code_values_csv,
            "kpi_catalogue_entries.csv": catalogue_csv}


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
        print(f"stale generated files: {', '.join(stale)}; run dbt/scripts/{script}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    return sync({SEEDS / name: render() for name, render in EXPECTED.items()}, argv, "build_seeds.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

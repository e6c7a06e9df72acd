"""Stubs of dbt's Jinja context for sqlfluff's jinja templater (dbt/.sqlfluff).

sqlfluff renders the models without dbt, so the dbt names the models use are stubbed here
with DuckDB-shaped output. The fiscal calendar macros return values (dbt's `return`), which
plain Jinja cannot, so `fiscal_quarters()` is stubbed too (one quarter, 2025-26 Q1) and
macros/fiscal_calendar.sql is excluded from the macro path. `graph.sources` is read from
models/staging/_sources.yml, so the staging models (macro `stage_source`) are linted as they
compile, column by column.
"""

from pathlib import Path
from types import SimpleNamespace

import yaml

execute = True


def _graph():
    sources_yml = Path(__file__).resolve().parent.parent / "models" / "staging" / "_sources.yml"
    sources = {}
    for src in yaml.safe_load(sources_yml.read_text())["sources"]:
        for table in src["tables"]:
            columns = {c["name"]: c for c in table.get("columns", [])}
            node = {"source_name": src["name"], "name": table["name"], "columns": columns}
            sources[f"source.toex.{src['name']}.{table['name']}"] = node
    return SimpleNamespace(sources=sources)


graph = _graph()


class _Target:
    type = "duckdb"
    schema = "main"
    name = "duckdb"


target = _Target()


def env_var(name, default=None):
    return default if default is not None else ""


def fiscal_quarters():
    months = [
        {"month_start": "2025-04-01", "month_end": "2025-04-30", "month_label": "2025-04"},
        {"month_start": "2025-05-01", "month_end": "2025-05-31", "month_label": "2025-05"},
        {"month_start": "2025-06-01", "month_end": "2025-06-30", "month_label": "2025-06"},
    ]
    return [
        {
            "label": "2025-26 Q1",
            "fy_label": "2025-26",
            "fy_start_year": 2025,
            "quarter_number": 1,
            "quarter_start": "2025-04-01",
            "quarter_end": "2025-06-30",
            "fy_start": "2025-04-01",
            "fy_end": "2026-03-31",
            "months": months,
        }
    ]


def toex_iso_date(y, m, d):
    return f"{y:04d}-{m:02d}-{d:02d}"


def toex_reporting_quarter():
    return "2025-26 Q1"


def date_literal(iso_date):
    return f"cast('{iso_date}' as date)"

"""`dbt build` of the whole project (seeds, models, data tests, unit tests) on an empty raw
layer created from the extract contracts: every model compiles and runs on DuckDB, every
test and unit test passes, kpi_values has the columns of KPIS.md plus period_label and
population, and the fiscal calendar mart agrees with dagster_project/fiscal.py."""

from __future__ import annotations

import duckdb
import pytest
from _dbt_helpers import create_raw_layer, run_dbt

KPI_VALUES_COLUMNS = [
    ("reporting_quarter", "VARCHAR"),
    ("kpi_id", "VARCHAR"),
    ("measure", "VARCHAR"),
    ("period_type", "VARCHAR"),
    ("period_start", "DATE"),
    ("period_end", "DATE"),
    ("breakdown", "VARCHAR"),
    ("breakdown_value", "VARCHAR"),
    ("value", "DOUBLE"),
    ("unit", "VARCHAR"),
    ("period_label", "VARCHAR"),
    ("population", "VARCHAR"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("dbt_build")
    warehouse = root / "warehouse" / "toex.duckdb"
    create_raw_layer(warehouse)
    # The one build from scratch: dbt's partial parse has kept a stale view of a YAML-only
    # change before (dbt_project.prepare), so the whole project is parsed anew here.
    result = run_dbt(["build"], warehouse, root, from_scratch=True)
    return result, warehouse


def test_dbt_build_succeeds_on_an_empty_raw_layer(built):
    result, _ = built
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "ERROR=0" in result.stdout
    assert "WARN=0" in result.stdout, "a warning test fired on empty data"


def test_kpi_values_has_the_catalogue_columns(built):
    _, warehouse = built
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cols = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'kpis' AND table_name = 'kpi_values' ORDER BY ordinal_position"
        ).fetchall()
        layers = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT table_schema FROM information_schema.tables"
            ).fetchall()
        }
        quarters = con.execute(
            "SELECT count(*), min(reporting_quarter), max(reporting_quarter) "
            "FROM intermediate.int_fiscal_quarters"
        ).fetchone()
    finally:
        con.close()
    assert cols == KPI_VALUES_COLUMNS
    assert {"staging", "intermediate", "marts", "kpis"} <= layers
    assert quarters == (17, "2021-22 Q1", "2025-26 Q1")


def test_the_fiscal_calendar_mart_is_the_python_calendar(built):
    """The SQL calendar (macro fiscal_quarters) and fiscal.py are two renderings of one calendar:
    every quarter, label, date and financial year must agree."""
    from dagster_project.fiscal import Quarter, quarters_between
    from dagster_project.kpi_catalogue import dbt_var, inception_date

    _, warehouse = built
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        mart = con.execute(
            "SELECT fiscal_quarter, fiscal_year, fiscal_year_label, quarter_start, quarter_end, "
            "fy_start FROM marts.dim_fiscal_quarters ORDER BY quarter_sequence"
        ).fetchall()
        labels = con.execute(
            "SELECT DISTINCT period_type, period_label FROM intermediate.int_kpi_periods "
            "WHERE reporting_quarter = '2025-26 Q1'"
        ).fetchall()
    finally:
        con.close()
    python = [
        (q.label, q.fy_label, f"FY {q.fy_label}", q.start, q.end, q.fy_start)
        for q in quarters_between(
            Quarter.containing(inception_date()), Quarter.parse(dbt_var("reporting_quarter"))
        )
    ]
    assert mart == python
    assert {
        ("quarter", "2025-26 Q1"),
        ("fy_to_date", "FY 2025-26 to date"),
        ("financial_year", "FY 2024-25"),
        ("since_inception", "Since inception"),
        ("as_at", "As at 30 June 2025"),
        ("month", "April 2025"),
    } <= set(labels)


@pytest.mark.slow
def test_reporting_quarter_var_bounds_the_calendar(tmp_path):
    warehouse = tmp_path / "warehouse" / "toex.duckdb"
    create_raw_layer(warehouse)
    result = run_dbt(
        [
            "run",
            "-s",
            "int_fiscal_quarters",
            "int_kpi_periods",
            "--vars",
            '{"reporting_quarter": "2022-23 Q3", "inception_date": "2021-04-01"}',
        ],
        warehouse,
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        quarters = con.execute(
            "SELECT reporting_quarter, quarter_start, quarter_end "
            "FROM intermediate.int_fiscal_quarters ORDER BY quarter_start"
        ).fetchall()
        fys = con.execute(
            "SELECT period_label FROM intermediate.int_kpi_periods "
            "WHERE reporting_quarter = '2022-23 Q3' "
            "AND period_type = 'financial_year' ORDER BY period_start"
        ).fetchall()
    finally:
        con.close()
    assert len(quarters) == 7
    assert quarters[-1][0] == "2022-23 Q3"
    assert str(quarters[-1][1]) == "2022-10-01" and str(quarters[-1][2]) == "2022-12-31"
    assert fys == [("FY 2021-22",)]


def test_a_bad_reporting_quarter_is_refused(tmp_path):
    warehouse = tmp_path / "warehouse" / "toex.duckdb"
    create_raw_layer(warehouse)
    result = run_dbt(
        ["compile", "-s", "int_fiscal_quarters", "--vars", '{"reporting_quarter": "2025 Q1"}'],
        warehouse,
        tmp_path,
    )
    assert result.returncode != 0
    assert "reporting_quarter must look like" in result.stdout


def _unit_tests_by_model() -> dict[str, list[str]]:
    import yaml

    from dagster_project.settings import DBT_PROJECT_DIR

    found: dict[str, list[str]] = {}
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests") or []:
            found.setdefault(test["model"], []).append(test["name"])
    return found


def test_every_kpi_model_has_a_unit_test():
    from dagster_project.settings import DBT_PROJECT_DIR

    kpi_models = sorted(p.stem for p in (DBT_PROJECT_DIR / "models" / "kpis").glob("kpi_q*.sql"))
    assert kpi_models, "no kpi_q* models found"
    with_tests = _unit_tests_by_model()  # once: it parses every models YAML (~0.3 CPU s)
    missing = [m for m in kpi_models if m not in with_tests]
    assert not missing, f"kpi models without a dbt unit test: {missing}"


def test_the_build_ran_and_passed_every_unit_test(built):
    """`dbt build` runs the unit tests too: each one defined in the models' YAML reports PASS."""
    result, _ = built
    lines = result.stdout.splitlines()
    tests = {
        f"{model}::{name}" for model, names in _unit_tests_by_model().items() for name in names
    }
    passed = {t for t in tests if any(f"{t} " in line and " PASS " in line for line in lines)}
    assert len(tests) >= 31
    assert passed == tests, sorted(tests - passed)


def test_a_broken_rule_fails_its_model_rules_test_naming_model_and_rules(built, tmp_path):
    """The column rules of a model run as one dbt test (tests/generic/model_rules.sql): a row
    that breaks some of them fails that test with one error naming the model, each broken rule
    and its count; the same build's clean model still passes."""
    import shutil

    _, built_warehouse = built
    warehouse = tmp_path / "toex.duckdb"
    shutil.copy(built_warehouse, warehouse)
    con = duckdb.connect(str(warehouse))
    try:  # the calendar is rendered from the vars, so it has rows on an empty raw layer
        con.execute(
            "INSERT INTO intermediate.int_fiscal_quarters SELECT * REPLACE "
            "(5 AS quarter_number, NULL AS quarter_end) FROM intermediate.int_fiscal_quarters "
            "WHERE is_latest_quarter"
        )
    finally:
        con.close()
    result = run_dbt(
        ["test", "-s", "int_fiscal_quarters_rules", "int_kpi_periods_rules"], warehouse, tmp_path
    )
    out = result.stdout
    assert result.returncode != 0, out[-4000:]
    assert "int_fiscal_quarters breaks accepted_values(quarter_number): 1 row; " in out, out
    assert "not_null(quarter_end): 1 row; " in out
    assert "unique(quarter_sequence): 1 value; unique(quarter_start): 1 value" in out
    assert "unique(quarter_end)" not in out, "a null is not a duplicate (dbt's unique)"
    assert "PASS=1" in out and "ERROR=1" in out, out[-3000:]

"""The KPI catalogue (dbt/catalogue/kpi_catalogue.yml) is the one home of every KPI fact: it
loads strictly, keeps the measure names of ../shared/spec/KPIS.md, and what is generated from
it (seed, docs) is current. The warehouse-side checks both ways are dbt tests
(assert_kpi_values_match_the_catalogue, assert_catalogue_entries_are_published)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from spec_files import spec_measure_names

from dagster_project.kpi_catalogue import CATALOGUE_PATH, catalogue, dbt_var, inception_date
from dagster_project.publish import catalogue as publish_catalogue

ROOT = Path(__file__).resolve().parents[1]


def test_every_entry_is_complete_and_units_are_closed():
    cat = catalogue()
    assert len(cat.kpis) == 17 and list(cat.questions) == ["Q1", "Q2", "Q3", "Q4", "Q5"]
    assert {"count", "share", "gbp", "days", "points", "p_value", "ratio", "bytes", "rows"} <= set(
        cat.units
    )
    for e in cat.entries:
        assert e.label and e.definition and e.population and e.unit in cat.units, e
        assert e.disclosure in ("count", "derived", "detail") and e.question_id in cat.questions
    assert [e.pack_order for e in cat.entries] == list(range(1, len(cat.entries) + 1))


def test_units_the_issue_fixed():
    cat = catalogue()
    assert cat.entry("Q1.2", "score_change_p_value").unit == "p_value"
    assert cat.entry("Q1.3", "disruptions_per_operation", "involvement").unit == "ratio"
    assert cat.entry("Q4.2", "warehouse_bytes").unit == "bytes"
    assert cat.entry("Q2.4", "survey_q01_aims_yes_change", "wave").unit == "share_change"


def test_population_follows_the_breakdown_and_repeats_are_marked():
    cat = catalogue()
    assert cat.entry("Q1.3", "disruptions", "involvement").population.startswith(
        "All moderated disruptions"
    )
    assert (
        cat.entry("Q1.3", "disruptions", "threat_type").population
        == "TOEX-involved moderated disruptions"
    )
    assert "TOEX-involved" in cat.entry("Q1.3", "tool_disruptions").population
    assert "any involvement" in cat.entry("Q3.3", "tool_disruptions", "tool").population
    assert cat.entry("Q1.4", "safeguarding_referrals").repeats == "Q1.1 safeguarding_referrals"
    assert "CE" in cat.entry("Q5.2", "net_savings_gbp").definition


def test_patterns_match_survey_questions_only():
    cat = catalogue()
    assert cat.entry("Q2.4", "survey_q03_contribution", "answer").pattern == "question_id"
    assert cat.entry("Q2.4", "survey_respondents", "wave").measure == "survey_respondents"
    assert cat.entry("Q2.4", "survey_", "answer") is None


def test_every_spec_measure_name_is_catalogued():
    catalogued = {e.measure for e in catalogue().entries}
    assert spec_measure_names() - catalogued == set()


def test_a_comma_in_an_unquoted_value_is_refused(tmp_path):
    text = CATALOGUE_PATH.read_text().replace(
        'population: "TOEX jobs, by origin",', "population: TOEX jobs, by origin,", 1
    )
    broken = tmp_path / "kpi_catalogue.yml"
    broken.write_text(text)
    with pytest.raises(ValueError, match="unknown key"):
        catalogue.__wrapped__(broken)


def test_numbers_and_dates_are_the_dbt_vars():
    assert dbt_var("large_decrease_points") == 150 and dbt_var("territorial_forces") == 43
    assert str(inception_date()) == dbt_var("inception_date")
    from dagster_project.publish.pack import views

    assert views.LARGE_DECREASE_POINTS == 150 and views.TERRITORIAL_FORCES == 43


def test_publish_names_come_from_the_catalogue():
    assert publish_catalogue.KPI_NAMES["Q1.3"] == catalogue().kpis["Q1.3"].name
    assert catalogue().questions == publish_catalogue.RESEARCH_QUESTIONS


def test_generated_seed_and_docs_are_current():
    for script in ("build_seeds.py", "build_docs.py"):
        result = subprocess.run(
            [sys.executable, str(ROOT / "dbt" / "scripts" / script), "--check"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr

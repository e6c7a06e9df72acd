"""The dbt files generated from the extract contract (seeds, `_sources.yml`) are in sync with it."""

from __future__ import annotations

import csv
import subprocess
import sys

from dagster_project.contract import code_lists, force_team
from dagster_project.settings import DBT_PROJECT_DIR


def test_seeds_and_sources_match_the_contract():
    result = subprocess.run(
        [sys.executable, str(DBT_PROJECT_DIR / "scripts" / "build_seeds.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_force_teams_seed_is_the_code_list():
    with open(DBT_PROJECT_DIR / "seeds" / "force_teams.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["force"]: (r["team"] or None) for r in rows} == force_team()
    assert sum(r["is_territorial"] == "true" for r in rows) == 43
    assert {r["team"] for r in rows if r["team"]} <= set(code_lists()["team"])


def test_commercial_rates():
    with open(
        DBT_PROJECT_DIR / "seeds" / "commercial_rates.csv", newline="", encoding="utf-8"
    ) as f:
        rates = {(r["tool"], r["unit_type"]): float(r["rate_gbp"]) for r in csv.DictReader(f)}
    assert rates == {("Translation", "words"): 0.10, ("Transcription", "audio_minutes"): 1.50}


def test_sources_carry_every_contract_column_with_its_description():
    import yaml

    from dagster_project.contract import contracts

    sources = yaml.safe_load((DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml").read_text())
    raw = next(s for s in sources["sources"] if s["name"] == "raw")
    tables = {t["name"]: {c["name"]: c["description"] for c in t["columns"]} for t in raw["tables"]}
    assert tables.keys() == contracts().keys()
    for name, contract in contracts().items():
        for col in contract.stored_columns:
            assert tables[name][col.name], f"{name}.{col.name} has no description in its contract"

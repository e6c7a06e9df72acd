"""dbt keeps its saved parse from `toex prepare` to the runs (dbt_project.py): the quarter
reaches dbt as an environment variable, and a new quarter keeps the saved parse and
reaches the compiled SQL.
The last case shows what the design avoids: a changed `--vars` re-parses everything."""

from __future__ import annotations

import json
import shutil

import pytest
from _dbt_helpers import SAVED_PARSE, run_dbt

from dagster_project.dbt_project import QUARTER_ENV

pytestmark = pytest.mark.slow


def _dbt(tmp_path, extra_env: dict, args: tuple = ("parse",)) -> list[dict]:
    proc = run_dbt(
        list(args),
        tmp_path / "toex.duckdb",
        tmp_path,
        300,
        env={"DBT_LOG_FORMAT": "json", **extra_env},
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def _names(events: list[dict]) -> dict[str, str]:
    return {e["info"]["name"]: e["info"]["msg"] for e in events}


def test_a_new_quarter_keeps_the_saved_parse(tmp_path):
    _dbt(tmp_path, {})  # as `toex prepare`: no quarter set
    compiled = _names(
        _dbt(
            tmp_path,
            {QUARTER_ENV: "2025-26 Q2", "DBT_LOG_LEVEL": "debug"},  # debug: what it re-parsed
            ("compile", "--select", "int_fiscal_quarters"),
        )
    )
    assert "UnableToPartialParse" not in compiled, compiled.get("UnableToPartialParse")
    # Not even the models that read the quarter are parsed again (each changed file re-parses
    # its neighbours too: ~1.5 s of every run).
    assert "0 files changed" in compiled.get("PartialParsingEnabled", ""), compiled.get(
        "PartialParsingEnabled"
    )
    sql = (
        tmp_path
        / "target"
        / "compiled"
        / "toex"
        / "models"
        / "intermediate"
        / "int_fiscal_quarters.sql"
    ).read_text()
    assert (
        "'2025-26 Q2'" in sql and "'2025-26 Q3'" not in sql
    )  # the run's quarter, from the environment
    changed = _names(
        _dbt(tmp_path, {}, ("parse", "--vars", json.dumps({"reporting_quarter": "2025-26 Q3"})))
    )
    assert "config vars" in changed.get("UnableToPartialParse", "")


def _parse_through_the_dbt_step(warehouse, target) -> dict[str, str]:
    """`dbt parse` as the pipeline's dbt step starts dbt (ToexDbtCliResource in dbt_env), with
    its debug events: whether dbt kept the parse saved in `target` or re-parsed everything."""
    from dagster_project.dbt_project import ToexDbtCliResource, dbt_env

    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with dbt_env(warehouse):
        invocation = ToexDbtCliResource.for_project().cli(
            ["parse", "--log-level", "debug"], target_path=target, raise_on_error=False
        )
        events = _names([raw.raw_event for raw in invocation.stream_raw_events()])
    assert invocation.is_successful(), invocation.get_error()
    return events


def test_another_data_folder_keeps_the_saved_parse(tmp_path):
    """Each test, the benchmark and production have their warehouse in a folder of their own:
    dbt must keep the parse saved for one (`toex prepare`) in the others; it hashes the
    profile's connection values, the warehouse's `path` among them (dbt_main.py). A warehouse
    with another name is another dbt database: that one is parsed in full."""
    target = tmp_path / "target"
    target.mkdir()
    if SAVED_PARSE.is_file():  # as `toex prepare` left it
        shutil.copyfile(SAVED_PARSE, target / SAVED_PARSE.name)
    _parse_through_the_dbt_step(tmp_path / "prepared" / "toex.duckdb", target)
    kept = _parse_through_the_dbt_step(tmp_path / "a" / "test" / "toex.duckdb", target)
    assert "UnableToPartialParse" not in kept, kept.get("UnableToPartialParse")
    assert "PartialParsingSkipParsing" in kept, sorted(kept)
    other = _parse_through_the_dbt_step(tmp_path / "a" / "test" / "other.duckdb", target)
    assert "profile has changed" in other.get("UnableToPartialParse", ""), sorted(other)

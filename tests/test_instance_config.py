"""The Dagster instance config toex writes (the one `toex`, `make dev` and the test servers use)."""

from __future__ import annotations

import dagster as dg

from dagster_project.cli import INSTANCE_CONFIG, _dagster_home

OLD_TOEX_CONFIG = (
    "# Written by toex. DuckDB allows one writer: queue runs one at a time.\n"
    "run_queue:\n  max_concurrent_runs: 1\ntelemetry:\n  enabled: false\n"
)


def test_written_with_current_keys_and_loaded_by_dagster(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = _dagster_home(tmp_path)
    assert (home / "dagster.yaml").read_text() == INSTANCE_CONFIG
    assert "run_queue" not in INSTANCE_CONFIG
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        assert instance.run_monitoring_enabled
        assert not instance.nux_enabled  # no sign-up dialog over the UI


def test_an_old_toex_config_is_brought_up_to_date_and_a_hand_written_one_is_kept(
    tmp_path, monkeypatch
):
    old, own = tmp_path / "old", tmp_path / "own"
    for home, text in ((old, OLD_TOEX_CONFIG), (own, "telemetry:\n  enabled: false\n")):
        home.mkdir()
        (home / "dagster.yaml").write_text(text)
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        _dagster_home(tmp_path)
    assert (old / "dagster.yaml").read_text() == INSTANCE_CONFIG
    assert (own / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"

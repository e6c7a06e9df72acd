"""What a launch with no config ingests (the UI's default launch, the schedule's run): the newest
complete and not yet rejected inbox folder, else the current landed delivery again."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from sample_data import OPERATIONS_OK

from dagster_project.defs import ingest
from dagster_project.defs.delivery_sensor import build_delivery_sensor
from dagster_project.fiscal import Quarter
from dagster_project.ingest import delivery as deliveries
from dagster_project.ingest import rejections
from dagster_project.partitions import ensure_quarter_partitions
from dagster_project.resources import PlatformPaths, WarehouseResource

QUARTER = Quarter.parse("2025-26-Q1")
RAW_OPERATIONS = next(a for a in ingest.raw_assets if a.key == ingest.raw_key("operations"))


def _folder(
    inbox: Path, name: str, age_seconds: float, files: dict[str, str] | None = None
) -> Path:
    """A delivery folder whose entries were last touched `age_seconds` ago (by default one
    extract without personal columns: an empty folder is refused, and no key is needed)."""
    folder = inbox / name
    folder.mkdir(parents=True)
    stamp = time.time() - age_seconds
    for file_name, text in (files or {"operations.csv": OPERATIONS_OK}).items():
        (folder / file_name).write_text(text)
        os.utime(folder / file_name, (stamp, stamp))
    return folder


def _launch(
    tmp_path: Path, run_config: dict | None = None, assets: list | None = None
) -> tuple[dg.ExecuteInProcessResult, str | None, str]:
    resources = {
        "warehouse": WarehouseResource(path=str(tmp_path / "wh.duckdb")),
        "paths": PlatformPaths(
            inbox=str(tmp_path / "inbox"),
            landing=str(tmp_path / "landing"),
            exports=str(tmp_path / "exports"),
        ),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        ensure_quarter_partitions(instance, QUARTER)
        result = dg.materialize(
            assets or [ingest.delivery],
            resources=resources,
            instance=instance,
            raise_on_error=False,
            run_config=run_config,
            partition_key=QUARTER.label,  # the delivery is ingested for a quarter
        )
        logs = "\n".join(e.message or "" for e in instance.all_logs(result.run_id))
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    try:
        row = con.execute(
            "SELECT d.source_dir FROM ingest.current_delivery c JOIN ingest.deliveries d "
            "USING (delivery_id)"
        ).fetchone()
    except duckdb.CatalogException:
        row = None
    finally:
        con.close()
    return result, row[0] if row else None, logs


def test_default_takes_the_newest_complete_folder_and_skips_one_still_arriving(tmp_path):
    inbox = tmp_path / "inbox"
    _folder(inbox, "2025-07-01", age_seconds=3600)
    settled = _folder(inbox, "2025-07-08", age_seconds=600)
    _folder(inbox, "2025-07-09", age_seconds=0)
    result, current, logs = _launch(tmp_path)
    assert result.success
    assert current == str(settled.resolve())
    assert "2025-07-09 changed less than" in logs


def test_default_skips_a_rejected_folder_until_it_changes(tmp_path):
    inbox = tmp_path / "inbox"
    older = _folder(inbox, "2025-07-01", age_seconds=3600)
    newest = _folder(inbox, "2025-07-08", age_seconds=600)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    rejections.record(con, newest, "disruptions.csv: missing required column moderation_status")
    con.close()
    result, current, logs = _launch(tmp_path)
    assert result.success and current == str(older.resolve())
    assert (
        "2025-07-08 skipped: its ingestion was refused (disruptions.csv: missing required column"
        in logs
    )

    stamp = time.time() - 60  # the supplier re-delivers into the same folder: a candidate again
    (newest / "fixed.txt").write_text("again")
    os.utime(newest / "fixed.txt", (stamp, stamp))
    result, current, _ = _launch(tmp_path)
    assert result.success and current == str(newest.resolve())


def test_empty_inbox_reuses_the_current_delivery_and_says_so(tmp_path):
    first = _folder(tmp_path / "inbox", "2025-07-01", age_seconds=3600)
    assert _launch(tmp_path)[1] == str(first.resolve())
    shutil.rmtree(first)
    result, current, logs = _launch(tmp_path)
    assert result.success and current == str(first.resolve())
    assert "no new delivery in the inbox" in logs and "re-using the landed delivery" in logs


def test_a_rejected_delivery_is_not_reused_when_the_inbox_is_empty(tmp_path, monkeypatch):
    """A file rejected whole (here: a required column missing) records the refusal; the next
    default launch neither picks the folder again nor re-uses its delivery, but the last good
    one."""
    monkeypatch.setenv("TOEX_DEMO", "1")
    inbox = tmp_path / "inbox"
    good = _folder(inbox, "2025-07-01", age_seconds=3600, files={"operations.csv": OPERATIONS_OK})
    assert _launch(tmp_path, assets=[ingest.delivery, RAW_OPERATIONS])[0].success
    bad = _folder(
        inbox,
        "2025-07-08",
        age_seconds=600,
        files={"operations.csv": OPERATIONS_OK.replace("team,", "", 1)},
    )
    rejected, current, _ = _launch(tmp_path, assets=[ingest.delivery, RAW_OPERATIONS])
    assert current == str(bad.resolve())
    accepted = [
        e for e in rejected.get_asset_check_evaluations() if e.check_name == "file_accepted"
    ]
    assert accepted and not accepted[0].passed, "operations.csv rejected whole"
    assert _launch(tmp_path)[1] == str(good.resolve()), (
        "the rejected folder is skipped, the older one taken"
    )
    for folder in (good, bad):  # the inbox is emptied; the landed deliveries stay
        shutil.rmtree(folder)
    result, current, logs = _launch(tmp_path)
    assert result.success and current == str(good.resolve()), logs


def test_nothing_to_ingest_fails_with_what_to_do(tmp_path):
    result, current, _ = _launch(tmp_path)
    assert not result.success and current is None
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert (
        "no accepted delivery landed yet: put a delivery folder there or set delivery_dir"
        in failure.step_failure_data.error.message
    )


def test_an_explicit_folder_wins_over_the_default(tmp_path):
    inbox = tmp_path / "inbox"
    _folder(inbox, "2025-07-08", age_seconds=600)
    chosen = _folder(tmp_path / "elsewhere", "special", age_seconds=600)
    result, current, _ = _launch(
        tmp_path, {"ops": {"ingest__delivery": {"config": {"delivery_dir": str(chosen)}}}}
    )
    assert result.success and current == str(chosen.resolve())


@pytest.mark.parametrize("field", ["delivery_dir", "replay_delivery_id"])
def test_launch_config_fields_are_described(field):
    assert ingest.DeliveryConfig.model_fields[field].description


def test_the_sensor_requests_runs_only_for_folders_not_landed_since_they_changed(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("TOEX_REPORTING_QUARTER", "2025-26-Q1")
    inbox, landing = tmp_path / "inbox", tmp_path / "landing"
    ingested = _folder(inbox, "2025-07-01", age_seconds=3600)
    deliveries.land(ingested, landing)  # as a UI launch or `toex run` did
    new = _folder(inbox, "2025-07-08", age_seconds=600)
    sensor = build_delivery_sensor("toex_quarterly")
    paths = PlatformPaths(inbox=str(inbox), landing=str(landing), exports=str(tmp_path / "exports"))
    with dg.DagsterInstance.ephemeral() as instance:
        requests = sensor(dg.build_sensor_context(instance=instance, resources={"paths": paths}))
    assert [r.tags["toex/delivery_folder"] for r in requests] == [new.name]
    assert requests[0].run_config["ops"]["ingest__delivery"]["config"]["delivery_dir"] == str(new)

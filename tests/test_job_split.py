"""A quarter runs as an ingest run, then a publish run (dagster_project/defs/jobs.py): the two jobs
partition the definitions, and the follow-on sensor publishes exactly the ingest runs nobody else
publishes."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.definitions import MAIN_JOB, PUBLISH_JOB, defs
from dagster_project.defs.jobs import INGEST_RUN_TAG, PUBLISH_RUN_TAG, runs_of_publication


def _selected(job_name: str) -> tuple[set[str], set[str]]:
    """(asset keys, check keys) a run of the job plans."""
    layer = defs.resolve_job_def(job_name).asset_layer
    assets = {k.to_user_string() for k in layer.selected_asset_keys}
    checks = {
        f"{k.asset_key.to_user_string()}:{k.name}" for k in layer.asset_graph.asset_check_keys
    }
    return assets, checks


def test_the_ingest_and_publish_jobs_split_every_asset_and_check_between_them():
    graph = defs.resolve_asset_graph()
    every_asset = {
        k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).is_executable
    }
    every_check = {f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys}
    ingest_assets, ingest_checks = _selected(MAIN_JOB)
    publish_assets, publish_checks = _selected(PUBLISH_JOB)
    assert ingest_assets == {a for a in every_asset if a.split("/")[0] in ("ingest", "raw")} - {
        "ingest/platform_usage"
    }
    assert not ingest_assets & publish_assets and ingest_assets | publish_assets == every_asset
    assert not ingest_checks & publish_checks and ingest_checks | publish_checks == every_check
    # A rejected file fails the ingest run only: nothing it planned is downstream of ingestion.
    assert "exports/quarter_exports" in publish_assets
    assert all(c.startswith("raw/") for c in ingest_checks)
    assert "raw/toex_jobs:file_accepted" in ingest_checks


def test_both_jobs_run_for_a_quarter():
    for name in (MAIN_JOB, PUBLISH_JOB):
        assert defs.resolve_job_def(name).partitions_def is not None, name


def _evaluate(run: dg.DagsterRun, instance: dg.DagsterInstance):
    sensor = defs.get_sensor_def("publish_after_ingest")
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=dg.DagsterEvent(
            event_type_value=dg.DagsterEventType.RUN_SUCCESS.value, job_name=run.job_name
        ),
    )
    return sensor(context)


@pytest.fixture
def instance():
    with dg.DagsterInstance.ephemeral() as inst:
        yield inst


def test_a_successful_ingest_run_launched_by_the_daemon_is_published(instance):
    run = dg.DagsterRun(
        job_name=MAIN_JOB,
        run_id="ingest-1",
        tags={"dagster/partition": "2025-26 Q1", "toex/delivery_folder": "2025-07-08"},
    )
    request = _evaluate(run, instance)
    assert isinstance(request, dg.RunRequest), request
    assert request.partition_key == "2025-26 Q1" and request.run_key == "ingest-1"
    assert request.tags[INGEST_RUN_TAG] == "ingest-1"
    assert request.tags["toex/delivery_folder"] == "2025-07-08"


def test_an_ingest_run_whose_launcher_publishes_it_is_left_alone(instance):
    run = dg.DagsterRun(
        job_name=MAIN_JOB,
        run_id="ingest-2",
        tags={"dagster/partition": "2025-26 Q1", PUBLISH_RUN_TAG: "publish-2"},
    )
    assert isinstance(_evaluate(run, instance), dg.SkipReason)


def test_a_publication_reports_the_checks_of_its_ingest_run_too():
    follows = dg.DagsterRun(job_name=PUBLISH_JOB, run_id="p", tags={INGEST_RUN_TAG: "i"})
    assert runs_of_publication(follows) == ["i", "p"]
    alone = dg.DagsterRun(job_name=PUBLISH_JOB, run_id="p")  # a backfill's exports-only run
    assert runs_of_publication(alone) == ["p"]


def test_the_daemon_prunes_run_history_as_toex_run_does(tmp_path, monkeypatch):
    """Runs launched from the UI are pruned too: per job and quarter the newest finished run and
    the newest success stay (TOEX_KEEP_RUNS=1, the default)."""
    monkeypatch.delenv("TOEX_KEEP_RUNS", raising=False)
    finished = [
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.SUCCESS,
        dg.DagsterRunStatus.FAILURE,
    ]
    sensor = defs.get_sensor_def("run_history_retention")
    with dg.DagsterInstance.local_temp(tempdir=str(tmp_path)) as instance:
        for i, status in enumerate(finished):
            instance.add_run(
                dg.DagsterRun(
                    job_name=MAIN_JOB,
                    run_id=f"ingest-{i}",
                    status=status,
                    tags={"dagster/partition": "2025-26 Q1"},
                )
            )
        other_quarter = dg.DagsterRun(
            job_name=MAIN_JOB,
            run_id="ingest-q4",
            status=dg.DagsterRunStatus.SUCCESS,
            tags={"dagster/partition": "2024-25 Q4"},
        )
        instance.add_run(other_quarter)
        result = sensor(dg.build_sensor_context(instance=instance))
        assert "deleted 1 old run(s)" in result.skip_message
        kept = {r.dagster_run.run_id for r in instance.get_run_records()}
    # ingest-2 newest (failed), ingest-1 newest success; ingest-0 goes; the other quarter stays.
    assert kept == {"ingest-2", "ingest-1", "ingest-q4"}

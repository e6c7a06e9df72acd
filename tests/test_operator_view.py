"""The operator's view without a pipeline run: links into the published outputs, the read-only
outputs server, the publication deadline shared by the schedule and the freshness policy, and
descriptions that render."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from datetime import datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from dagster_project import outputs
from dagster_project.outputs_server import serve


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    version = tmp_path / "exports" / ".versions" / "2025-26-Q1" / "run1"
    version.mkdir(parents=True)
    (version / "evaluation_pack_2025-26-Q1.html").write_text("<h1>Evaluation Pack</h1>")
    (version / "manifest.json").write_text(
        '{"run_id": "run1", "published_at": "2025-07-10T05:00:00+00:00"}'
    )
    (tmp_path / "exports" / "2025-26-Q1").symlink_to(version)
    (tmp_path / "published").mkdir()
    (tmp_path / "published" / "dbt_docs.html").write_text("dbt docs")
    (tmp_path / "warehouse").mkdir()
    (tmp_path / "warehouse" / "toex.duckdb").write_text("not served")
    monkeypatch.delenv("TOEX_OUTPUTS_URL", raising=False)
    monkeypatch.setenv("TOEX_OUTPUTS_PORT", "3999")
    return tmp_path


def test_links_point_into_the_served_folders_and_nowhere_else(data_dir):
    roots = outputs.output_roots(data_dir)
    pack = data_dir / "exports" / "2025-26-Q1" / "evaluation_pack_2025-26-Q1.html"
    assert (
        outputs.url_for(pack, roots)
        == "http://127.0.0.1:3999/exports/2025-26-Q1/evaluation_pack_2025-26-Q1.html"
    )
    assert (
        outputs.url_for(data_dir / "exports" / "2025-26-Q1", roots)
        == "http://127.0.0.1:3999/exports/2025-26-Q1/"
    )
    assert outputs.url_for(data_dir / "warehouse" / "toex.duckdb", roots) is None
    assert isinstance(outputs.link(data_dir / "warehouse" / "toex.duckdb", roots).value, str)
    assert outputs.link(pack, roots).value.startswith("http://127.0.0.1:3999/")


def test_server_serves_published_outputs_read_only(data_dir):
    server = serve(outputs.output_roots(data_dir), 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        body = urllib.request.urlopen(
            f"{base}/exports/2025-26-Q1/evaluation_pack_2025-26-Q1.html", timeout=5
        ).read()
        assert b"Evaluation Pack" in body
        assert (
            urllib.request.urlopen(f"{base}/published/dbt_docs.html", timeout=5).read()
            == b"dbt docs"
        )
        for path in (
            "/warehouse/toex.duckdb",
            "/exports/../warehouse/toex.duckdb",
            "/exports/%2e%2e/warehouse/toex.duckdb",
            "/",
            "/etc/passwd",
        ):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(base + path, timeout=5)
            assert err.value.code == 404, path
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(
                urllib.request.Request(f"{base}/published/dbt_docs.html", data=b"x", method="PUT"),
                timeout=5,
            )
        assert err.value.code == 501
    finally:
        server.shutdown()
        server.server_close()


def test_publication_summary_names_the_run_that_stays_published(data_dir):
    manifest = outputs.current_publication(data_dir / "exports", "2025-26-Q1")
    assert outputs.publication_summary(manifest, "2025-26 Q1") == (
        "2025-26 Q1 as published by run run1 at 2025-07-10T05:00:00+00:00 stays published"
    )
    assert "nothing has been published" in outputs.publication_summary(
        outputs.current_publication(data_dir / "exports", "2024-25-Q4"), "2024-25 Q4"
    )


def test_schedule_and_freshness_policy_share_the_deadline():
    from dagster_project.defs import exports

    schedule = exports.build_quarterly_schedule("toex_quarterly")
    policy = exports.quarter_exports.specs_by_key[exports.QUARTER_EXPORTS].freshness_policy
    assert isinstance(policy, dg.FreshnessPolicy)
    assert schedule.cron_schedule == policy.deadline_cron == exports.DEADLINE_CRON
    assert schedule.execution_timezone == policy.timezone == "Europe/London"
    # The window opens when the quarter ends: 2025-26 Q1 (April-June) is due 10 July 06:00 BST.
    deadline = datetime(2025, 7, 10, 6, tzinfo=ZoneInfo("Europe/London"))
    assert (deadline - policy.lower_bound_delta) == datetime(
        2025, 7, 1, tzinfo=ZoneInfo("Europe/London")
    )


def test_descriptions_render_as_text():
    from dagster_project.contract import contracts
    from dagster_project.defs import exports, ingest

    spec = exports.quarter_exports.specs_by_key[exports.QUARTER_EXPORTS]
    assert "`exports/<quarter slug>/`" in spec.description, (
        "angle brackets inside code, not swallowed as HTML"
    )
    for asset in ingest.raw_assets:
        for spec in asset.specs:
            contract = contracts()[spec.key.path[-1]]
            assert f"({contract.source_system}) ({contract.source_system})" not in spec.description
            assert contract.source_system.split(" / ")[0] in spec.description


def test_a_partitioned_run_gets_the_quarter_tag_however_launched():
    from dagster_project.partitions import QUARTER_TAG, fiscal_quarters, tag_run_with_quarter

    @dg.asset(partitions_def=fiscal_quarters)
    def first_step(context):
        tag_run_with_quarter(context)

    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions(fiscal_quarters.name, ["2025-26 Q1"])
        result = dg.materialize([first_step], partition_key="2025-26 Q1", instance=instance)
        assert instance.get_run_by_id(result.run_id).tags[QUARTER_TAG] == "2025-26 Q1"

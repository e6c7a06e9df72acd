"""End to end in a real browser: the Dagster UI (started on 127.0.0.1) lists the KPI and export
assets, and the published evaluation pack shows a published figure; the operator's view shows what
is published with links that open, and a rejected delivery's run says plainly what failed.
Screenshots are saved under the test's output folder (tmp_path) and, for CI artefacts,
tests/ui/screenshots/.

Needs Debian's chromium (/usr/bin/chromium, installed by .ci/run); skipped if absent.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from dagster_server import free_port, graphql
from in_process_runs import quality_in_this_process

from dagster_project.ingest.delivery import write_demo_marker

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTEFACTS = Path(__file__).parent / "ui" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Past ingestion: a model, the KPI table with its checks, the publication.
DOWNSTREAM = [["marts", "fct_disruptions"], ["kpis", "kpi_values"], ["exports", "quarter_exports"]]
DOWNSTREAM_CHECKS = [(["kpis", "kpi_values"], "quality_gate")]
LATEST_RUNS = """query Latest($keys: [AssetKeyInput!]!) {
  assetsLatestInfo(assetKeys: $keys) { assetKey { path } latestRun { id status } }
}"""
CHECK_RUNS = """query Checks($key: AssetKeyInput!, $check: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $check, limit: 5) { runId status }
}"""


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.runs(0.2)
def test_ui_lists_kpi_and_export_assets_and_pack_shows_a_figure(demo_run, dev_server, tmp_path):
    """On the launch-path tests' `dagster dev` (a start-up saved): the asset pages come from the
    definitions, whatever the instance holds; the pack is the demo run's."""
    from playwright.sync_api import sync_playwright

    dagster_ui = dev_server.url
    settings, _, _ = demo_run
    pack = next((settings.exports / "2025-26-Q1").glob("evaluation_pack_*.html"))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{dagster_ui}/asset-groups", wait_until="domcontentloaded")
        page.get_by_text("exports").first.wait_for(timeout=60_000)
        lineage = page.inner_text("body")
        for group in ("ingest", "staging", "marts", "kpis", "exports"):
            assert group in lineage, f"asset group {group} in the lineage graph"
        page.screenshot(path=str(tmp_path / "dagster_lineage.png"))
        for key in (
            "kpis/kpi_values",
            "kpis/kpi_q1_3_disruptions",
            "exports/quarter_exports",
            "exports/analyst_copy",
        ):
            page.goto(f"{dagster_ui}/assets/{key}", wait_until="domcontentloaded")
            page.get_by_text(key.split("/")[1]).first.wait_for(timeout=60_000)
            assert "Asset not found" not in page.inner_text("body"), key
        page.screenshot(path=str(tmp_path / "dagster_analyst_copy.png"))

        page.goto(pack.as_uri(), wait_until="load")
        body = page.inner_text("body")
        assert "Evaluation Pack" in body and "2025-26 Q1" in body
        assert "94 safeguarding referrals" in body, "a published figure (Q1.4) is on the page"
        assert "997" in body
        page.screenshot(path=str(tmp_path / "evaluation_pack.png"), full_page=True)
        browser.close()
    for png in tmp_path.glob("*.png"):
        shutil.copy(png, ARTEFACTS / png.name)


def _drop_column(delivery: Path, target: Path, file_name: str, column: str) -> Path:
    shutil.copytree(delivery, target)
    lines = (target / file_name).read_text(encoding="utf-8-sig").splitlines()
    drop = lines[0].split(",").index(column)
    (target / file_name).write_text(
        "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in lines)
        + "\n"
    )
    write_demo_marker(target)  # still synthetic: demo mode may use the public key for it
    return target


@pytest.fixture
def operated_ui(published_copy, dev_server, tmp_path, monkeypatch):
    """On a private copy of the demo's data: a publication run and then a run on a delivery whose
    toex_jobs.csv lacks a required column, both in the instance the UI shows, and the outputs
    server the links point at.

    The UI is the launch-path tests' `dagster dev` (`dev_server`: a start-up saved); what the test
    reads is these two runs' pages and events. The links are written by the runs themselves (this
    process's TOEX_OUTPUTS_PORT), not by the server, and the runs' data folder is the private copy,
    so it holds what it held on a server of its own, whatever the launch paths ran before."""

    from dagster_project import outputs
    from dagster_project.fiscal import Quarter
    from dagster_project.outputs_server import serve
    from dagster_project.pipeline import execute
    from dagster_project.settings import Settings

    root, env, delivery = published_copy
    env = {**env, "TOEX_OUTPUTS_PORT": str(free_port())}
    for name in ("TOEX_DEMO", "TOEX_OUTPUTS_PORT"):
        monkeypatch.setenv(name, env[name])
    monkeypatch.delenv("TOEX_OUTPUTS_URL", raising=False)
    quality_in_this_process(monkeypatch)
    settings = Settings.from_env(
        warehouse=root / "warehouse" / "toex.duckdb",
        landing=root / "landing",
        exports=root / "exports",
        inbox=root / "inbox",
        data_dir=root,
    )
    quarter = Quarter.parse("2025-26-Q1")
    bad = _drop_column(delivery, tmp_path / "bad_delivery", "toex_jobs.csv", "origin")
    with dev_server.instance() as instance:
        published = execute(quarter, settings, exports_only=True, instance=instance)
        rejected = execute(quarter, settings, bad, instance=instance)
    assert published.exit_code == 0, published.step_failures
    assert rejected.exit_code == 1
    server = serve(outputs.output_roots(root, root / "exports"), int(env["TOEX_OUTPUTS_PORT"]))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield dev_server.url, published.run_id, rejected.run_id
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")
@pytest.mark.runs(1)
def test_operator_sees_what_is_published_and_why_a_delivery_was_rejected(operated_ui, tmp_path):
    from playwright.sync_api import sync_playwright

    url, published_run, rejected_run = operated_ui
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})

        # The rejected delivery's run says in one line what failed and what stays published.
        page.goto(f"{url}/runs/{rejected_run}", wait_until="domcontentloaded")
        page.get_by_text("missing required column origin").first.wait_for(timeout=60_000)
        body = page.inner_text("body")
        assert (
            f"2025-26 Q1 as published by run {published_run}" in body and "stays published" in body
        )
        page.screenshot(path=str(tmp_path / "rejected_run.png"))

        # The publication's page: quarter, run, delivery and a pack link that opens over http.
        page.goto(
            f"{url}/assets/exports/quarter_exports?partition=2025-26%20Q1",
            wait_until="domcontentloaded",
        )
        page.get_by_text("published_at").first.wait_for(timeout=60_000)
        page.get_by_text("The quarter's publication in").first.wait_for(timeout=60_000)
        body = page.inner_text("body")
        assert published_run in body and "delivery_id" in body
        assert "The quarter's publication in" in body and "exports/<quarter slug>/" in body
        page.screenshot(path=str(tmp_path / "quarter_exports_published.png"), full_page=True)
        link = page.locator("a[href*='/exports/.versions/'][href$='.html']").first
        with page.context.expect_page(timeout=30_000) as opened:
            link.click()
        pack = opened.value
        pack.wait_for_load_state()
        assert "Evaluation Pack" in pack.inner_text("body")
        pack.screenshot(path=str(tmp_path / "pack_opened_from_ui.png"))

        # Beside the failure on the publication's own events: the quarter as published is unchanged.
        page.goto(
            f"{url}/assets/exports/quarter_exports?view=events&partition=2025-26%20Q1",
            wait_until="domcontentloaded",
        )
        page.get_by_text(
            f"unchanged: 2025-26 Q1 as published by run {published_run}"
        ).first.wait_for(timeout=60_000)
        page.screenshot(path=str(tmp_path / "quarter_exports_events.png"), full_page=True)

        # The rejected file's ingest failed; the kpi checks it stopped are not reported as passed.
        page.goto(f"{url}/assets/raw/toex_jobs?view=checks", wait_until="domcontentloaded")
        page.get_by_text("file_accepted").first.wait_for(timeout=60_000)
        page.screenshot(path=str(tmp_path / "raw_toex_jobs_checks.png"), full_page=True)

        # Downstream stays as published: the rejected run planned nothing past ingestion, so the
        # checks it never reached are not shown as failed (in one run they were).
        page.goto(f"{url}/assets/kpis/kpi_values?view=checks", wait_until="domcontentloaded")
        page.get_by_text("quality_gate").first.wait_for(timeout=60_000)
        page.wait_for_timeout(2000)
        assert "Execution failed" not in page.inner_text("body")
        page.screenshot(
            path=str(tmp_path / "kpi_values_checks_after_rejection.png"), full_page=True
        )
        browser.close()
    latest = graphql(url, LATEST_RUNS, {"keys": [{"path": p} for p in DOWNSTREAM]})
    for info in latest["assetsLatestInfo"]:
        assert info["latestRun"] is None or info["latestRun"]["id"] != rejected_run, info
    for asset, check in DOWNSTREAM_CHECKS:
        runs = graphql(url, CHECK_RUNS, {"key": {"path": asset}, "check": check})
        assert rejected_run not in {e["runId"] for e in runs["assetCheckExecutions"]}, check
    for png in tmp_path.glob("*.png"):
        shutil.copy(png, ARTEFACTS / png.name)

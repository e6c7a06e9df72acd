"""The quarterly publisher: files, manifest, determinism, safety of the HTML/xlsx, atomicity."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest

from dagster_project.fiscal import Quarter
from dagster_project.publish import (
    PublishInputError,
    PublishVerificationError,
    file_names,
    neutralise_formula,
    neutralise_urls,
    publish_quarter,
    render_markdown,
    verify_publication,
)
from dagster_project.publish import workbook as workbook_module

Q = Quarter.parse("2025-26 Q1")
EVIL = '=HYPERLINK("http://evil.example/steal","click me")'
WARNING = {
    "check": "website_new_users_not_above_users",
    "asset": "kpi_q2_5_communications",
    "severity": "WARN",
    "passed": False,
    "message": "Website new_users (712) exceed users (387) in 2025-26 Q1",
}
PASSED = {
    "check": "kpi_values_unique",
    "asset": "kpi_values",
    "severity": "ERROR",
    "passed": True,
    "message": "",
}


def _periods(q: Quarter) -> dict[str, tuple[date, date]]:
    return {
        "quarter": (q.start, q.end),
        "since_inception": (date(2021, 4, 1), q.end),
        "as_at": (q.end, q.end),
        "fy_to_date": (q.fy_start, q.end),
    }


def _rows_for(q: Quarter, scale: float = 1.0) -> list[tuple]:
    p = _periods(q)
    rows: list[tuple] = []

    def add(kpi, measure, period, value, unit="count", by="all", bv="all", start=None, end=None):
        s, e = (start, end) if start else p[period]
        rows.append((q.label, kpi, measure, period, s, e, by, bv, float(value), unit))

    # Q1.1 / Q1.4 identifications and safeguarding
    add("Q1.1", "safeguarding_referrals", "quarter", 94 * scale)
    add("Q1.1", "safeguarding_referrals", "since_inception", 997)
    add(
        "Q1.1",
        "safeguarding_referrals",
        "financial_year",
        458,
        start=date(2024, 4, 1),
        end=date(2025, 3, 31),
    )
    add("Q1.1", "ocgs", "since_inception", 38)
    add("Q1.1", "vulnerabilities", "since_inception", 16)
    add("Q1.4", "safeguarding_referrals", "quarter", 94 * scale)
    add("Q1.4", "safeguarding_operations", "quarter", 22)
    add("Q1.4", "safeguarding_referrals", "since_inception", 997)
    # Q1.2 risk scores
    for measure, value in (
        ("assessments", 11),
        ("assessed_operations", 9),
        ("score_increases", 3),
        ("score_decreases", 3),
        ("score_unchanged", 4),
        ("first_assessments", 1),
        ("mean_increase", 45.333333333333336),
        ("mean_decrease", -151.33333333333334),
        ("large_decreases", 1),
    ):
        add(
            "Q1.2",
            measure,
            "quarter",
            value,
            "points" if measure.startswith("mean") else "count",
            "involvement",
            "toex",
        )
    for measure, value in (
        ("assessments", 942),
        ("assessed_operations", 231),
        ("ori_updates", 235),
        ("ori_decreases", 160),
        ("ori_increases", 57),
        ("ori_decreases_first_after_support", 75),
    ):
        add("Q1.2", measure, "since_inception", value, by="involvement", bv="toex")
    add("Q1.2", "score_change_p_value", "since_inception", 0.0312, "share")
    # Q1.3 disruptions
    add("Q1.3", "disruptions", "quarter", 60 * scale, by="involvement", bv="toex")
    add("Q1.3", "disruptions", "quarter", 400, by="involvement", bv="non_toex")
    add("Q1.3", "disrupted_operations", "quarter", 33, by="involvement", bv="toex")
    add("Q1.3", "disruptions", "since_inception", 982, by="involvement", bv="toex")
    add("Q1.3", "disrupted_operations", "since_inception", 285, by="involvement", bv="toex")
    add("Q1.3", "awaiting_moderation", "quarter", 11)
    add("Q1.3", "awaiting_moderation_tool", "quarter", 5)
    add("Q1.3", "tool_disruptions", "since_inception", 87)
    add("Q1.3", "exploitation_share", "since_inception", 0.8207739307535642, "share")
    add("Q1.3", "disruptions", "quarter", 25, by="threat_type", bv="CSA")
    add("Q1.3", "disruptions", "quarter", 35, by="threat_type", bv="MSHT")
    # Q2.1 taskings
    add("Q2.1", "jobs_closed", "quarter", 4, by="origin", bv="proactive")
    add("Q2.1", "jobs_ongoing", "as_at", 56, by="origin", bv="proactive")
    add("Q2.1", "full_support_share", "as_at", 0.4705882352941176, "share", "origin", "proactive")
    add("Q2.1", "full_support_share", "as_at", 0.33, "share", "origin", "tasked")
    add("Q2.1", "mean_days_open", "as_at", 405.8, "days", "origin", "proactive")
    add("Q2.1", "mean_days_open", "as_at", 321.2, "days", "origin", "tasked")
    # Q2.2 client feedback
    add("Q2.2", "responses", "quarter", 33)
    for answer, n in (
        ("Strongly Agree", 26),
        ("Slightly Agree", 3),
        ("Not Applicable", 2),
        ("Slightly Disagree", 2),
    ):
        add("Q2.2", "q1_referral_clear", "quarter", n, by="answer", bv=answer)
    add("Q2.2", "recommend_responses", "since_inception", 166)
    add("Q2.2", "recommend_yes_share", "since_inception", 1.0, "share")
    # Q2.3 unmet demand
    add("Q2.3", "soc_exploitation_operations", "as_at", 1059)
    add("Q2.3", "soc_exploitation_operations", "as_at", 228, by="threat_type", bv="CSA")
    add("Q2.3", "soc_exploitation_share", "as_at", 228 / 1059, "share", "threat_type", "CSA")
    for measure, value in (
        ("assessments", 162),
        ("assessed_operations", 132),
        ("top10_operations", 12),
        ("top10_toex_supported", 2),
    ):
        add("Q2.3", measure, "quarter", value, by="threat_type", bv="CSA")
    add("Q2.3", "toex_supported_operations", "since_inception", 231)
    add("Q2.3", "new_toex_supported_operations", "quarter", 16)
    # Q2.4 HR
    for status, n in (("filled", 130), ("in_progress", 4), ("vacant", 10), ("on_hold", 8)):
        add("Q2.4", "positions", "as_at", n, by="status", bv=status)
    add("Q2.4", "starters", "quarter", 3)
    add("Q2.4", "leavers", "quarter", 7)
    add("Q2.4", "promotions", "quarter", 1)
    add("Q2.4", "mean_length_of_service_days", "as_at", 864.6, "days")
    add("Q2.4", "survey_respondents", "quarter", 86, by="wave", bv="2025-05")
    add("Q2.4", "survey_response_rate", "quarter", 0.68, "share", "wave", "2025-05")
    for answer, share in (("Yes", 0.988), ("Not Sure", 0.012), ("No", 0.0)):
        add("Q2.4", "survey_aims_understood", "quarter", share, "share", "answer", answer)
    add("Q2.4", "survey_aims_understood_yes_change", "quarter", -0.012, "share", "wave", "2025-05")
    # Q2.5 communications: one channel name carries a formula (injection test)
    for (month, last_day), views in zip(((4, 30), (5, 31), (6, 30)), (197, 234, 170), strict=False):
        add(
            "Q2.5",
            "page_views",
            "month",
            views,
            by="channel",
            bv="LinkedIn",
            start=date(q.start.year, month, 1),
            end=date(q.start.year, month, last_day),
        )
    add("Q2.5", "page_views", "quarter", 601, by="channel", bv="LinkedIn")
    add("Q2.5", "users", "quarter", 387, by="channel", bv="Website")
    add("Q2.5", "followers", "quarter", 12, by="channel", bv=EVIL)
    # Q3 / Q4 / Q5 (some measures deliberately absent: the pack says "not available")
    add("Q3.3", "tool_disruptions", "quarter", 4, by="tool", bv="Translation")
    add("Q3.3", "tool_disruptions", "since_inception", 30, by="tool", bv="Translation")
    add("Q3.2", "organisations_accepted", "as_at", 26, by="org_type", bv="force")
    add("Q3.2", "organisations_accepted", "as_at", 4, by="org_type", bv="rocu")
    add("Q4.1", "registered_users", "as_at", 120, by="platform", bv="data_platform")
    add("Q5.1", "costs_gbp", "quarter", 1_234_567.891 * scale, "gbp")
    add("Q5.2", "gross_savings_gbp", "since_inception", 16_345_678.9, "gbp")
    add("Q5.2", "gross_savings_gbp", "quarter", 2_000_000.5, "gbp")
    return rows


def _build_warehouse(path: Path, *, optional_tables: bool = True, full: bool = True) -> Path:
    con = duckdb.connect(str(path))
    con.execute("create schema kpis")
    con.execute("create schema raw")
    con.execute(
        "create table kpis.kpi_values (reporting_quarter varchar, kpi_id varchar, measure varchar, "
        "period_type varchar, period_start date, period_end date, breakdown varchar, "
        "breakdown_value varchar, value double, unit varchar)"
    )
    rows = []
    if full:
        for q, scale in ((Q.previous().previous(), 0.5), (Q.previous(), 0.8), (Q, 1.0)):
            rows += _rows_for(q, scale)
        rows += _rows_for(Q.next(), 2.0)  # a later quarter: never in this pack
    else:
        rows = [r for r in _rows_for(Q) if r[2] in ("safeguarding_referrals",)]
    # Insert in a scrambled order: the export must sort them.
    con.executemany("insert into kpis.kpi_values values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows[::-1])
    con.execute(
        "create table raw.case_studies (quarter varchar, operation_ref varchar, title varchar, "
        "body_markdown varchar, publish boolean)"
    )
    con.executemany(
        "insert into raw.case_studies values (?, ?, ?, ?, ?)",
        [
            (
                Q.label,
                "TARIAN Op 49",
                "Exploitation in Cardiff",
                (
                    "An investigation into exploitation.<script>alert('x')</script>\n\n"
                    "- **TOEX** identified devices, see https://intel.example/report\n"
                    "- CPS charged the male"
                ),
                True,
            ),
            (Q.label, "LONDON Op 35", "Not for publication", "Secret draft", False),
            (Q.previous().label, "NWROCU Op 60", "Last quarter", "Old story", True),
        ],
    )
    if optional_tables:
        con.execute(
            "create table kpis.kpi_toex_risk_score_changes (reporting_quarter varchar, "
            "assessment_id varchar, operation_ref varchar, threat_type varchar, "
            "assessment_date date, previous_score integer, "
            "risk_score integer, score_change integer)"
        )
        con.executemany(
            "insert into kpis.kpi_toex_risk_score_changes values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (Q.label, "A1", "EMSOU Op 3", "CSA", date(2025, 5, 2), 100, 96, -4),
                (Q.label, "A2", "YHROCU Op 7", "CSA", date(2025, 6, 2), 510, 76, -434),
                (Q.label, "A3", "LONDON Op 9", "MSHT", date(2025, 4, 9), 200, 184, -16),
                (Q.label, "A4", "TARIAN Op 2", "OIC", date(2025, 4, 20), 50, 95, 45),
                (Q.label, "A5", "ERSOU Op 5", "MSHT", date(2025, 4, 21), None, 300, None),
            ],
        )
        con.execute(
            "create table kpis.kpi_top10_snapshots ("
            "reporting_quarter varchar, threat_type varchar, "
            "month_end date, top10_rank integer, operation_ref varchar, is_toex_supported boolean)"
        )
        con.executemany(
            "insert into kpis.kpi_top10_snapshots values (?, ?, ?, ?, ?, ?)",
            [
                (Q.label, "CSA", date(2025, m, d), r, f"SEROCU Op {r + m}", r == 1)
                for m, d in ((4, 30), (5, 31), (6, 30))
                for r in (1, 2, 3)
            ],
        )
    con.close()
    return path


@pytest.fixture(scope="module")
def _warehouse_template(tmp_path_factory) -> Path:
    return _build_warehouse(tmp_path_factory.mktemp("template") / "warehouse.duckdb")


@pytest.fixture()
def warehouse(_warehouse_template, tmp_path) -> Path:
    """A private copy of the fixture warehouse (built once per module)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(_warehouse_template, path)
    return path


def _publish(warehouse: Path, root: Path, run_id: str = "run-1", **kwargs):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return publish_quarter(
            con,
            Q,
            root,
            run_id=run_id,
            code_version="abc1234",
            delivery_hashes={"disruptions": "a" * 64, "operations": "b" * 64},
            quality_results=kwargs.pop("quality_results", [WARNING, PASSED]),
            **kwargs,
        )
    finally:
        con.close()


def test_every_file_is_written_and_the_manifest_verifies(warehouse, tmp_path):
    published = _publish(warehouse, tmp_path / "exports")
    names = file_names(Q)
    assert published.path == tmp_path / "exports" / "2025-26-Q1"
    assert published.path.is_symlink()
    assert sorted(p.name for p in published.path.iterdir()) == sorted(
        [*names.values(), "manifest.json"]
    )

    manifest = json.loads((published.path / "manifest.json").read_text())
    assert manifest == published.manifest
    assert manifest["quarter"] == {
        "label": "2025-26 Q1",
        "slug": "2025-26-Q1",
        "start": "2025-04-01",
        "end": "2025-06-30",
    }
    assert manifest["run_id"] == "run-1" and manifest["code_version"] == "abc1234"
    assert manifest["delivery_hashes"] == {"disruptions": "a" * 64, "operations": "b" * 64}
    assert manifest["published_at"]
    n_rows = len(_rows_for(Q))
    assert manifest["files"][names["csv"]]["rows"] == n_rows
    assert manifest["files"][names["parquet"]]["rows"] == n_rows
    assert manifest["files"][names["html"]]["rows"] is None
    sheet_rows = manifest["files"][names["xlsx"]]["rows"]
    assert sum(sheet_rows[q] for q in ("Q1", "Q2", "Q3", "Q4", "Q5")) == n_rows
    assert manifest["quality"] == {"checks": 2, "warnings": 1, "errors": 0}
    verify_publication(published.path)


def test_csv_and_parquet_are_byte_identical_across_runs(warehouse, tmp_path):
    first = _publish(warehouse, tmp_path / "exports", run_id="run-a")
    first_bytes = {
        n: (first.version_dir / n).read_bytes() for n in ("kpi_values.csv", "kpi_values.parquet")
    }
    second = _publish(warehouse, tmp_path / "exports", run_id="run-b")
    assert second.version_dir != first.version_dir
    for name, data in first_bytes.items():
        assert (second.path / name).read_bytes() == data, name
        assert first.manifest["files"][name]["sha256"] == second.manifest["files"][name]["sha256"]

    # The quarter's rows only, sorted, floats to 12 significant digits (run-to-run float noise of
    # parallel aggregation must not reach the published bytes).
    text = (second.path / "kpi_values.csv").read_text()
    records = list(csv.DictReader(io.StringIO(text)))
    assert {r["reporting_quarter"] for r in records} == {"2025-26 Q1"}
    keys = [
        (
            r["kpi_id"],
            r["measure"],
            r["period_type"],
            r["period_start"],
            r["breakdown"],
            r["breakdown_value"],
        )
        for r in records
    ]
    assert keys == sorted(keys)
    share = next(r for r in records if r["measure"] == "exploitation_share")
    assert share["value"] == "0.820773930754"
    assert next(r for r in records if r["measure"] == "responses")["value"] == "33.0"
    table = pq.read_table(second.path / "kpi_values.parquet")
    assert table.num_rows == len(records)
    assert table.column("value").to_pylist() == [float(r["value"]) for r in records]
    assert str(table.schema.field("period_start").type) == "date32[day]"


def test_html_is_self_contained_safe_and_tells_the_figures(warehouse, tmp_path):
    published = _publish(warehouse, tmp_path / "exports")
    html = (published.path / file_names(Q)["html"]).read_text(encoding="utf-8")
    lowered = html.lower()
    assert "http://" not in lowered and "https://" not in lowered
    assert "<script" not in lowered and "src=" not in lowered and "@import" not in lowered
    assert "<title>Evaluation Pack 2025-26 Q1</title>" in html
    # Narrative figures from the fixture
    assert "60 disruptions against 33 operations in 2025-26 Q1" in html
    assert "94 safeguarding referrals were made across 22 operations in 2025-26 Q1" in html
    assert "bringing the total to <strong>997</strong>" in html
    assert "the decrease amounts were -4, -16 and -434" in html
    assert "YHROCU Op 7 decreased from 510 to 76 [-434]" in html
    assert "47% of proactive jobs are full support compared to 33% of tasked jobs" in html
    assert "Proactively identified jobs (406 days)" in html
    assert (
        "26 respondents answered &#39;Strongly Agree&#39;, three answered &#39;Slightly Agree&#39;"
        in html
    )
    assert "100% (n. 166)" in html
    assert "£16.3m" in html
    # Largest decrease first in the detail table
    assert (
        html.index("YHROCU Op 7</td>")
        < html.index("LONDON Op 9</td>")
        < html.index("EMSOU Op 3</td>")
    )
    # Case study: published one only, body escaped and URL neutralised
    assert (
        "Exploitation in Cardiff" in html
        and "Not for publication" not in html
        and "Old story" not in html
    )
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<strong>TOEX</strong> identified devices, see intel.example/report" in html
    # Data quality warning listed; charts are inline SVG
    assert "Website new_users (712) exceed users (387) in 2025-26 Q1" in html
    assert "website_new_users_not_above_users" in html
    assert html.count("<svg ") >= 8
    assert "xmlns" not in html
    # Missing measures degrade instead of failing
    assert "not available" in html


def test_html_when_no_warnings_and_with_revisions(warehouse, tmp_path):
    revisions = [
        {
            "quarter": "2025-26 Q1",
            "kpi": "Q1.3",
            "measure": "disruptions",
            "old_value": 58,
            "new_value": 60,
            "delivery": "delivery-2025-07-15",
        }
    ]
    published = _publish(
        warehouse, tmp_path / "exports", quality_results=[PASSED], revisions=revisions
    )
    html = (published.path / file_names(Q)["html"]).read_text(encoding="utf-8")
    assert "No data-quality warnings were raised for this run." in html
    assert "delivery-2025-07-15" in html and ">58<" in html
    assert published.manifest["revisions"] == 1


def test_xlsx_has_contents_question_sheets_and_neutralised_formulas(warehouse, tmp_path):
    published = _publish(warehouse, tmp_path / "exports")
    wb = openpyxl.load_workbook(published.path / file_names(Q)["xlsx"])
    assert wb.sheetnames == [
        "Contents",
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "Q5",
        "Time series",
        "Risk score changes",
        "Top 10",
        "Definitions",
    ]
    cells = [
        c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None
    ]
    evil = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert evil and all(c.value == "'" + EVIL and c.data_type == "s" for c in evil)
    assert not any(c.data_type == "f" for c in cells)
    link = wb["Contents"]["A5"].hyperlink
    assert link.location == "'Q1'!A1" and not link.target  # an in-workbook link, nothing external
    # Values are numbers with display formats
    q1 = wb["Q1"]
    share = next(r for r in q1.iter_rows(min_row=5) if r[1].value == "exploitation_share")
    assert share[6].value == pytest.approx(0.8207739307535642) and share[6].number_format == "0.0%"
    costs = next(r for r in wb["Q5"].iter_rows(min_row=5) if r[1].value == "costs_gbp")
    assert costs[6].number_format.startswith('"£"')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+44 20", "'+44 20"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        (EVIL, "'" + EVIL),
        ("safe text", "safe text"),
        ("a=b", "a=b"),
        ("", ""),
        ("bad\x00char", "badchar"),
    ],
)
def test_neutralise_formula(text, expected):
    assert neutralise_formula(text) == expected


def test_markdown_headings_and_duplicate_title():
    html = str(render_markdown("# My title\n\n## Background\n\nText <i>", drop_heading="My title"))
    assert "My title" not in html
    assert "<h4>Background</h4>" in html and "<p>Text &lt;i&gt;</p>" in html


def test_markdown_subset_is_escape_first():
    html = str(
        render_markdown("Intro <b>x</b> & more\n\n- **bold** item\n- second\n\nhttps://x.example/a")
    )
    assert "&lt;b&gt;x&lt;/b&gt; &amp; more" in html
    assert "<ul>" in html and "<li><strong>bold</strong> item</li>" in html
    assert "https://" not in html and "x.example/a" in html
    assert (
        neutralise_urls("see HTTPS://a.example and http://b.example")
        == "see a.example and b.example"
    )
    assert "http" not in neutralise_urls("hthttp://tp://x.example and xhttps://y")


def test_a_failure_mid_publish_leaves_the_previous_publication(warehouse, tmp_path, monkeypatch):
    root = tmp_path / "exports"
    first = _publish(warehouse, root, run_id="good")
    before = {p.name: p.read_bytes() for p in first.path.iterdir()}

    def boom(*args, **kwargs):
        raise RuntimeError("disk full while writing the workbook")

    monkeypatch.setattr(workbook_module, "build_workbook", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        _publish(warehouse, root, run_id="bad")

    link = root / Q.slug
    assert os.readlink(link) == os.path.join(".versions", Q.slug, "good")
    assert {p.name: p.read_bytes() for p in link.iterdir()} == before
    verify_publication(link)
    assert sorted(p.name for p in (root / ".versions" / Q.slug).iterdir()) == [".lock", "good"]
    assert not [p for p in root.iterdir() if p.name.startswith(f".{Q.slug}.tmp")]


def test_old_versions_are_pruned_and_same_run_id_gets_a_new_directory(warehouse, tmp_path):
    root = tmp_path / "exports"
    for run in ("r1", "r2", "r3", "r3"):
        published = _publish(warehouse, root, run_id=run, keep_versions=2)
    assert published.version_dir.name == "r3.2"
    versions = sorted(
        p.name for p in (root / ".versions" / Q.slug).iterdir() if not p.name.startswith(".")
    )
    assert versions == ["r3", "r3.2"]
    assert (root / Q.slug).resolve() == published.version_dir.resolve()


def test_verification_detects_a_tampered_file(warehouse, tmp_path):
    published = _publish(warehouse, tmp_path / "exports")
    target = published.version_dir / "kpi_values.csv"
    target.write_bytes(target.read_bytes() + b"x")
    with pytest.raises(PublishVerificationError):
        verify_publication(published.path)


def test_a_quarter_without_figures_is_refused_and_keeps_the_previous(warehouse, tmp_path):
    root = tmp_path / "exports"
    first = _publish(warehouse, root, run_id="good")
    con = duckdb.connect(str(warehouse))
    con.execute("delete from kpis.kpi_values where reporting_quarter = ?", [Q.label])
    con.close()
    with pytest.raises(PublishInputError, match="no rows for 2025-26 Q1"):
        _publish(warehouse, root, run_id="empty")
    assert (root / Q.slug).resolve() == first.version_dir.resolve()
    verify_publication(root / Q.slug)


def test_sparse_warehouse_publishes_with_notes(tmp_path):
    warehouse = _build_warehouse(tmp_path / "sparse.duckdb", optional_tables=False, full=False)
    published = _publish(warehouse, tmp_path / "exports", quality_results=[])
    html = (published.path / file_names(Q)["html"]).read_text(encoding="utf-8")
    assert "94 safeguarding referrals were made across not available operations" in html
    assert "kpi_toex_risk_score_changes is not in the warehouse" in html
    assert "not available" in html
    assert any("kpi_top10_snapshots" in n for n in published.manifest["notes"])
    verify_publication(published.path)


def test_pack_lists_at_most_the_largest_decreases_at_scale(warehouse, tmp_path):
    """A national-scale quarter (thousands of assessments): the pack shows the PACK_DETAIL_ROWS
    largest decreases and says where the rest are; the narrative counts stay whole."""
    from dagster_project.publish.pack import PACK_DETAIL_ROWS

    n = PACK_DETAIL_ROWS + 30
    con = duckdb.connect(str(warehouse))
    con.executemany(
        "insert into kpis.kpi_toex_risk_score_changes values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                Q.label,
                f"B{i}",
                f"SEROCU Op {1000 + i}",
                "CSA",
                date(2025, 5, 1),
                900,
                900 - 200 - i,
                -200 - i,
            )
            for i in range(n)
        ],
    )
    con.close()
    html = (_publish(warehouse, tmp_path / "exports").path / file_names(Q)["html"]).read_text(
        encoding="utf-8"
    )
    assert f"Showing the {PACK_DETAIL_ROWS} largest decreases of {n + 5} assessments" in html
    # The largest decrease (A2, -434) and then -279, -278, … down to the 50th.
    shown = [i for i in range(n) if f"SEROCU Op {1000 + i}</td>" in html]
    assert "YHROCU Op 7</td>" in html and shown == list(range(n - PACK_DETAIL_ROWS + 1, n))
    assert html.index("YHROCU Op 7</td>") < html.index(f"SEROCU Op {1000 + n - 1}</td>")
    assert (
        f"and {n + 1 - PACK_DETAIL_ROWS} more" in html
    )  # n new large decreases plus A2's, 50 listed


def test_float_noise_does_not_reach_the_published_figures():
    from dagster_project.publish.sources import published_row

    a = (
        "2025-26 Q1",
        "Q1.2",
        "mean_increase",
        "quarter",
        None,
        None,
        "all",
        "all",
        92.72835820895523,
        "points",
    )
    b = (*a[:8], 92.72835820895523 + 2e-14, "points")
    assert published_row(a) == published_row(b) and published_row(a).value == 92.728358209
    assert (
        published_row((*a[:8], 3.2e-12, "share")).value == 3.2e-12
    )  # significant digits, not decimals
    assert published_row((*a[:8], None, "count")).value is None

"""The corpus of bad deliveries (tests/corpus/cases.py): every case gives a clear message that
names the file, the row and the rule; rows read = accepted + quarantined + collapsed; a
rejected file leaves the previous good version in place."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from corpus.cases import CASES, OPS_GOOD
from sample_data import TEST_KEY

from dagster_project.contract import contracts
from dagster_project.ingest.delivery import DeliveryError, land, write_demo_marker
from dagster_project.ingest.load import ensure_raw_table, ingest_file, register_delivery
from dagster_project.ingest.reader import FileRejected

assert len(CASES) >= 30


def _write(folder: Path, files: dict) -> None:
    folder.mkdir(parents=True)
    for name, body in files.items():
        if isinstance(body, str) and body.startswith("->"):
            os.symlink(body[2:], folder / name)
        else:
            (folder / name).write_bytes(body.encode() if isinstance(body, str) else body)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_delivery(case, tmp_path, monkeypatch):
    if case.max_line_bytes:
        monkeypatch.setattr("dagster_project.ingest.reader.MAX_LINE_BYTES", case.max_line_bytes)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    landing = tmp_path / "landing"
    # The last good state: a valid delivery of the extract under test (where one is cheap to make).
    good = tmp_path / "good"
    _write(good, {"operations.csv": OPS_GOOD})
    g = land(good, landing)
    register_delivery(con, g)
    ensure_raw_table(con, contracts()["operations"])
    ingest_file(con, contracts()["operations"], g.files["operations"], g.delivery_id, TEST_KEY)
    before = (
        con.execute(f'SELECT * FROM raw."{case.extract}"').fetchall()
        if case.extract == "operations"
        else None
    )

    folder = tmp_path / "bad"
    _write(folder, case.files)
    if case.outcome == "delivery_error":
        with pytest.raises(
            DeliveryError, match=case.message.replace("(", r"\(").replace(")", r"\)")
        ):
            land(folder, landing)
        return
    d = land(folder, landing)
    register_delivery(con, d)
    if case.outcome == "ignored":
        assert case.extract not in d.files or case.extract == "operations"
        assert any(case.message in note for note in d.unexpected), d.unexpected
        return
    results = {}
    for name in contracts():
        if name in d.files:
            ensure_raw_table(con, contracts()[name])
            try:
                results[name] = ingest_file(
                    con, contracts()[name], d.files[name], d.delivery_id, TEST_KEY
                )
            except FileRejected as exc:
                results[name] = exc
    got = results[case.extract]
    if case.outcome == "rejected":
        assert isinstance(got, FileRejected), got
        assert case.message in str(got)
        status, message = con.execute(
            "SELECT status, message FROM ingest.file_loads WHERE load_id = ?",
            [f"{d.delivery_id}/{case.extract}"],
        ).fetchone()
        assert status == "rejected" and case.message in message
        if before is not None:
            assert con.execute(f'SELECT * FROM raw."{case.extract}"').fetchall() == before, (
                "previous version kept"
            )
        return
    assert not isinstance(got, Exception), got
    assert got.reconciles, got
    assert got.rows_counted == got.rows_read, "the independent count agrees with the reader"
    assert (got.rows_accepted, got.rows_quarantined, got.rows_collapsed) == (
        case.accepted,
        case.quarantined,
        case.collapsed,
    )
    rows = con.execute(
        "SELECT file_name, row_number, reason FROM ingest.quarantine WHERE load_id = ? "
        "ORDER BY row_number",
        [f"{d.delivery_id}/{case.extract}"],
    ).fetchall()
    assert [r[1] for r in rows] == case.rows
    for file_name, _, reason in rows:
        assert file_name == d.files[case.extract].file_name and case.message in reason
    con.close()


def test_formula_payloads_are_neutralised_in_the_workbook():
    from dagster_project.publish.text import neutralise_formula

    for payload in (
        '=HYPERLINK("http://x","y")',
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)",
        "-2+3",
        "\t=1",
    ):
        assert neutralise_formula(payload).startswith("'")
    assert neutralise_formula("Arrests made") == "Arrests made"


def _toex_run(env: dict, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "toex"),
            "run",
            "--extracts",
            str(folder),
            "--quarter",
            "2025-26-Q1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.mark.slow
@pytest.mark.runs(0.6)
def test_blocked_delivery_sent_again_is_still_blocked(published_copy, tmp_path):
    """Issue 12 #3: a halved disruptions.csv fails the volume band; the failed delivery must not
    become the baseline, so sending the same folder again fails again (it used to publish)."""
    from dagster_project.publish import verify_publication

    root, env, delivery = published_copy
    bad = tmp_path / "halved"
    shutil.copytree(delivery, bad)
    lines = (bad / "disruptions.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    (bad / "disruptions.csv").write_text("".join(lines[: 1 + (len(lines) - 1) // 2]))
    write_demo_marker(bad)  # still synthetic: demo mode may use the public key for it
    link = root / "exports" / "2025-26-Q1"
    before = (os.readlink(link), verify_publication(link))
    for attempt in (1, 2):
        p = _toex_run(env, bad)
        assert p.returncode == 1, (attempt, p.stderr[-2000:])
        assert "raw/disruptions:quality_gate" in p.stderr and "volume" in p.stderr, (
            attempt,
            p.stderr[-2000:],
        )
        assert (os.readlink(link), verify_publication(link)) == before


@dataclass
class RejectedRun:
    done: subprocess.CompletedProcess
    publication: tuple  # (link target, verify_publication) before the run
    link: Path
    stray_quote_row: int


@pytest.fixture(scope="module")
def rejected_files(private_copy, tmp_path_factory) -> RejectedRun:
    """One `toex run` of the demo delivery with two files refused at ingestion, each for its own
    fault in its own file (`toex_jobs.csv` lacks a required column; a data row of
    `disruptions.csv` holds a stray quote). The two tests below assert on it, each on its own
    file's message (one xdist group, tests/conftest.py): a fault no longer caught loses its
    message and fails its test, as when each had a run of its own."""
    from dagster_project.publish import verify_publication

    root, env, delivery = private_copy(tmp_path_factory.mktemp("rejected_files"))
    bad = root.parent / "bad_delivery"
    shutil.copytree(delivery, bad)
    text = (bad / "toex_jobs.csv").read_text(encoding="utf-8-sig").splitlines()
    drop = text[0].split(",").index("origin")
    (bad / "toex_jobs.csv").write_text(
        "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != drop) for line in text)
        + "\n"
    )
    lines = (bad / "disruptions.csv").read_text(encoding="utf-8-sig").splitlines(keepends=True)
    row = min(3500, len(lines) - 10)
    lines[row] = lines[row].rstrip("\r\n") + ', "Viper op closed\n'
    (bad / "disruptions.csv").write_text("".join(lines))
    write_demo_marker(bad)  # still synthetic: demo mode may use the public key for it
    link = root / "exports" / "2025-26-Q1"
    before = (os.readlink(link), verify_publication(link))
    return RejectedRun(_toex_run(env, bad), before, link, row)


@pytest.mark.slow
def test_rejected_file_blocks_the_run_and_keeps_the_last_publication(rejected_files):
    """Through the whole pipeline: a file missing a required column fails the blocking
    `file_accepted` check, `toex run` exits 1 naming it, and the published quarter is untouched."""
    from dagster_project.publish import verify_publication

    p = rejected_files.done
    assert p.returncode == 1, p.stderr[-2000:]
    assert (
        "raw/toex_jobs:file_accepted" in p.stderr and "missing required column origin" in p.stderr
    ), p.stderr[-2000:]
    link = rejected_files.link
    assert (os.readlink(link), verify_publication(link)) == rejected_files.publication


@pytest.mark.slow
def test_stray_quote_fails_the_run_naming_the_row(rejected_files):
    """Issue 12 #1: a stray quote in a data row used to swallow the rest of the file into one
    empty reject, with exit 0; now the file is refused naming the row and the run exits 1."""
    from dagster_project.publish import verify_publication

    p, row = rejected_files.done, rejected_files.stray_quote_row
    assert p.returncode == 1, p.stderr[-2000:]
    assert "raw/disruptions:file_accepted" in p.stderr and f"row {row} holds a quote" in p.stderr, (
        p.stderr[-2000:]
    )
    link = rejected_files.link
    assert (os.readlink(link), verify_publication(link)) == rejected_files.publication

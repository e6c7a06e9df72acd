"""The synthetic delivery generator: determinism, shape of the folder, headers, scale, mess."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest

from dagster_project.contract import contracts
from dagster_project.generator import (
    DUPLICATE_ROWS,
    EXCEL_EXTRACTS,
    LARGE_EXTRACTS,
    PLANTED_MESS,
    QUARANTINED_ROWS,
    generate,
)
from dagster_project.ingest.delivery import DEMO_MARKER


@pytest.fixture(scope="module")
def delivery(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("delivery")
    return out, generate(out)


def _file(folder: Path, extract: str) -> Path:
    return folder / f"{extract}.{'xlsx' if extract in EXCEL_EXTRACTS else 'csv'}"


def _header(path: Path) -> list[str]:
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        return [str(c).strip().lower() for c in next(ws.iter_rows(max_row=1, values_only=True))]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [c.strip().lower() for c in next(csv.reader(fh))]


def _data_rows(path: Path) -> int:
    if path.suffix == ".xlsx":
        return openpyxl.load_workbook(path, read_only=True).worksheets[0].max_row - 1
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def test_same_seed_same_bytes_and_other_seed_differs(delivery, tmp_path):
    first, _ = delivery
    again, other = tmp_path / "again", tmp_path / "other"
    generate(again)
    generate(other, seed=7)
    for path in sorted(first.iterdir()):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    differs = [
        p.name for p in sorted(first.iterdir()) if (other / p.name).read_bytes() != p.read_bytes()
    ]
    assert {"disruptions.csv", "morile_assessments.csv", "toex_jobs.csv"} <= set(differs)


def test_one_file_per_extract_and_the_demo_marker(delivery):
    folder, counts = delivery
    expected = {_file(folder, name).name for name in contracts()} | {DEMO_MARKER}
    assert {p.name for p in folder.iterdir()} == expected
    assert set(counts) == set(contracts())


def test_headers_hold_every_required_column(delivery):
    folder, _ = delivery
    for name, contract in contracts().items():
        header = _header(_file(folder, name))
        missing = set(contract.required_columns) - set(header)
        assert not missing, f"{name}: missing {sorted(missing)}"
        assert not set(header) - set(contract.names), f"{name}: columns outside the contract"


def test_returned_counts_match_the_files(delivery):
    folder, counts = delivery
    for name, n in counts.items():
        assert _data_rows(_file(folder, name)) == n, name


def test_scale_two_doubles_the_large_extracts(delivery, tmp_path):
    _, base = delivery
    scaled = generate(tmp_path / "x2", scale=2)
    for name in LARGE_EXTRACTS:
        assert 1.8 <= scaled[name] / base[name] <= 2.2, (name, base[name], scaled[name])
    for name in set(contracts()) - set(LARGE_EXTRACTS) - {"operations", "operation_threats"}:
        assert scaled[name] == base[name], name


def test_planted_mess_is_present(delivery):
    folder, _ = delivery
    assert 5 <= QUARANTINED_ROWS <= 15 and DUPLICATE_ROWS >= 3
    assert {m.extract for m in PLANTED_MESS} <= set(contracts())
    assert (folder / "client_feedback.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    jobs = (folder / "toex_jobs.csv").read_text()
    assert "31/02/2025" in jobs and ",tarian," in jobs
    assert "Moderated " in (folder / "disruptions.csv").read_text()
    assert ", msht," in (folder / "operation_threats.csv").read_text()
    for name in ("disruptions", "identifications", "tool_usage", "comms_metrics"):
        lines = _file(folder, name).read_text(encoding="utf-8-sig").splitlines()[1:]
        assert len(lines) > len(set(lines)), f"{name}: no exact duplicate row"


def test_nothing_dated_after_the_extraction(delivery):
    folder, _ = delivery
    for name in ("toex_jobs", "disruptions", "morile_assessments", "identifications"):
        text = _file(folder, name).read_text()
        assert "2025-07-11" not in text and "2025-08" not in text and "/08/2025" not in text

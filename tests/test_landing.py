"""The landing area keeps every delivered file unchanged, content-addressed and read-only."""

from __future__ import annotations

import json
import os
import stat

import pytest
from sample_data import OPERATIONS_OK

from dagster_project.checksums import sha256_file
from dagster_project.ingest.delivery import DeliveryError, land, load_manifest


def test_land_is_immutable_and_replayable(deliveries, tmp_path):
    folder = deliveries.folder({"operations.csv": OPERATIONS_OK, "notes.txt": "hello"})
    landing = tmp_path / "landing"
    d = land(folder, landing)
    f = d.files["operations"]
    assert f.sha256 == sha256_file(folder / "operations.csv")
    assert (landing / "objects" / f.sha256).read_bytes() == (folder / "operations.csv").read_bytes()
    assert stat.S_IMODE(os.stat(f.landed_path).st_mode) == 0o400, "owner read-only"
    assert stat.S_IMODE(os.stat(landing).st_mode) == 0o700
    assert d.unexpected == [
        "'notes.txt': not an extract of the contract (<extract>.csv|.xlsx); ignored"
    ]
    replay = load_manifest(landing, d.delivery_id)
    assert replay == d
    assert (
        json.loads((landing / "deliveries" / f"{d.delivery_id}.json").read_text())["arrived_at"]
        == d.arrived_at
    )
    d2 = land(folder, landing)  # the same content again: a new arrival, no new object
    assert d2.files["operations"].landed_path == f.landed_path
    assert len(list((landing / "objects").iterdir())) == 1


def test_unsafe_entries_and_two_files_for_one_extract(deliveries, tmp_path):
    folder = deliveries.folder({"operations.csv": OPERATIONS_OK})
    os.symlink("/etc/passwd", folder / "costs.csv")
    d = land(folder, tmp_path / "landing")
    assert "costs" not in d.files and "not a regular file" in d.unexpected[0]
    (folder / "costs.csv").unlink()
    (folder / "operations.xlsx").write_bytes(b"x")
    with pytest.raises(DeliveryError, match="two files for extract 'operations'"):
        land(folder, tmp_path / "landing")


def test_missing_folder(tmp_path):
    with pytest.raises(DeliveryError, match="does not exist"):
        land(tmp_path / "nope", tmp_path / "landing")


def test_a_file_changed_after_hashing_is_not_landed(deliveries, tmp_path):
    """The copy is checked against the hash the delivery id and the key check were made from:
    a file that changes in between is refused and nothing of it stays in the landing area."""
    folder = deliveries.folder({"operations.csv": OPERATIONS_OK})
    landing = tmp_path / "landing"

    def append_a_row(files, synthetic_demo):
        with open(files["operations"], "a") as f:
            f.write("LONDON Op 36,LONDON,Metropolitan Police,2022-06-02,,N\n")

    with pytest.raises(DeliveryError, match="operations.csv: changed while being copied"):
        land(folder, landing, before_landing=append_a_row)
    assert list((landing / "objects").iterdir()) == []
    assert list((landing / "deliveries").iterdir()) == []


def test_files_land_at_once_one_object_per_content(deliveries, tmp_path, monkeypatch):
    """Files are hashed and copied on several threads (largest first): each extract still
    lands as its own bytes, files with the same bytes share one object (copied once, never by
    two threads into the same temporary name) and no temporary file is left."""
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    same = "a,b\n1,2\n"
    folder = deliveries.folder(
        {
            "operations.csv": OPERATIONS_OK * 50,
            "hr_staff.csv": same,
            "onboarding.csv": same,
            "tool_usage.csv": "x\n" * 1000,
        }
    )
    landing = tmp_path / "landing"
    d = land(folder, landing)
    assert set(d.files) == {"operations", "hr_staff", "onboarding", "tool_usage"}
    for extract, f in d.files.items():
        assert f.sha256 == sha256_file(folder / f.file_name), extract
        assert (landing / "objects" / f.sha256).read_bytes() == (folder / f.file_name).read_bytes()
    assert d.files["hr_staff"].landed_path == d.files["onboarding"].landed_path
    assert sorted(p.name for p in (landing / "objects").iterdir()) == sorted(
        {f.sha256 for f in d.files.values()}
    )


def test_one_file_changed_among_several_is_named_and_not_landed(deliveries, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    folder = deliveries.folder(
        {"operations.csv": OPERATIONS_OK, "hr_staff.csv": "a\n1\n", "tool_usage.csv": "x\n" * 99}
    )
    landing = tmp_path / "landing"

    def change_hr_staff(files, synthetic_demo):
        with open(files["hr_staff"], "a") as f:
            f.write("2\n")

    with pytest.raises(DeliveryError, match="hr_staff.csv: changed while being copied"):
        land(folder, landing, before_landing=change_hr_staff)
    left = {p.name for p in (landing / "objects").iterdir()}
    assert sha256_file(folder / "hr_staff.csv") not in left
    assert not any(name.startswith(".") for name in left), "no temporary file left"
    assert list((landing / "deliveries").iterdir()) == []

"""The warehouse's memory bound: every connection the platform opens, and dbt's, cap DuckDB's
memory (beyond it DuckDB spills to disk); DuckDB's own default is 80% of the machine."""

from __future__ import annotations

import yaml

from dagster_project import warehouse as wh
from dagster_project.settings import DBT_PROJECT_DIR


def test_connections_cap_duckdb_memory(tmp_path, monkeypatch):
    monkeypatch.delenv(wh.MEMORY_LIMIT_ENV, raising=False)
    with wh.connect(tmp_path / "w.duckdb") as con:
        assert (
            con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "953.6 MiB"
        )  # 1GB
    monkeypatch.setenv(wh.MEMORY_LIMIT_ENV, "512MB")
    with wh.connect(tmp_path / "w.duckdb", read_only=True) as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == "488.2 MiB"


def test_dbt_profile_reads_the_same_limit():
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["toex"]["outputs"][
        "duckdb"
    ]
    limit = profile["settings"]["memory_limit"]
    assert wh.MEMORY_LIMIT_ENV in limit and f"'{wh.DEFAULT_MEMORY_LIMIT}'" in limit


def test_dbt_threads_by_delivery_size(monkeypatch):
    from dagster_project.dbt_project import LARGE_RAW_ROWS, THREADS_ENV, dbt_threads

    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert dbt_threads(36_831) == 2 and dbt_threads(LARGE_RAW_ROWS + 1) == 1
    monkeypatch.setenv(THREADS_ENV, "4")
    assert dbt_threads(LARGE_RAW_ROWS + 1) == 4


def test_copy_file_gives_the_same_bytes(tmp_path, monkeypatch):
    """The analysts' warehouse copy is written with direct I/O in whole blocks: every size (empty,
    under, at and over a block and a chunk) comes out byte for byte, cut to the source's size."""
    import os

    import pytest

    monkeypatch.setattr(wh, "DIRECT_CHUNK", 4 * wh.DIRECT_BLOCK)  # several chunks, small files
    block, chunk = wh.DIRECT_BLOCK, wh.DIRECT_CHUNK
    for size in (0, 1, block - 1, block, block + 1, chunk, chunk + 1, 3 * chunk + 17):
        source, target = tmp_path / f"s{size}", tmp_path / f"t{size}"
        source.write_bytes(os.urandom(size))
        wh.copy_file(source, target)
        assert target.read_bytes() == source.read_bytes(), size
    with pytest.raises(FileExistsError):  # never over an existing file
        wh.copy_file(source, target)


def test_copy_file_without_direct_io(tmp_path, monkeypatch):
    """A file system that refuses direct I/O (EINVAL) gets a plain copy, nothing half-written."""
    import errno
    import os

    def refuse(source, target, direct):
        target.write_bytes(b"partial")
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(wh, "_copy_direct", refuse)
    source, target = tmp_path / "s", tmp_path / "t"
    source.write_bytes(os.urandom(10_000))
    wh.copy_file(source, target)
    assert target.read_bytes() == source.read_bytes()

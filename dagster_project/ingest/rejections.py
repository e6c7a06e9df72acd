"""Inbox delivery folders whose ingestion was refused, so a default launch does not pick them again.

A folder is known by its path and its stamp (the newest modification time of its entries): the
supplier re-delivering into the same folder changes the stamp, and the folder is a candidate again.
Kept in the warehouse (`ingest.rejected_folders`) beside the rest of the ingestion record.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

DDL = """CREATE TABLE IF NOT EXISTS ingest.rejected_folders (
    source_dir VARCHAR, stamp DOUBLE, delivery_id VARCHAR, reason VARCHAR,
    rejected_at TIMESTAMP DEFAULT current_timestamp)"""


def folder_stamp(folder: Path) -> float:
    """The newest modification time among the folder's entries (the folder's own when empty)."""
    return max((p.stat().st_mtime for p in folder.iterdir()), default=folder.stat().st_mtime)


def record(con: duckdb.DuckDBPyConnection, source_dir: str | Path, reason: str, delivery_id: str = "") -> None:
    folder = Path(source_dir)
    if not folder.is_dir():  # a replay of a folder that has since gone: nothing to skip later
        return
    con.execute("CREATE SCHEMA IF NOT EXISTS ingest")
    con.execute(DDL)
    con.execute("INSERT INTO ingest.rejected_folders (source_dir, stamp, delivery_id, reason) VALUES (?, ?, ?, ?)",
                [str(folder.resolve()), folder_stamp(folder), delivery_id, reason])


def rejection_of(con: duckdb.DuckDBPyConnection, folder: Path) -> str | None:
    """Why this folder, as it is now, was refused; None if it never was (or changed since)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS ingest")
    con.execute(DDL)
    row = con.execute("SELECT reason FROM ingest.rejected_folders WHERE source_dir = ? AND stamp >= ? "
                      "ORDER BY rejected_at DESC LIMIT 1", [str(folder.resolve()), folder_stamp(folder)]).fetchone()
    return row[0] if row else None

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


def record(
    con: duckdb.DuckDBPyConnection, source_dir: str | Path, reason: str, delivery_id: str = ""
) -> None:
    folder = Path(source_dir)
    stamp = (
        folder_stamp(folder) if folder.is_dir() else None
    )  # a replayed delivery's folder may be gone
    con.execute("CREATE SCHEMA IF NOT EXISTS ingest")
    con.execute(DDL)
    con.execute(
        "INSERT INTO ingest.rejected_folders (source_dir, stamp, delivery_id, reason) "
        "VALUES (?, ?, ?, ?)",
        [str(folder.resolve()), stamp, delivery_id, reason],
    )


def rejection_of(con: duckdb.DuckDBPyConnection, folder: Path) -> str | None:
    """Why this folder, as it is now, was refused; None if it never was (or changed since)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS ingest")
    con.execute(DDL)
    row = con.execute(
        "SELECT reason FROM ingest.rejected_folders WHERE source_dir = ? AND stamp >= ? "
        "ORDER BY rejected_at DESC LIMIT 1",
        [str(folder.resolve()), folder_stamp(folder)],
    ).fetchone()
    return row[0] if row else None


def reusable_delivery(con: duckdb.DuckDBPyConnection) -> str | None:
    """The landed delivery a launch with an empty inbox re-uses: the current one, unless its
    ingestion was refused; then the newest landed delivery that was not."""
    con.execute(DDL)
    row = con.execute(
        """
        SELECT d.delivery_id FROM ingest.deliveries d
        LEFT JOIN ingest.current_delivery c USING (delivery_id)
        WHERE NOT EXISTS """
        """(SELECT 1 FROM ingest.rejected_folders r WHERE r.delivery_id = d.delivery_id)
        ORDER BY c.delivery_id IS NULL, d.arrived_at DESC, """
        """d.registered_at DESC LIMIT 1"""
    ).fetchone()
    return row[0] if row else None

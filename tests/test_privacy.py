"""No personal value of the demo delivery reaches the warehouse, the analysts' copy, an
export or the run's logs (emails, staff numbers, names)."""

from __future__ import annotations

import csv
import io
import os
import stat
from pathlib import Path

import duckdb
import pytest

from dagster_project.contract import contracts

pytestmark = pytest.mark.slow


def _personal_values(delivery: Path) -> set[str]:
    values: set[str] = set()
    for c in contracts().values():
        personal = [col.name for col in c.personal_columns]
        if not personal:
            continue
        path = next(delivery.glob(f"{c.extract}.*"))
        if path.suffix == ".xlsx":
            import openpyxl

            ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
            rows = ws.iter_rows(values_only=True)
            header = [str(h).strip().lower() for h in next(rows)]
            records = [dict(zip(header, r, strict=False)) for r in rows]
        else:
            records = list(
                csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig", errors="replace")))
            )
            records = [{(k or "").strip().lower(): v for k, v in r.items()} for r in records]
        for r in records:
            for col in personal:
                v = str(r.get(col) or "").strip()
                if len(v) >= 5:
                    values.add(v.lower())
    return values


def _scan_duckdb(path: Path, needles: set[str]) -> list[str]:
    """Every text column of every table and view, as `schema.table.column: needle…` for each
    column holding a value that contains a needle (case-insensitive). Each column's distinct
    values are gathered first and searched once: a value seen in many rows or columns is
    searched once (~1 s a warehouse at scale 1, where a search per column took ~14 s)."""
    hits = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        text_columns = con.execute(
            """SELECT table_schema, table_name, column_name FROM information_schema.columns
            WHERE data_type = 'VARCHAR'"""
        ).fetchall()
        con.execute(
            "CREATE TEMP TABLE needles AS SELECT unnest(?::VARCHAR[]) AS n", [sorted(needles)]
        )
        con.execute("CREATE TEMP TABLE text_values (col VARCHAR, v VARCHAR)")
        shortest = min(map(len, needles))
        for schema, table, column in text_columns:
            con.execute(
                f"""INSERT INTO text_values SELECT DISTINCT ?, lower("{column}")
                FROM "{schema}"."{table}" WHERE length("{column}") >= ?""",
                [f"{schema}.{table}.{column}", shortest],
            )
        found = con.execute(
            """WITH hits AS (SELECT DISTINCT n FROM (SELECT DISTINCT v FROM text_values)
                JOIN needles ON contains(v, n))
            SELECT col, min(n) FROM text_values JOIN hits ON contains(v, n)
            GROUP BY col ORDER BY col"""
        ).fetchall()
        hits += [f"{path.name}:{col}: {n[:3]}…" for col, n in found]
    finally:
        con.close()
    return hits


def test_no_personal_value_anywhere(demo_run):
    settings, outcome, delivery = demo_run
    needles = _personal_values(delivery)
    assert len(needles) > 100, "the demo delivery carries personal values to look for"
    hits = _scan_duckdb(settings.warehouse, needles)
    published = settings.exports.parent / "published" / "toex.duckdb"
    if published.exists():
        hits += _scan_duckdb(published, needles)
    files = [p for p in settings.exports.rglob("*") if p.is_file()]
    files += [
        p
        for p in (settings.exports.parent / "published").rglob("*")
        if p.is_file() and p.suffix != ".duckdb"
    ]
    for p in files:
        if p.suffix == ".xlsx":
            import zipfile

            blob = " ".join(
                zipfile.ZipFile(p).read(n).decode("utf-8", "replace")
                for n in zipfile.ZipFile(p).namelist()
            )
        elif p.suffix == ".parquet":
            blob = duckdb.sql(f"SELECT * FROM read_parquet('{p}')").df().to_csv()
        else:
            blob = p.read_bytes().decode("utf-8", "replace")
        blob = blob.lower()
        hits += [f"{p.name}: {n[:3]}…" for n in needles if n in blob]
    log_blob = "\n".join(demo_run.log_lines).lower()
    hits += [f"log: {n[:3]}…" for n in needles if n in log_blob]
    assert hits == []


def test_warehouse_and_landing_are_owner_only(demo_run):
    settings, _, _ = demo_run
    assert stat.S_IMODE(os.stat(settings.warehouse).st_mode) & 0o077 == 0
    for obj in (settings.landing / "objects").iterdir():
        assert stat.S_IMODE(os.stat(obj).st_mode) == 0o400


def test_the_scan_finds_a_value_inside_any_text_column_in_any_case(tmp_path):
    """The scanner above can fail: a needle inside a longer value, in another case, in a view
    and a table of another schema, is reported for each column holding it."""
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.t (id INTEGER, note VARCHAR, code VARCHAR)")
    con.execute(
        "INSERT INTO marts.t VALUES (1, 'seen by Jane.Doe@Example.org today', 'abc'), "
        "(2, NULL, 'x')"
    )
    con.execute("CREATE VIEW main.v AS SELECT upper(note) AS shout FROM marts.t")
    con.close()
    hits = _scan_duckdb(path, {"jane.doe@example.org", "someone else"})
    assert hits == ["w.duckdb:main.v.shout: jan…", "w.duckdb:marts.t.note: jan…"], hits
    assert _scan_duckdb(path, {"nobody@example.org"}) == []

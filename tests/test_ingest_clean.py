"""Cleaning a value (ingest/rules.py `clean`): trimmed of spaces, tabs, line feeds and carriage
returns at either end, blank -> NULL, whatever shortcut the SQL takes for values that need no
trimming."""

from __future__ import annotations

import itertools

import duckdb

from dagster_project.ingest import rules

EDGES = ["", " ", "\t", "\n", "\r", "\r\n", " \t ", "\u00a0", "\u2003", "\u0301", "\u0600 "]
CORES = [None, "", "a", "a b", "é", "x\ty", "Op 49", "12.0", "\u00a0x\u00a0", "'quoted'"]


def test_clean_is_trim_of_the_four_characters_then_blank_to_null():
    values = (
        [None]
        + [
            left + core + right
            for left, core, right in itertools.product(EDGES, [c for c in CORES if c], EDGES)
        ]
        + ["".join(p) for p in itertools.product(EDGES[:6], repeat=2)]
    )
    con = duckdb.connect()
    con.execute("CREATE TABLE v (c VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?)", [[x] for x in values])
    got = con.execute(f"SELECT c, {rules.clean('c')} FROM v").fetchall()
    assert len(got) == len(values) > 1000
    for raw, cleaned in got:
        expected = None if raw is None else (raw.strip(" \t\n\r") or None)
        assert cleaned == expected, (raw, cleaned)

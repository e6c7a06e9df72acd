"""Volume for `scale > 1`: rows appended to the large extracts, streamed by DuckDB.

Extra rows sit on extra operations (`<team> Op 1xxxxx`, appended to operations and
operation_threats) so the calibrated scale-1 rows stay untouched and every reference
resolves. Every value is a pure function of (row number, column salt, seed) through
DuckDB's `hash`, so the output is deterministic and needs no Python per row; DuckDB
writes each block to a temporary CSV (bounded memory) that is appended to the file.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import duckdb

from dagster_project.contract import code_lists

from .common import EXTRACTED, INCEPTION, TEAM_FORCES, TEAMS, TERRITORIAL, Table, month_starts, ym
from .tools import TOOL_START, UNIT_TYPE

log = logging.getLogger("toex.generator")
CE_LIVE = min(TOOL_START.values())  # tools exist from the Capabilities Environment's go-live

THREATS: tuple[str, ...] = code_lists()["threat_type"]
SUB_THREATS: tuple[str, ...] = code_lists()["sub_threat"]
CATEGORIES = ("safeguarding_referral", "priority_individual", "ocg", "vulnerability")
ORGS = tuple(TERRITORIAL) + tuple(TEAMS)


def _list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _macros(con: duckdb.DuckDBPyConnection, seed: int, n_ops: int) -> None:
    forces = "[" + ", ".join(_list(TEAM_FORCES[t] or TERRITORIAL) for t in TEAMS) + "]"
    end = f"DATE '{EXTRACTED.isoformat()}'"
    con.execute(
        f"""
        CREATE MACRO u(i, salt) AS (hash(i, salt, {seed}) % 1000003) / 1000003.0;
        CREATE MACRO pick(i, salt, n) AS CAST(hash(i, salt, {seed}) % n AS BIGINT) + 1;
        CREATE MACRO op_team_no(i) AS pick(i, 1, {len(TEAMS)});
        CREATE MACRO op_team(i) AS {_list(TEAMS)}[op_team_no(i)];
        CREATE MACRO op_ref(i) AS op_team(i) || ' Op ' || CAST(100000 + i AS VARCHAR);
        CREATE MACRO op_opened(i) AS DATE '{INCEPTION.isoformat()}' """
        f"""+ CAST(floor(u(i, 2) * 1550) AS INTEGER);
        CREATE MACRO op_closed(i) AS CASE WHEN u(i, 3) < 0.3 THEN least(
            op_opened(i) + 30 + CAST(floor(u(i, 4) * 700) AS INTEGER), {end}) END;
        CREATE MACRO op_last(i) AS least(coalesce(op_closed(i), {end}), {end});
        CREATE MACRO op_day(i, r, salt) AS op_opened(i)
            + CAST(floor(u(r, salt) * (op_last(i) - op_opened(i) + 1)) AS INTEGER);
        CREATE MACRO op_of(j, salt) AS pick(j, salt, {n_ops});
        CREATE MACRO forces_of(i) AS {forces}[op_team_no(i)];
        CREATE MACRO padded(prefix, j) AS prefix || lpad(CAST(j AS VARCHAR), 9, '0');
    """
    )


def _copy(con, sql: str, target: Path, tmp: Path) -> None:
    part = tmp / f"{target.stem}.part.csv"
    con.execute(f"COPY ({sql}) TO '{part}' (FORMAT csv, HEADER false, NEW_LINE '\r\n')")
    with target.open("ab") as out, part.open("rb") as src:
        shutil.copyfileobj(src, out, 1 << 20)
    part.unlink()


def append_scaled(out_dir: Path, tables: dict[str, Table], seed: int, scale: int) -> dict[str, int]:
    k = scale - 1
    base = {name: len(t.rows) for name, t in tables.items()}
    n_ops = k * base["operations"]
    counts = {
        "operations": n_ops,
        "operation_threats": n_ops,
        "toex_jobs": k * base["toex_jobs"],
        "disruptions": k * base["disruptions"],
        "morile_assessments": k * base["morile_assessments"],
        "identifications": k * base["identifications"],
    }
    tmp = Path(tempfile.mkdtemp(prefix="toex-scale-"))
    try:
        con = duckdb.connect(
            config={
                "threads": 2,
                "preserve_insertion_order": True,
                "memory_limit": "2GB",
                "temp_directory": str(tmp),
            }
        )
        con.execute("SET enable_progress_bar = false")
        _macros(con, seed, n_ops)

        def f(name: str) -> Path:
            return out_dir / f"{name}.csv"

        _copy(
            con,
            f"""SELECT op_ref(i), op_team(i),
                   forces_of(i)[pick(i, 6, len(forces_of(i)))],
                   strftime(op_opened(i), '%Y-%m-%d'), strftime(op_closed(i), '%Y-%m-%d'),
                   CASE WHEN u(i, 5) < 0.85 THEN 'Y' ELSE 'N' END
            FROM range(1, {n_ops + 1}) t(i)""",
            f("operations"),
            tmp,
        )
        _copy(
            con,
            f"""SELECT op_ref(i), {_list(THREATS)}[pick(i, 7, {len(THREATS)})],
                   CASE WHEN u(i, 8) < 0.5 THEN {_list(SUB_THREATS)}[pick(i, 9, 6)] END
            FROM range(1, {n_ops + 1}) t(i)""",
            f("operation_threats"),
            tmp,
        )
        log.info("scale: %d extra operations", n_ops)

        # Jobs (the tracker writes UK dates).
        _copy(
            con,
            f"""WITH s AS (SELECT j, op_of(j, 10) AS i
                              FROM range(1, {counts["toex_jobs"] + 1}) t(j)),
            d AS (SELECT j, i, op_day(i, j, 11) AS alloc FROM s),
            c AS (SELECT *, CASE WHEN u(j, 12) < 0.6 THEN least(
                      alloc + 14 + CAST(floor(u(j, 13) * 600) AS INTEGER), DATE '2025-07-10') END
                      AS closed FROM d)
            SELECT padded('IWT-X', j), op_ref(i), op_team(i),
                   CASE WHEN u(j, 14) < 0.25 THEN 'proactive' ELSE 'tasked' END,
                   CASE WHEN u(j, 15) < 0.37 THEN 'full' ELSE 'partial' END,
                   strftime(alloc, '%d/%m/%Y'), strftime(closed, '%d/%m/%Y'),
                   CASE WHEN closed IS NULL THEN 'ongoing' ELSE 'closed' END
            FROM c""",
            f("toex_jobs"),
            tmp,
        )

        _copy(
            con,
            f"""WITH s AS (SELECT j, op_of(j, 16) AS i
                              FROM range(1, {counts["disruptions"] + 1}) t(j)),
            d AS (SELECT j, i, op_day(i, j, 17) AS day, u(j, 18) AS st FROM s)
            SELECT padded('DIS-X', j), op_ref(i), strftime(day, '%Y-%m-%d'),
                   {_list(THREATS)}[pick(j, 19, {len(THREATS)})],
                   ['major', 'moderate', 'minor'][pick(j, 20, 3)],
                   CASE WHEN st < 0.86 THEN 'moderated' WHEN st < 0.94 THEN 'rejected'
                        ELSE 'awaiting' END,
                   CASE WHEN st < 0.86 THEN strftime(least(day + 2 + CAST(floor(u(j, 21) * 38)
                        AS INTEGER), DATE '2025-07-10'), '%Y-%m-%d') END,
                   CASE WHEN u(j, 22) < 0.25 THEN 'TRUE' ELSE 'FALSE' END,
                   CASE WHEN day >= DATE '2023-09-01' AND u(j, 23) < 0.03
                        THEN {_list(TOOL_START)}[pick(j, 24, {len(TOOL_START)})] END,
                   NULL
            FROM d""",
            f("disruptions"),
            tmp,
        )

        _copy(
            con,
            f"""WITH s AS (SELECT j, op_of(j, 25) AS i
                              FROM range(1, {counts["morile_assessments"] + 1}) t(j))
            SELECT padded('MRL-X', j), op_ref(i), {_list(THREATS)}[pick(j, 26, {len(THREATS)})],
                   strftime(op_day(i, j, 27), '%Y-%m-%d'), CAST(floor(u(j, 28) * 1150) AS INTEGER),
                   CASE WHEN u(j, 29) < 0.3 THEN NULL ELSE pick(j, 30, 5) END
            FROM s""",
            f("morile_assessments"),
            tmp,
        )

        # Identifications come in pairs sharing a record_ref (APMIS, then IWT).
        _copy(
            con,
            f"""WITH s AS (SELECT j, (j + 1) // 2 AS r
                              FROM range(1, {counts["identifications"] + 1}) t(j)),
            d AS (SELECT j, r, op_of(r, 31) AS i, j % 2 = 1 AS apmis FROM s)
            SELECT padded(CASE WHEN apmis THEN 'APM-ID-X' ELSE 'IWT-ID-X' END, j),
                   CASE WHEN apmis THEN 'APMIS' ELSE 'IWT' END, padded('REF-X', r), op_ref(i),
                   strftime(op_day(i, r, 32), '%Y-%m-%d'),
                   {_list(CATEGORIES)}[pick(r, 33, 4)],
                   CASE WHEN apmis THEN (CASE WHEN u(j, 34) < 0.92 THEN '1' ELSE '0' END)
                        ELSE (CASE WHEN u(j, 34) < 0.92 THEN 'Y' ELSE 'N' END) END
            FROM d""",
            f("identifications"),
            tmp,
        )

        counts["tool_usage"] = _tool_usage(con, tables["tool_usage"], k, seed, f("tool_usage"), tmp)
        con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return counts


def _tool_usage(con, base: Table, k: int, seed: int, target: Path, tmp: Path) -> int:
    """Month x tool x organisation is the key: extra rows take unused combinations, capped.

    Only deployed tools, from the Capabilities Environment's go-live (May 2022): about 11k
    extra rows at most, so tool_usage stops growing beyond scale ~5.
    """
    months = [ym(m) for m in month_starts(CE_LIVE, EXTRACTED)]
    con.execute("CREATE TABLE used (month VARCHAR, tool VARCHAR, organisation VARCHAR)")
    con.executemany("INSERT INTO used VALUES (?, ?, ?)", sorted({tuple(r[:3]) for r in base.rows}))
    con.execute(f"""CREATE TABLE free AS
        SELECT m.month, t.tool, o.organisation
        FROM (SELECT unnest({_list(months)}) AS month) m
        CROSS JOIN (SELECT unnest({_list(TOOL_START)}) AS tool) t
        CROSS JOIN (SELECT unnest({_list(ORGS)}) AS organisation) o
        EXCEPT SELECT month, tool, organisation FROM used""")
    available = con.execute("SELECT count(*) FROM free").fetchone()[0]
    n = min(k * len(base.rows), available)
    if n < k * len(base.rows):
        log.warning(
            "tool_usage: capped at %d extra rows (every month x tool x organisation "
            "combination used)",
            n,
        )
    unit_type = (
        "CASE tool " + " ".join(f"WHEN '{t}' THEN '{u}'" for t, u in UNIT_TYPE.items()) + " END"
    )
    _copy(
        con,
        f"""WITH s AS (SELECT *, hash(month, tool, organisation, {seed}) AS h FROM free
                              ORDER BY h, month, tool, organisation LIMIT {n})
        SELECT month, tool, organisation, 1 + CAST(h % 12 AS INTEGER) AS active_users,
               1 + CAST((h // 12) % 60 AS INTEGER) AS jobs,
               10 + CAST((h // 720) % 50000 AS INTEGER) AS units, {unit_type}
        FROM s""",
        target,
        tmp,
    )
    return n

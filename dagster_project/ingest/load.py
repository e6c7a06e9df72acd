"""Ingest one landed extract file into `raw.<extract>`, quarantining what breaks the contract.

For every file: rows read = rows accepted + rows quarantined + exact duplicates collapsed,
checked here and recorded in `ingest.file_loads`. A file that cannot be used at all (a
required column missing, unreadable, wrong encoding) is rejected whole: `raw.<extract>`
keeps the previous good version and the rejection is recorded with its reason.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from dagster_project.contract import Contract, raw_table_ddl
from dagster_project.ingest import pseudonym, rules
from dagster_project.ingest.delivery import Delivery, LandedFile, check_delivery_id
from dagster_project.ingest.reader import FileRejected, read_file, release
from dagster_project.ingest.rules import quote_identifier, sql_literal

log = logging.getLogger("toex.ingest")

META_DDL = (
    """
CREATE SCHEMA IF NOT EXISTS ingest;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE TABLE IF NOT EXISTS ingest.deliveries (
    delivery_id VARCHAR PRIMARY KEY, source_dir VARCHAR, arrived_at VARCHAR, files INTEGER,
    unexpected VARCHAR[], registered_at TIMESTAMP DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS ingest.delivery_files (
    delivery_id VARCHAR, extract VARCHAR, file_name VARCHAR, sha256 VARCHAR, bytes BIGINT,
    landed_path VARCHAR, PRIMARY KEY (delivery_id, extract));
CREATE TABLE IF NOT EXISTS ingest.file_loads (
    load_id VARCHAR, delivery_id VARCHAR, extract VARCHAR, file_name VARCHAR, sha256 VARCHAR,
    status VARCHAR, message VARCHAR, encoding VARCHAR, rows_read BIGINT, rows_accepted BIGINT,
    rows_quarantined BIGINT, rows_collapsed BIGINT, unknown_columns VARCHAR[], seconds DOUBLE,
    loaded_at TIMESTAMP DEFAULT current_timestamp);
ALTER TABLE ingest.file_loads ADD COLUMN IF NOT EXISTS rows_counted BIGINT;
ALTER TABLE ingest.file_loads ADD COLUMN IF NOT EXISTS missing_columns VARCHAR[];
CREATE TABLE IF NOT EXISTS ingest.current_delivery (delivery_id VARCHAR, activated_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS ingest.blocked_deliveries (
    delivery_id VARCHAR, check_name VARCHAR, reason VARCHAR, """
    """blocked_at TIMESTAMP DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS ingest.quarantine (
    load_id VARCHAR, delivery_id VARCHAR, extract VARCHAR, file_name VARCHAR, row_number BIGINT,
    reason VARCHAR, row_json VARCHAR);
"""
)

QUARANTINE_JSON_CHARS = 2_000


@dataclass
class IngestResult:
    extract: str
    delivery_id: str
    file_name: str
    status: str  # loaded | rejected
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    rows_collapsed: int = 0
    rows_counted: int = 0  # the file's data records, counted independently of the reader
    unknown_columns: list[str] = field(default_factory=list)
    missing_columns: list[str] = field(
        default_factory=list
    )  # optional contract columns absent from the header
    encoding: str = ""
    message: str = ""
    seconds: float = 0.0
    reasons: dict[str, int] = field(default_factory=dict)  # rule -> rows quarantined for it

    @property
    def reconciles(self) -> bool:
        """Every record the file holds (counted independently) is accepted, quarantined or
        collapsed."""
        accounted = self.rows_accepted + self.rows_quarantined + self.rows_collapsed
        return self.rows_counted == self.rows_read == accounted

    def as_dict(self) -> dict:
        return asdict(self)


def ensure_meta(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(META_DDL)


def register_delivery(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> None:
    ensure_meta(con)
    con.execute("DELETE FROM ingest.delivery_files WHERE delivery_id = ?", [delivery.delivery_id])
    con.execute("DELETE FROM ingest.deliveries WHERE delivery_id = ?", [delivery.delivery_id])
    con.execute(
        "INSERT INTO ingest.deliveries (delivery_id, source_dir, arrived_at, files, unexpected) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            delivery.delivery_id,
            delivery.source_dir,
            delivery.arrived_at,
            len(delivery.files),
            delivery.unexpected,
        ],
    )
    for f in delivery.files.values():
        con.execute(
            "INSERT INTO ingest.delivery_files VALUES (?, ?, ?, ?, ?, ?)",
            [delivery.delivery_id, f.extract, f.file_name, f.sha256, f.bytes, f.landed_path],
        )


def header_key(name: str) -> str:
    """A header cell as matched against the contract: compatibility forms folded (a no-break
    space is a space), format characters (zero-width space, BOM, direction marks, soft hyphen)
    removed, trimmed, lower case. Spreadsheets add these invisibly; they never name a column."""
    folded = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in folded if unicodedata.category(ch) != "Cf").strip().lower()


def block_current_delivery(
    con: duckdb.DuckDBPyConnection, check_name: str, reason: str
) -> str | None:
    """Record that the current delivery failed a blocking gate: it is then never the baseline of
    a later check (quality/runner.py, `previous_row_count`), so sending it again fails again."""
    ensure_meta(con)
    row = con.execute(
        "SELECT delivery_id FROM ingest.current_delivery ORDER BY activated_at DESC LIMIT 1"
    ).fetchone()
    if not row:
        return None
    con.execute(
        "INSERT INTO ingest.blocked_deliveries (delivery_id, check_name, reason) VALUES (?, ?, ?)",
        [row[0], check_name, reason[:1000]],
    )
    log.warning(
        "delivery %s failed the blocking check %s: it will not be the baseline of later checks",
        row[0],
        check_name,
    )
    return row[0]


def _map_header(
    contract: Contract, header: list[str], file_name: str
) -> tuple[dict[str, str], list[str], list[str]]:
    """{contract column: file column cN}, the unknown extra columns and the optional contract
    columns missing from the header."""
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        key = header_key(h)
        if key != h.strip().lower() and key in contract.names:
            log.warning(
                "%s: header %r read as %r (invisible characters removed)", file_name, h, key
            )
        if key == "":
            raise FileRejected(f"{file_name}: header column {i + 1} is blank")
        if key in seen:
            raise FileRejected(f"{file_name}: column {h!r} appears twice in the header")
        seen[key] = i
    missing = [c for c in contract.required_columns if c not in seen]
    if missing:
        raise FileRejected(
            f"{file_name}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (extract {contract.extract}); "
            "file rejected, previous version kept"
        )
    names = set(contract.names)
    mapping = {c: f"c{seen[c]}" for c in contract.names if c in seen}
    unknown = [h for h in header if header_key(h) not in names]
    absent = [c for c in contract.names if c not in seen]
    return mapping, unknown, absent


def _raw_record_json(contract: Contract, raw: str | None) -> str:
    """What the quarantine keeps of a record the reader could not split into columns. Its
    columns are unknown, so a personal value in it cannot be pseudonymised alone: for an
    extract with personal columns the text is withheld (its length kept), else kept (cut)."""
    text = raw or ""
    if contract.personal_columns:
        return json.dumps(
            {
                "raw_record": None,
                "raw_record_chars": len(text),
                "withheld": "extract has personal columns: "
                + ", ".join(c.name for c in contract.personal_columns),
            }
        )
    return json.dumps({"raw_record": text[:QUARANTINE_JSON_CHARS], "raw_record_chars": len(text)})


def _record(con, load_id: str, r: IngestResult, sha: str) -> None:
    con.execute(
        """INSERT INTO ingest.file_loads (load_id, delivery_id, extract, file_name, sha256, """
        """status, message,
           encoding, rows_read, rows_accepted, rows_quarantined, rows_collapsed, """
        """unknown_columns, seconds,
           rows_counted, missing_columns)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            load_id,
            r.delivery_id,
            r.extract,
            r.file_name,
            sha,
            r.status,
            r.message,
            r.encoding,
            r.rows_read,
            r.rows_accepted,
            r.rows_quarantined,
            r.rows_collapsed,
            r.unknown_columns,
            round(r.seconds, 3),
            r.rows_counted,
            r.missing_columns,
        ],
    )


def _mark_repeats(
    con: duckdb.DuckDBPyConnection,
    checked: str,
    rows: str,
    keys: list[str],
    every: str,
    key_names: list[str],
) -> None:
    """Among the rows that pass every rule, mark exact duplicates of an earlier row collapsed,
    and quarantine every remaining row whose key another remaining row shares (naming them all).

    Only rows whose key is shared can be either, so one GROUP BY on the key finds them; the
    row-by-row comparison (windows over every column) then runs on those few rows alone, and
    the checked table is updated in place for them only (no copy, no re-sort of every row)."""
    key_list = ", ".join(keys)
    # Grouped by the key's hash (a number, cheaper to group than text): rows whose key shares a
    # hash include every row whose key is shared, and a collision only adds rows the windows,
    # partitioned by the values themselves, then find unique.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {checked}_repeats AS
        WITH valid AS NOT MATERIALIZED (
                SELECT *, hash({key_list}) AS _key_hash FROM {rows} WHERE _reason IS NULL),
             shared AS (SELECT _key_hash FROM valid GROUP BY ALL HAVING count(*) > 1),
             candidates AS (SELECT * FROM valid SEMI JOIN shared USING (_key_hash)),
             dedup AS (
                SELECT _row_number, {key_list},
                    row_number() OVER (PARTITION BY {every} ORDER BY _row_number) > 1
                        AS _is_copy
                FROM candidates),
             keyed AS (
                SELECT *, list(_row_number) OVER (PARTITION BY _is_copy, {key_list}) AS _key_rows
                FROM dedup)
        SELECT _row_number, _is_copy,
            CASE WHEN NOT _is_copy AND len(_key_rows) > 1 THEN
                'conflicting duplicate key ({", ".join(key_names)}): rows '
                || array_to_string(list_sort(_key_rows), ', ') || ' differ'
            END AS _conflict
        FROM keyed WHERE _is_copy OR len(_key_rows) > 1"""
    )
    if con.execute(f"SELECT count(*) FROM {checked}_repeats").fetchone()[0]:
        con.execute(
            f"""UPDATE {checked} SET _collapsed = r._is_copy, _reason = r._conflict
            FROM {checked}_repeats r WHERE {checked}._row_number = r._row_number"""
        )
    con.execute(f"DROP TABLE {checked}_repeats")


def _plain_text(col) -> bool:
    """A column whose typed value is its cleaned text itself (text, no code list)."""
    marker = '"v_"'
    return rules.typed(col, marker) == marker


def _kept_sql(col) -> str:
    """What the checked table keeps of a column: the typed value, and the cleaned text only
    where it is not the typed value written out (`12.0`, `01/04/2025`, a value that is not
    valid, a code in other case). The text of 8.5 M rows twice spilled the table to disk under
    the memory cap (docs/SCALE_LOG.md, "Scale 1000"); `_restored_sql` gives it back exactly."""
    v, t = quote_identifier("v_" + col.name), quote_identifier("t_" + col.name)
    if _plain_text(col):
        return v
    return f"{t}, CASE WHEN {v} IS DISTINCT FROM CAST({t} AS VARCHAR) THEN {v} END AS {v}"


def _restored_sql(col) -> str:
    """The column's cleaned text `v_` and typed value `t_` from what `_kept_sql` kept."""
    v, t = quote_identifier("v_" + col.name), quote_identifier("t_" + col.name)
    if _plain_text(col):
        return f"{v}, {v} AS {t}"
    return f"COALESCE({v}, CAST({t} AS VARCHAR)) AS {v}, {t}"


def ensure_raw_table(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    ensure_meta(con)
    con.execute(raw_table_ddl(contract))


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    landed: LandedFile,
    delivery_id: str,
    key: bytes | None,
) -> IngestResult:
    """Validate and load one file. Raises FileRejected (after recording it) if unusable."""
    ensure_meta(con)
    started = time.monotonic()
    load_id = f"{delivery_id}/{contract.extract}"
    result = IngestResult(contract.extract, delivery_id, landed.file_name, "loaded")
    tmp = f"_in_{contract.extract}"
    try:
        read = read_file(
            con, Path(landed.landed_path), landed.format, tmp, landed.file_name, contract.sheet
        )
        result.encoding, result.rows_counted = read.encoding, read.records_counted
        mapping, result.unknown_columns, result.missing_columns = _map_header(
            contract, read.header, landed.file_name
        )
        if (
            contract.personal_columns
            and any(c.personal == "pseudonymise" for c in contract.personal_columns)
            and key is None
        ):
            raise pseudonym.MissingPseudonymKey("no pseudonym key")
    except FileRejected as exc:
        result.status, result.message = "rejected", str(exc)
        result.seconds = time.monotonic() - started
        _record(con, load_id, result, landed.sha256)
        log.error("%s", exc)
        raise
    if result.unknown_columns:
        log.warning(
            "%s: unknown column(s) %s kept out of the warehouse",
            landed.file_name,
            result.unknown_columns,
        )
    if result.missing_columns:
        log.warning(
            "%s: optional contract column(s) %s missing from the header: NULL in every row",
            landed.file_name,
            ", ".join(result.missing_columns),
        )

    existing = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()
    }
    cols = contract.columns
    cleaned = ", ".join(
        f"{rules.clean(mapping.get(c.name))} AS {quote_identifier('v_' + c.name)}" for c in cols
    )
    typed = ", ".join(
        f"{rules.typed(c, quote_identifier('v_' + c.name))} AS {quote_identifier('t_' + c.name)}"
        for c in cols
    )
    kept = ", ".join(_kept_sql(c) for c in cols)

    def reasons_sql(refs_available: set[str]) -> str:
        return "concat_ws('; ', " + ", ".join(rules.reasons(contract, refs_available)) + ")"

    every = ", ".join(
        quote_identifier("t_" + c.name) if c.stored else quote_identifier("v_" + c.name)
        for c in cols
    )
    keys = [quote_identifier("t_" + k) for k in contract.key]
    checked = f"{tmp}_checked"
    rows = f"{tmp}_rows"  # the checked rows with every `v_` and `t_` column, as computed
    # The rules, row by row, in one pass over the file's rows, which keeps their order (one
    # table, no join), so the accepted rows go in without a sort. The reference rules (a join)
    # are checked after, in place: only the rows they break get their reasons again, all rules.
    # The table keeps each value once (`_kept_sql`); the view `rows` gives back the cleaned
    # text and the typed value of every column exactly as computed here.
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {checked} AS
        WITH cleaned AS (SELECT _row_number, {cleaned} FROM {tmp}),
             typed AS (SELECT *, {typed} FROM cleaned),
             checked AS (SELECT *, {reasons_sql(set())} AS _reasons FROM typed)
        SELECT _row_number, {kept}, NULLIF(_reasons, '') AS _reason, false AS _collapsed
        FROM checked"""
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {rows} AS SELECT _row_number, "
        + ", ".join(_restored_sql(c) for c in cols)
        + f", _reason, _collapsed FROM {checked}"
    )
    if unknown := rules.unknown_references(contract, existing):
        # The rows breaking a reference are found on their reference columns alone; only they
        # are read whole to get every rule's reasons. One statement read every column of every
        # row first: 5.2-6.2 CPU s for 8.5 M rows at scale 1000, now 2.1-2.2
        # (docs/SCALE_LOG.md "big3").
        broken = f"{checked}_broken"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {broken} AS SELECT _row_number FROM {rows} "
            f"WHERE {unknown}"
        )
        if con.execute(f"SELECT count(*) FROM {broken}").fetchone()[0]:
            con.execute(
                f"""UPDATE {checked} SET _reason = broken._reason
                FROM (SELECT _row_number, NULLIF({reasons_sql(existing)}, '') AS _reason
                      FROM {rows} SEMI JOIN {broken} USING (_row_number)) broken
                WHERE {checked}._row_number = broken._row_number"""
            )
        con.execute(f"DROP TABLE {broken}")
    _mark_repeats(con, checked, rows, keys, every, contract.key)
    release(con, tmp)  # the file's text is in the checked table now: free its memory early

    def sql_value(c):
        t = quote_identifier("t_" + c.name)
        return (
            pseudonym.hmac_sql(t, key) + f" AS {quote_identifier(c.name)}"
            if c.personal == "pseudonymise"
            else f"{t} AS {quote_identifier(c.name)}"
        )

    stored = ", ".join(sql_value(c) for c in contract.stored_columns)
    json_parts = ", ".join(
        f"{sql_literal(c.name)}, "
        + (
            pseudonym.hmac_sql(quote_identifier("v_" + c.name), key)
            if c.personal == "pseudonymise"
            else quote_identifier("v_" + c.name)
        )
        for c in contract.stored_columns
    )
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DROP TABLE IF EXISTS raw.{quote_identifier(contract.extract)}")
        con.execute(raw_table_ddl(contract))
        # No ORDER BY: the checked table holds the rows in file order (above).
        con.execute(f"""INSERT INTO raw.{quote_identifier(contract.extract)}
            SELECT {sql_literal(delivery_id)} AS _delivery_id, _row_number, {stored}
            FROM {rows} WHERE _reason IS NULL AND NOT _collapsed""")
        con.execute("DELETE FROM ingest.quarantine WHERE load_id = ?", [load_id])
        con.execute(
            f"""INSERT INTO ingest.quarantine
            SELECT {sql_literal(load_id)}, {sql_literal(delivery_id)}, """
            f"""{sql_literal(contract.extract)}, {sql_literal(landed.file_name)}, """
            f"""_row_number, _reason,
                   left(CAST(json_object({json_parts}) AS VARCHAR), {QUARANTINE_JSON_CHARS})
            FROM {rows} WHERE _reason IS NOT NULL ORDER BY _row_number"""
        )
        if read.parse_rejects:
            con.executemany(
                "INSERT INTO ingest.quarantine VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    [
                        load_id,
                        delivery_id,
                        contract.extract,
                        landed.file_name,
                        r,
                        m,
                        _raw_record_json(contract, raw),
                    ]
                    for r, m, raw in read.parse_rejects
                ],
            )
        counts = con.execute(
            f"""SELECT
            (SELECT count(*) FROM {tmp}_checked) ,
            (SELECT count(*) FROM raw.{quote_identifier(contract.extract)}),
            (SELECT count(*) FROM ingest.quarantine WHERE load_id = ?),
            (SELECT count(*) FROM {tmp}_checked WHERE _collapsed)""",
            [load_id],
        ).fetchone()
        result.rows_read = counts[0] + len(read.parse_rejects)
        result.rows_accepted, result.rows_quarantined, result.rows_collapsed = (
            counts[1],
            counts[2],
            counts[3],
        )
        if not result.reconciles:
            raise RuntimeError(
                f"{landed.file_name}: reconciliation failed: "
                f"the file holds {result.rows_counted} rows, read "
                f"{result.rows_read}, accepted {result.rows_accepted} "
                f"+ quarantined {result.rows_quarantined} "
                f"+ collapsed {result.rows_collapsed}"
            )
        result.reasons = dict(
            con.execute(
                """
            SELECT trim(regexp_extract(reason, '^[^(:]*')), count(*) """
                """FROM ingest.quarantine WHERE load_id = ?
            GROUP BY 1 ORDER BY 2 DESC, 1""",
                [load_id],
            ).fetchall()
        )
        result.seconds = time.monotonic() - started
        _record(con, load_id, result, landed.sha256)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute(f"DROP VIEW IF EXISTS {rows}")
        con.execute(f"DROP TABLE IF EXISTS {checked}")
        release(con, tmp)
    log.info(
        "%s: holds %d rows, read %d = accepted %d + quarantined %d + collapsed %d (%.2fs)",
        landed.file_name,
        result.rows_counted,
        result.rows_read,
        result.rows_accepted,
        result.rows_quarantined,
        result.rows_collapsed,
        result.seconds,
    )
    for row, reason in con.execute(
        "SELECT row_number, reason FROM ingest.quarantine WHERE load_id = ? "
        "ORDER BY row_number LIMIT 20",
        [load_id],
    ).fetchall():
        log.warning("%s row %d quarantined: %s", landed.file_name, row, reason)
    return result


def export_validated(
    con: duckdb.DuckDBPyConnection, extract: str, landing_root: Path, delivery_id: str
) -> Path:
    """Write the extract's accepted rows, as the warehouse now holds them, to
    `<landing>/validated/<delivery_id>/<extract>.parquet`: the engine-neutral copy of the
    validated raw layer that another engine (Spark) reads instead of the DuckDB file.

    It is this run's hand-over, derived again by every run (a replay too, from the landed
    objects), and only the current delivery's is ever read: the same extract's copy under any
    other delivery is removed, or the landing area would grow by the whole raw layer
    (~0.5 MB at scale 1) with every run (docs/OPERATIONS.md, "What grows on disk")."""
    folder = _validated_folder(landing_root, delivery_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{extract}.parquet"
    tmp = folder / f".{extract}.parquet.tmp"
    # Insertion order is row order already (ingest_file inserts the checked rows in file order,
    # and DuckDB keeps insertion order): no sort.
    con.execute(f"COPY (SELECT * FROM raw.{quote_identifier(extract)}) TO '{tmp}' (FORMAT parquet)")
    tmp.replace(target)
    _remove_validated(landing_root, extract, keep=folder)
    return target


def export_missing_validated(
    con: duckdb.DuckDBPyConnection, landing_root: Path, delivery_id: str
) -> list[str]:
    """`export_validated` for every raw table without its copy under `delivery_id`: what the
    ingestion would have written on the Spark engine, for a delivery ingested on the DuckDB
    engine (which writes none, `drop_validated`). Returns the extracts written."""
    folder = _validated_folder(landing_root, delivery_id)
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'raw' AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
    ]
    missing = [t for t in tables if not (folder / f"{t}.parquet").is_file()]
    for extract in missing:
        export_validated(con, extract, landing_root, delivery_id)
    return missing


def _validated_folder(landing_root: Path, delivery_id: str) -> Path:
    return landing_root / "validated" / check_delivery_id(delivery_id)  # never out of landing


def drop_validated(landing_root: Path, extract: str) -> None:
    """No validated copy of `extract` under any delivery: on the DuckDB engine nothing reads it
    (dbt, the suites and the exports read the warehouse), and a copy left from an earlier Spark
    run would no longer be the raw table's. Writing it cost 10 CPU s at scale 1000
    (docs/SCALE_LOG.md, "big3")."""
    _remove_validated(landing_root, extract, keep=None)


def _remove_validated(landing_root: Path, extract: str, keep: Path | None) -> None:
    for stale in (landing_root / "validated").glob(f"*/{extract}.parquet"):
        if stale.parent != keep:
            stale.unlink(missing_ok=True)
            with contextlib.suppress(OSError):  # not empty yet: its other extracts go later
                stale.parent.rmdir()

"""Read one landed file into a DuckDB temp table of text columns, with DuckDB's own readers.

CSV goes through `read_csv` with an explicit RFC 4180 dialect (no sniffing, so a broken
file cannot change how the rest is parsed) and `store_rejects`, so records the parser
cannot split are counted and quarantined rather than lost. XLSX (small finance/HR
extracts) goes through openpyxl into Arrow and then DuckDB: DuckDB's Excel extension is
downloaded at run time, which this platform's network does not allow.

Every file's records are also counted by a second, independent means (`records.py` for CSV,
the sheet's XML for xlsx): a file whose rows the reader cannot account for against that
count is rejected whole, with the row where it went wrong, instead of losing rows quietly.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project.ingest import records, sheets

log = logging.getLogger("toex.ingest")

MAX_LINE_BYTES = 64 * 1024 * 1024  # a 10 MB free-text cell still parses (and is then quarantined)


class FileRejected(ValueError):
    """The whole file is unusable; the previous good version of its extract stays in use."""


@dataclass
class ReadResult:
    table: str  # temp table: _row_number BIGINT, c0..cN VARCHAR
    header: list[str]  # the file's header, trimmed, in file order (c<i> is header[i])
    encoding: str
    # (row number, reason, the record's raw text or None): rows the reader could not split or value
    parse_rejects: list[tuple[int, str, str | None]] = field(default_factory=list)
    records_counted: int = 0  # data records in the file, counted independently of the reader

    @property
    def rows_read(self) -> int:
        return self._accepted + len(self.parse_rejects)

    _accepted: int = 0


def _check_encoding(path: Path, name: str) -> str:
    """'utf-8', 'utf-8-sig' or 'cp1252'; raises FileRejected for anything else."""
    with open(path, "rb") as f:
        head = f.read(3)
        f.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0
        try:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                if b"\x00" in chunk:
                    raise FileRejected(
                        f"{name}: binary content (NUL byte near byte {offset + chunk.index(0)}); "
                        "not a CSV text file"
                    )
                decoder.decode(chunk)
                offset += len(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig" if head == codecs.BOM_UTF8 else "utf-8"
        except UnicodeDecodeError as exc:
            bad_at = offset + exc.start
    try:
        text = path.read_bytes().decode("cp1252")
    except UnicodeDecodeError as exc:
        raise FileRejected(
            f"{name}: not UTF-8 (invalid byte at offset {bad_at}) and not Windows-1252 "
            f"either (byte 0x{exc.object[exc.start]:02x} at {exc.start}); re-export as CSV UTF-8"
        ) from None
    if any(ord(ch) < 32 and ch not in "\t\r\n" for ch in text[:1_000_000]):
        raise FileRejected(f"{name}: control characters in text; not a CSV text file")
    return "cp1252"


def _header(path: Path, name: str) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        try:
            row = next(csv.reader(f))
        except StopIteration:
            raise FileRejected(f"{name}: empty file (no header row)") from None
        except csv.Error as exc:
            raise FileRejected(f"{name}: unreadable header row ({exc})") from None
    return [h.strip() for h in row]


def _check_records(counted: records.RecordCount, name: str) -> None:
    """Refuse, before parsing, what the parser would lose without a reject."""
    row, size = counted.longest()
    if size > MAX_LINE_BYTES:
        raise FileRejected(
            f"{name}: row {row} is {size:,} bytes long, "
            f"over the {MAX_LINE_BYTES:,} a record may have "
            "(the CSV reader would drop it unreported); file rejected, previous version kept"
        )
    if counted.open_quote_row and counted.lines_in_open_record > 1:
        raise FileRejected(
            f"{name}: row {counted.open_quote_row}: "
            "a quoted field opened there never closes, so the "
            f"{counted.lines_in_open_record - 1} line(s) after it cannot be split into rows; "
            "file rejected, previous version kept"
        )


def read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, name: str) -> ReadResult:
    encoding = _check_encoding(path, name)
    source = path
    if encoding == "cp1252":
        # Windows-1252 from Excel: transcode once, loudly, rather than garble.
        log.warning("%s is Windows-1252, not UTF-8: transcoding to UTF-8 before loading", name)
        with (
            tempfile.NamedTemporaryFile(prefix="toex-", suffix=".csv", delete=False) as tmp,
            open(path, encoding="cp1252", newline="") as src,
            open(tmp.name, "w", encoding="utf-8", newline="") as dst,
        ):
            for block in iter(lambda: src.read(1 << 20), ""):
                dst.write(block)
        source = Path(tmp.name)
    rejects = f"{table}_rejects"
    try:
        header = _header(source, name)
        # Counted on the bytes the parser reads, so byte offsets of its rejects map to rows.
        counted = records.count_records(source)
        _check_records(counted, name)
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
        con.execute(f"DROP TABLE IF EXISTS {rejects}; DROP TABLE IF EXISTS {rejects}_scan")
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table}_read AS
            SELECT * FROM read_csv(?, columns={columns}, header=true, auto_detect=false,
                delim=',', quote='"', escape='"', max_line_size={MAX_LINE_BYTES},
                buffer_size={2 * MAX_LINE_BYTES}, store_rejects=true,
                rejects_table='{rejects}', rejects_scan='{rejects}_scan')""",
            [str(source)],
        )
    except duckdb.Error as exc:
        raise FileRejected(f"{name}: the CSV reader could not read the file ({exc})") from None
    finally:
        if source != path:
            source.unlink(missing_ok=True)
    # One rejected *record* may carry several errors. DuckDB's own line numbers and offsets
    # drift (blank lines, CRLF, multi-line fields), so each reject is placed by the record
    # that holds its line's first byte, from the independent count.
    rej = con.execute(
        "SELECT min(line_byte_position), "
        f"""string_agg(DISTINCT error_type || ': ' || error_message, '; '),
                   any_value(csv_line)
            FROM {rejects} GROUP BY line ORDER BY 1"""
    ).fetchall()
    accepted = con.execute(f"SELECT count(*) FROM {table}_read").fetchone()[0]
    if accepted + len(rej) != counted.records:
        where = (
            f"row {counted.misplaced_quote_row} holds a quote where none may be (RFC 4180)"
            if counted.misplaced_quote_row
            else "the rows lost cannot be located"
        )
        raise FileRejected(
            f"{name}: the CSV reader read {accepted + len(rej):,} rows ({accepted:,} parsed + "
            f"{len(rej):,} unparseable) but the file holds {counted.records:,}; {where}; "
            "file rejected, previous version kept"
        )
    parse_rejects = _placed_rejects(rej, counted, name)
    _number_rows(con, table, [r for r, _, _ in parse_rejects])
    result = ReadResult(table, header, encoding, parse_rejects, counted.records)
    result._accepted = accepted
    return result


def _placed_rejects(
    rej: list[tuple], counted: records.RecordCount, name: str
) -> list[tuple[int, str, str | None]]:
    placed: dict[int, tuple[int, str, str | None]] = {}
    for offset, message, raw in rej:
        row = counted.row_containing(int(offset)) if offset is not None else 0
        text = (raw or "").rstrip("\r\n")
        if row < 1 or row in placed:
            raise FileRejected(
                f"{name}: the CSV reader reported an unreadable record near byte {offset} that "
                "matches no row of the file; file rejected, previous version kept"
            )
        if "\n" in text:
            raise FileRejected(
                f"{name}: row {row}: an unreadable record runs over "
                f"{text.count(chr(10)) + 1} lines, so the rows in it cannot be counted "
                f"({message.splitlines()[0][:120]}); file rejected, previous version kept"
            )
        placed[row] = (row, f"unparseable CSV record ({message})", raw)
    return sorted(placed.values())


def _number_rows(con: duckdb.DuckDBPyConnection, table: str, rejected_rows: list[int]) -> None:
    """Give each parsed record its data-row number, skipping the numbers of rejected records."""
    if not rejected_rows:
        # The common case: no copy at all. A view numbers the read table's rows by their rowid
        # (file order); validation reads it once (8.5 M rows in the largest extract at scale 1000).
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {table} AS "
            f"SELECT rowid + 1 AS _row_number, * FROM {table}_read"
        )
        return
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table}_ord AS "
        f"SELECT rowid + 1 AS ordinal, * FROM {table}_read"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table}_rej AS SELECT unnest(?::BIGINT[]) AS r",
        [rejected_rows],
    )
    n = con.execute(f"SELECT count(*) FROM {table}_ord").fetchone()[0] + len(rejected_rows)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
        WITH numbers AS (
            SELECT r, row_number() OVER (ORDER BY r) AS ordinal
            FROM (SELECT range + 1 AS r FROM range({n})) """
        f"""WHERE r NOT IN (SELECT r FROM {table}_rej))
        SELECT numbers.r AS _row_number, o.* EXCLUDE (ordinal)
        FROM {table}_ord o JOIN numbers USING (ordinal) ORDER BY 1"""
    )
    con.execute(
        f"DROP TABLE IF EXISTS {table}_read; DROP TABLE IF EXISTS {table}_ord; "
        f"DROP TABLE IF EXISTS {table}_rej"
    )


def release(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop what reading into `table` left: the table itself or the view over `<table>_read`."""
    views = {
        r[0]
        for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE temporary AND view_name = ?", [table]
        ).fetchall()
    }
    con.execute(f"DROP {'VIEW' if table in views else 'TABLE'} IF EXISTS {table}")
    con.execute(f"DROP TABLE IF EXISTS {table}_read")


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if value.time() == datetime.min.time()
            else value.isoformat(sep=" ")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_formula(value) -> bool:
    """A cell as read with data_only=False: formula text, or an array/data-table formula object."""
    if isinstance(value, str):
        return value.startswith("=")
    return type(value).__name__ in ("ArrayFormula", "DataTableFormula")


def read_xlsx(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, name: str, sheet: str | None = None
) -> ReadResult:
    import openpyxl

    body = path.read_bytes()
    try:
        # A file object: openpyxl judges a path by its extension, and landed objects have none.
        # Read twice: cached values, and the formulas (to tell "no cached value" from "blank").
        wb = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise FileRejected(
            f"{name}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})"
        ) from None
    try:
        wbf = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=False)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        wb.close()
        raise FileRejected(
            f"{name}: not a readable .xlsx workbook ({type(exc).__name__}: {exc})"
        ) from None
    try:
        try:
            ws = sheets.choose_sheet(wb, sheet)
        except sheets.SheetError as exc:
            raise FileRejected(f"{name}: {exc}; file rejected, previous version kept") from None
        others = [w.title for w in wb.worksheets if w is not ws]
        if others:
            log.warning(
                "%s: reading sheet %r; not reading %s",
                name,
                ws.title,
                ", ".join(
                    f"{w.title!r}{' (hidden)' if w.sheet_state != 'visible' else ''}"
                    for w in wb.worksheets
                    if w is not ws
                ),
            )
        sheet_path = (
            ws._worksheet_path
        )  # the sheet's part in the package, for the independent count
        header_row = 1  # openpyxl yields rows from the sheet's row 1, whatever its dimension says
        rows = ws.iter_rows(values_only=True)
        formulas = wbf[ws.title].iter_rows(values_only=True)
        try:
            header_cells = next(rows)
            next(formulas, None)
        except StopIteration:
            raise FileRejected(f"{name}: the sheet {ws.title!r} is empty (no header row)") from None
        header = [(_cell_text(h) or "").strip() for h in header_cells]
        while header and header[-1] == "":
            header.pop()
        width = len(header)
        cols: list[list[str | None]] = [[] for _ in range(width)]
        numbers: list[int] = []
        rejects: list[tuple[int, str, str | None]] = []
        for i, row in enumerate(rows, start=1):
            frow = next(formulas, ()) or ()
            cells = [_cell_text(v) for v in row]
            unvalued = [
                j
                for j, f in enumerate(frow[:width])
                if _is_formula(f) and (j >= len(row) or row[j] is None)
            ]
            if not unvalued and not any(c not in (None, "") for c in cells):
                continue  # formatting-only trailing rows are not data
            cells = (cells + [None] * width)[:width]
            if unvalued:
                what = "; ".join(
                    f"{header[j] or f'column {j + 1}'}: "
                    f"formula {str(frow[j])[:60]!r} has no cached value"
                    for j in unvalued
                )
                raw = ",".join(
                    str(frow[j]) if j in unvalued else (c or "") for j, c in enumerate(cells)
                )
                rejects.append((i, f"{what} (the workbook was saved without recalculating)", raw))
                continue
            numbers.append(i)
            for j, c in enumerate(cells):
                cols[j].append(c)
    finally:
        wb.close()
        wbf.close()
    counted = sheets.count_data_rows(body, sheet_path, header_row)
    if counted != len(numbers) + len(rejects):
        raise FileRejected(
            f"{name}: sheet {ws.title!r} holds {counted} data rows "
            f"but the reader read {len(numbers) + len(rejects)}; "
            "file rejected, previous version kept"
        )
    arrow = pa.table(
        {
            "_row_number": pa.array(numbers, pa.int64()),
            **{f"c{j}": pa.array(cols[j], pa.string()) for j in range(width)},
        }
    )
    con.register(f"{table}_arrow", arrow)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
    con.unregister(f"{table}_arrow")
    result = ReadResult(table, header, "xlsx", rejects, counted)
    result._accepted = len(numbers)
    return result


def read_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    table: str,
    name: str,
    sheet: str | None = None,
) -> ReadResult:
    """Read landed file `path`; messages name the delivered file, `name`; `sheet` is the
    contract's sheet for an xlsx file (else its first visible sheet)."""
    if not path.exists():
        raise FileRejected(f"{name}: landed copy {path} is missing")
    if fmt == "xlsx":
        return read_xlsx(con, path, table, name, sheet)
    return read_csv(con, path, table, name)

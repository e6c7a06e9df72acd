"""Byte-stable writers: RFC 4180 CSV (CRLF) and Excel workbooks with fixed zip metadata."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from .common import Table

# Workbook properties and zip entry timestamps are pinned so a re-run gives the same bytes.
FIXED_TIME = datetime(2025, 7, 10, 6, 0, 0)
ZIP_TIME = (2025, 7, 10, 6, 0, 0)
WORKBOOK_AUTHOR = {"costs": "TOEX Finance", "hr_positions": "TOEX HR"}


def write_table(out_dir: Path, t: Table) -> Path:
    if t.fmt == "xlsx":
        return write_xlsx(out_dir / f"{t.extract}.xlsx", t)
    return write_csv(out_dir / f"{t.extract}.csv", t)


def write_csv(path: Path, t: Table) -> Path:
    with path.open("w", encoding="utf-8-sig" if t.bom else "utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(t.columns)
        w.writerows(t.rows)
    return path


def write_xlsx(path: Path, t: Table) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = t.extract
    ws.append(t.columns)
    for row in t.rows:
        ws.append([None if v == "" else v for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    wb.properties.creator = WORKBOOK_AUTHOR.get(t.extract, "TOEX")
    wb.properties.lastModifiedBy = wb.properties.creator
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    # Not openpyxl's save_workbook: it stamps `modified` with the clock.
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()
    path.write_bytes(_stable_zip(buf.getvalue()))
    return path


def _stable_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry timestamps and attributes, entries in the same order."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zi.create_system = 3
            zout.writestr(zi, zin.read(info.filename), compresslevel=6)
    return out.getvalue()

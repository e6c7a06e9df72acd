"""`kpi_values.csv` and `kpi_values.parquet`: byte-identical for identical input.

Choices:
- CSV is written with the standard library's `csv` module from the rows DuckDB returns, not
  with DuckDB `COPY` or pyarrow's CSV writer: the float format is then the contract itself
  (`repr`, the shortest text that round-trips to the same double, e.g. `60.0`, `0.470588235294`;
  values are rounded to 12 significant digits when read, `sources.published_row`),
  independent of locale and of an engine's version-to-version formatting changes (pyarrow
  writes `60` for 60.0, DuckDB's rules are its own). UTF-8 without BOM, `\\n` line endings,
  minimal quoting, ISO dates, empty field for null.
- Parquet is written with pyarrow from an explicit schema (so column types do not depend on
  what DuckDB inferred), one row group, fixed zstd level, no pandas index metadata. Parquet
  written by pyarrow carries no timestamp; the `created_by` string names the pyarrow version,
  so bytes are identical for the same input and library versions (the lockfile pins them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from .figures import KPI_COLUMNS, KpiRow

KPI_SCHEMA = pa.schema(
    [
        pa.field("reporting_quarter", pa.string(), nullable=False),
        pa.field("kpi_id", pa.string(), nullable=False),
        pa.field("measure", pa.string(), nullable=False),
        pa.field("period_type", pa.string(), nullable=False),
        pa.field("period_start", pa.date32()),
        pa.field("period_end", pa.date32()),
        pa.field("breakdown", pa.string(), nullable=False),
        pa.field("breakdown_value", pa.string(), nullable=False),
        pa.field("value", pa.float64()),
        pa.field("unit", pa.string()),
        pa.field("period_label", pa.string()),
        pa.field("population", pa.string()),
    ]
)


def _csv_field(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def kpi_values_csv(rows: Sequence[KpiRow]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(KPI_COLUMNS)
    for row in rows:
        writer.writerow([_csv_field(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def kpi_values_table(rows: Sequence[KpiRow]) -> pa.Table:
    columns = {name: [getattr(r, name) for r in rows] for name in KPI_COLUMNS}
    return pa.Table.from_pydict(columns, schema=KPI_SCHEMA)


def kpi_values_parquet(rows: Sequence[KpiRow]) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(
        kpi_values_table(rows),
        sink,
        row_group_size=max(len(rows), 1),
        compression="zstd",
        compression_level=3,
        use_dictionary=True,
        write_statistics=True,
        version="2.6",
        data_page_version="1.0",
        store_schema=True,
    )
    return sink.getvalue().to_pybytes()

"""Quality gates: the Great Expectations suites in `expectations/`, run against DuckDB.

- `suites`   reads the suite files (no GX import: Dagster definitions are built from it)
- `gx_duckdb` the one workaround GX 1.24 needs to validate DuckDB through SQL
- `runner`   runs a suite in the database and turns GX results into outcomes
- `gate`     the Dagster side: parameters, history, check results (`defs/quality.py`)
- `history`  `quality.validation_results` in the warehouse
"""

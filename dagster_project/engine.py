"""The engine setting: where dbt builds the models, the quality suites validate and the
exports read from. One place: `TOEX_ENGINE` (`toex run --engine` sets it; the UI's code
location reads it from its environment).

- `duckdb` (default): everything in the DuckDB warehouse.
- `spark`: ingestion stays in DuckDB at the edge and hands Spark the validated Parquet;
  dbt, the quality suites and the exports run on the Spark cluster (`engines/spark.py`).

Nothing here imports Spark: the Spark modules are imported only when the engine is Spark.
"""

from __future__ import annotations

import os

ENGINE_ENV = "TOEX_ENGINE"
ENGINES = ("duckdb", "spark")
DEFAULT = "duckdb"


class EngineError(ValueError):
    pass


def current() -> str:
    value = (os.environ.get(ENGINE_ENV) or DEFAULT).strip().lower()
    if value not in ENGINES:
        raise EngineError(f"{ENGINE_ENV}={value!r}: expected one of {', '.join(ENGINES)}")
    return value


def is_spark() -> bool:
    return current() == "spark"

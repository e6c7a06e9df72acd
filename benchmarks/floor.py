"""The floor: the least work that gives the pipeline's `kpi_values`, done by DuckDB in one process.

    python -m benchmarks.floor --delivery DIR --manifest COMPILED/manifest.json \
        --ops PLATFORM_USAGE.parquet --db WORK/toex.duckdb --out kpi_values.parquet

1. **Load.** Each extract file straight into `raw.<extract>` with DuckDB's own CSV reader
   (`read_csv`, all text, dialect sniffed) in one `CREATE TABLE AS` per extract: the text is
   typed as the contract says (the pipeline's own type expressions: ISO and UK dates, months,
   Y/N booleans, code lists in their canonical spelling), and the rows the contract rejects are
   left out, because they change the figures (the demo delivery plants a duplicated
   TOEX-involved disruption, an impact outside its code list, ...). That filter is a `WHERE` on
   the same rule expressions, `DISTINCT` for exact duplicates and a count per key for
   conflicting keys. Not done: landing (copy + SHA-256), encoding checks, row numbering,
   parser-reject bookkeeping, the quarantine table, reconciliation, pseudonymisation (personal
   columns are only lower-cased, which groups them as the keyed pseudonym does; the values are
   in clear, so this database is scratch, never published), the validated Parquet.
   The two Excel extracts (costs, hr_positions: ~1k rows, not scaled) go through the
   pipeline's openpyxl reader: DuckDB's Excel extension is a run-time download this network
   forbids.
2. **Transform.** The compiled SQL of every seed and model of the dbt project (`dbt compile`
   output, `manifest.json`), executed in dependency order as `CREATE VIEW/TABLE ... AS`,
   the same materialisations dbt uses. Compiling is a build artefact (done once, outside the
   timing, as `toex prepare` builds the manifest); running `dbt run` instead would add dbt's
   start-up, parsing and metadata queries, which is orchestration, not the work.
   No tests, no checks, no exports. `ops.platform_usage` (the platform's measurements of its
   own runs, not in the delivery) is taken from the pipeline run being compared.

Writes `kpis.kpi_values` to `--out` and the timings as JSON to `--timings`.
"""

from __future__ import annotations

import argparse
import graphlib
import json
import time
from pathlib import Path

import duckdb

from dagster_project.contract import contracts, raw_table_ddl
from dagster_project.ingest import rules
from dagster_project.ingest.reader import read_xlsx
from dagster_project.ingest.rules import quote_identifier, sql_literal

SEED_DIR = Path(__file__).resolve().parent.parent / "dbt" / "seeds"


def _source(con: duckdb.DuckDBPyConnection, path: Path, extract: str) -> tuple[str, dict[str, str]]:
    """(FROM clause, {contract column lower-case name: source column SQL})."""
    if path.suffix == ".xlsx":
        table = f"_xlsx_{extract}"
        read = read_xlsx(con, path, table, path.name)
        return table, {h.strip().lower(): f"c{i}" for i, h in enumerate(read.header)}
    src = f"read_csv({sql_literal(str(path))}, header=true, all_varchar=true)"
    names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
    return src, {n.strip().lower(): quote_identifier(n) for n in names}


def load_extract(con: duckdb.DuckDBPyConnection, extract: str, path: Path, loaded: set[str]) -> int:
    contract = contracts()[extract]
    src, columns = _source(con, path, extract)
    cols = contract.columns
    cleaned = ", ".join(
        f"{rules.clean(columns.get(c.name))} AS {quote_identifier('v_' + c.name)}" for c in cols
    )
    typed = ", ".join(
        f"{rules.typed(c, quote_identifier('v_' + c.name))} AS {quote_identifier('t_' + c.name)}"
        for c in cols
    )
    broken = " OR ".join(f"({r}) IS NOT NULL" for r in rules.reasons(contract, loaded)) or "false"
    # Exact duplicates compare the typed stored columns and the text of dropped ones (names).
    every = [
        quote_identifier("t_" + c.name) if c.stored else quote_identifier("v_" + c.name)
        for c in cols
    ]
    keys = ", ".join(quote_identifier("t_" + k) for k in contract.key)
    stored = ", ".join(
        (
            f"lower({quote_identifier('t_' + c.name)})"
            if c.personal == "pseudonymise"
            else quote_identifier("t_" + c.name)
        )
        + f" AS {quote_identifier(c.name)}"
        for c in contract.stored_columns
    )
    con.execute(raw_table_ddl(contract))
    con.execute(f"""INSERT INTO raw.{quote_identifier(extract)}
        WITH cleaned AS (SELECT {cleaned} FROM {src}),
             typed AS (SELECT *, {typed} FROM cleaned),
             ok AS (SELECT DISTINCT {", ".join(every)} FROM typed WHERE NOT ({broken})),
             keyed AS (SELECT *, count(*) OVER (PARTITION BY {keys}) AS _n FROM ok)
        SELECT 'floor' AS _delivery_id, NULL AS _row_number, {stored} FROM keyed WHERE _n = 1""")
    return con.execute(f"SELECT count(*) FROM raw.{quote_identifier(extract)}").fetchall()[0][0]


def load_delivery(con: duckdb.DuckDBPyConnection, delivery: Path) -> dict[str, int]:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw; CREATE SCHEMA IF NOT EXISTS ops")
    loaded: set[str] = set()
    rows: dict[str, int] = {}
    for extract in contracts():  # dependency order: referenced extracts first
        files = [delivery / f"{extract}.{ext}" for ext in ("csv", "xlsx")]
        path = next((f for f in files if f.exists()), None)
        if path is None:
            con.execute(raw_table_ddl(contracts()[extract]))
        else:
            rows[extract] = load_extract(con, extract, path, loaded)
        loaded.add(extract)
    return rows


def _order(nodes: dict[str, dict]) -> list[str]:
    graph = {
        uid: [d for d in n.get("depends_on", {}).get("nodes", []) if d in nodes]
        for uid, n in nodes.items()
    }
    return list(graphlib.TopologicalSorter(graph).static_order())


def transform(con: duckdb.DuckDBPyConnection, manifest: dict) -> dict[str, float]:
    nodes = {
        uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] in ("model", "seed")
    }
    for schema in sorted({n["schema"] for n in nodes.values()}):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}")
    seconds: dict[str, float] = {}
    for uid in _order(nodes):
        n = nodes[uid]
        started = time.perf_counter()
        relation = n["relation_name"]
        if n["resource_type"] == "seed":
            types = n["config"].get("column_types") or {}
            struct = (
                "{"
                + ", ".join(f"{sql_literal(k)}: {sql_literal(v)}" for k, v in types.items())
                + "}"
            )
            path = SEED_DIR / f"{n['name']}.csv"
            con.execute(
                f"CREATE OR REPLACE TABLE {relation} AS SELECT * FROM "
                f"read_csv({sql_literal(str(path))}, "
                f"header=true, types={struct})"
            )
        else:
            kind = n["config"]["materialized"]
            if kind not in ("view", "table"):
                raise SystemExit(
                    f"floor: {uid} is materialised as {kind}; only view and table are handled"
                )
            con.execute(f"CREATE OR REPLACE {kind.upper()} {relation} AS {n['compiled_code']}")
        seconds[n["name"]] = time.perf_counter() - started
    return seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--delivery", required=True, type=Path)
    p.add_argument(
        "--manifest", required=True, type=Path, help="manifest.json written by `dbt compile`"
    )
    p.add_argument("--ops", type=Path, help="ops.platform_usage of the pipeline run, as Parquet")
    p.add_argument(
        "--db",
        required=True,
        type=Path,
        help="scratch DuckDB file; must be named like the "
        "warehouse the SQL was compiled for (toex.duckdb)",
    )
    p.add_argument("--out", required=True, type=Path, help="write kpis.kpi_values here (Parquet)")
    p.add_argument("--timings", type=Path)
    p.add_argument("--memory-limit", help="DuckDB memory_limit (default DuckDB's own, 80%% of RAM)")
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    manifest = json.loads(args.manifest.read_text())
    args.db.unlink(missing_ok=True)
    config = {"memory_limit": args.memory_limit} if args.memory_limit else {}
    con = duckdb.connect(str(args.db), config=config)
    t_load = time.perf_counter()
    rows = load_delivery(con, args.delivery)
    if args.ops:
        con.execute(
            "CREATE TABLE ops.platform_usage AS SELECT * FROM "
            f"read_parquet({sql_literal(str(args.ops))})"
        )
    t_transform = time.perf_counter()
    per_model = transform(con, manifest)
    t_done = time.perf_counter()
    con.execute(f"COPY kpis.kpi_values TO {sql_literal(str(args.out))} (FORMAT parquet)")
    kpi_rows = con.execute("SELECT count(*) FROM kpis.kpi_values").fetchall()[0][0]
    con.close()
    timings = {
        "setup_s": t_load - t0,
        "load_s": t_transform - t_load,
        "transform_s": t_done - t_transform,
        "rows_loaded": sum(rows.values()),
        "rows_per_extract": rows,
        "kpi_rows": kpi_rows,
        "slowest_models": sorted(per_model.items(), key=lambda kv: -kv[1])[:8],
    }
    # Wall-clock (unix) stage windows, for the caller's memory samples.
    now_unix, now_perf = time.time(), time.perf_counter()
    timings["windows"] = {
        "load": [now_unix - (now_perf - t_load), now_unix - (now_perf - t_transform)],
        "transform": [now_unix - (now_perf - t_transform), now_unix - (now_perf - t_done)],
    }
    if args.timings:
        args.timings.write_text(json.dumps(timings, indent=1))
    print(json.dumps({k: v for k, v in timings.items() if k != "windows"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

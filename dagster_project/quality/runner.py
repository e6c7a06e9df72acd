"""Run one expectation suite against the DuckDB warehouse through Great Expectations' SQL
datasource, and turn GX's result into plain outcomes.

Everything is computed by SQL inside DuckDB (read-only connection, `memory_limit`): no
table is pulled into pandas, so a ten-million-row table validates in bounded memory.
`import great_expectations` happens inside `run_suites`, never at module import.

An expectation whose metrics raised (GX reports `exception_info.raised_exception`) is a
*failure* whose message is the error: an expectation that could not be evaluated has not
passed.
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from dagster_project.quality.gx_context import build_docs, gx_context
from dagster_project.quality.suites import Suite

log = logging.getLogger("toex.quality")

LONDON = ZoneInfo("Europe/London")
DEFAULT_MEMORY_LIMIT = "512MB"
SAMPLE_ROWS = 5
DATASOURCE = "warehouse"


@dataclass
class ExpectationOutcome:
    suite: str
    expectation: str  # the expectation's meta.name
    severity: str  # error | warn
    success: bool
    observed_value: Any = None
    message: str = ""
    errored: bool = False
    type: str = ""

    def line(self) -> str:
        state = "ERRORED" if self.errored else ("passed" if self.success else "failed")
        return f"suite {self.suite}: expectation {self.expectation} {state}" + (
            f": {self.message}" if self.message else ""
        )


@dataclass
class SuiteRun:
    suite: Suite
    outcomes: list[ExpectationOutcome]
    parameters: dict[str, Any] = field(default_factory=dict)
    docs_index: str | None = None
    docs_page: str | None = None
    seconds: float = 0.0
    gx_import_seconds: float = 0.0

    def failed(self, severity: str) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if o.severity == severity and not o.success]

    def passed(self, severity: str) -> bool:
        return not self.failed(severity)


# --------------------------------------------------------------------------- parameters


def _has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    found = {
        f"{s}.{t}"
        for s, t in con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
    }
    return set(names) <= found


def as_of_date(con: duckdb.DuckDBPyConnection) -> date:
    """`TOEX_QUALITY_AS_OF`, else the London date the current delivery arrived (today if none)."""
    override = os.environ.get("TOEX_QUALITY_AS_OF")
    if override:
        return date.fromisoformat(override)
    if not _has_tables(con, "ingest.current_delivery", "ingest.deliveries"):
        return datetime.now(LONDON).date()
    row = con.execute(
        """SELECT d.arrived_at FROM ingest.current_delivery c
        JOIN ingest.deliveries d USING (delivery_id) """
        "ORDER BY c.activated_at DESC LIMIT 1"
    ).fetchone()
    if not row or not row[0]:
        return datetime.now(LONDON).date()
    arrived = datetime.fromisoformat(str(row[0]))
    return (
        (arrived if arrived.tzinfo else arrived.replace(tzinfo=ZoneInfo("UTC")))
        .astimezone(LONDON)
        .date()
    )


def previous_row_count(
    con: duckdb.DuckDBPyConnection, extract: str, table: str
) -> tuple[int, str] | None:
    """Rows accepted from this extract in the last delivery before the one the table now holds
    that passed its blocking gates."""
    if not _has_tables(con, "ingest.current_delivery", "ingest.deliveries", "ingest.file_loads"):
        return None
    version = con.execute(f"SELECT any_value(_delivery_id) FROM {table}").fetchone()[0]
    if version is None:
        row = con.execute(
            "SELECT delivery_id FROM ingest.current_delivery ORDER BY activated_at DESC LIMIT 1"
        ).fetchone()
        version = row[0] if row else None
    if version is None:
        return None
    # A delivery that failed a blocking gate is never a baseline: else re-sending it would pass.
    blocked = (
        "AND f.delivery_id NOT IN (SELECT delivery_id FROM ingest.blocked_deliveries)"
        if _has_tables(con, "ingest.blocked_deliveries")
        else ""
    )
    row = con.execute(
        f"""
        SELECT f.rows_accepted, f.delivery_id
        FROM ingest.file_loads f JOIN ingest.deliveries d USING (delivery_id)
        WHERE f.extract = ? AND f.status = 'loaded' AND f.delivery_id <> ? {blocked}
          AND d.arrived_at < (SELECT arrived_at FROM ingest.deliveries WHERE delivery_id = ?)
        ORDER BY d.arrived_at DESC, f.loaded_at DESC LIMIT 1""",
        [extract, version, version],
    ).fetchone()
    return (int(row[0]), row[1]) if row else None


def runtime_parameters(
    con: duckdb.DuckDBPyConnection, suite: Suite
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The suite's `$PARAMETER` values, and notes on where they came from (for metadata)."""
    params: dict[str, Any] = {}
    notes: dict[str, Any] = {}
    wanted = suite.parameters
    if "as_of_date" in wanted:
        params["as_of_date"] = as_of_date(con)
        notes["as_of_date"] = params["as_of_date"].isoformat()
    if {"min_rows", "max_rows"} & wanted:
        band = suite.volume_band
        prev = previous_row_count(con, suite.asset[-1], suite.table)
        if prev is None:  # first delivery of this extract: no band
            params["min_rows"], params["max_rows"] = 0, None
            notes["volume_band"] = "first delivery: no band"
        else:
            rows, delivery = prev
            params["min_rows"] = int(rows * band.min_ratio)
            params["max_rows"] = int(rows * band.max_ratio) + 1
            notes["volume_band"] = (
                f"{params['min_rows']}–{params['max_rows']} rows "
                f"({band.min_ratio}–{band.max_ratio} × {rows} in delivery {delivery})"
            )
    return params, notes


# --------------------------------------------------------------------------- results


def _exception_message(exception_info: Any) -> str | None:
    """GX reports errors either flat ({raised_exception, exception_message}) or keyed by metric."""
    if not isinstance(exception_info, dict):
        return None
    if "raised_exception" in exception_info:
        if exception_info.get("raised_exception"):
            return str(
                exception_info.get("exception_message") or "exception during metric resolution"
            )
        return None
    messages = [_exception_message(v) for v in exception_info.values()]
    messages = [m for m in messages if m]
    return "; ".join(dict.fromkeys(messages)) if messages else None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _describe(exp_type: str, kwargs: dict, result: dict) -> tuple[Any, str]:
    """(observed value, short human message) of a failed built-in expectation."""
    if "unexpected_count" in result and "element_count" in result:
        sample = result.get("partial_unexpected_list") or []
        shown = ", ".join(str(v) for v in sample[:SAMPLE_ROWS])
        bounds = {
            k: kwargs[k]
            for k in ("min_value", "max_value", "value_set")
            if kwargs.get(k) is not None
        }
        observed = {
            "unexpected_count": result.get("unexpected_count"),
            "element_count": result.get("element_count"),
            "unexpected_percent": result.get("unexpected_percent"),
        }
        msg = (
            f"{result.get('unexpected_count')} of {result.get('element_count')} "
            f"{kwargs.get('column', 'values')} "
            f"values outside {json.dumps(_jsonable(bounds))}"
            + (f" (e.g. {shown})" if shown else "")
        )
        return observed, msg
    observed = result.get("observed_value")
    bounds = {k: kwargs[k] for k in ("min_value", "max_value", "value") if k in kwargs}
    return observed, f"observed {observed!r}, expected {json.dumps(_jsonable(bounds))}"


def run_suite(
    suite: Suite,
    warehouse: Path | str,
    *,
    reporting_quarter: str | None = None,
    parameters: dict[str, Any] | None = None,
    run_id: str | None = None,
    docs_dir: Path | None = None,
    store_dir: Path | None = None,
    memory_limit: str | None = None,
) -> SuiteRun:
    """Validate `suite` against the warehouse file. Parameters default to `runtime_parameters`."""
    if parameters is None:
        with duckdb.connect(str(Path(warehouse)), read_only=True) as con:
            parameters, _ = runtime_parameters(con, suite)
    return run_suites(
        [SuiteBatch(suite, parameters, reporting_quarter)],
        warehouse,
        run_id=run_id,
        docs_dir=docs_dir,
        store_dir=store_dir,
        memory_limit=memory_limit,
    )[0]


@dataclass
class SuiteBatch:
    """One suite to validate, with its runtime parameters and (for a quarter-filtered suite)
    the reporting quarter."""

    suite: Suite
    parameters: dict[str, Any]
    reporting_quarter: str | None = None


def run_suites(
    batches: list[SuiteBatch],
    warehouse: Path | str,
    *,
    run_id: str | None = None,
    docs_dir: Path | None = None,
    store_dir: Path | None = None,
    memory_limit: str | None = None,
) -> list[SuiteRun]:
    """Validate several suites with one GX context and one connection to the warehouse, and
    build their Data Docs in one go. Each suite is validated on its own (an error in one fails
    that suite only); what is shared is GX's set-up: the context, the SQL datasource and its
    connection, the Data Docs build."""
    warehouse = Path(warehouse)
    t_import = time.perf_counter()
    from dagster_project.quality import gx_duckdb

    gx_duckdb.ensure_duckdb_support()
    import great_expectations as gx

    from dagster_project.quality import gx_row_count

    gx_row_count.install()  # each unexpected-rows query runs once, not twice

    import_seconds = time.perf_counter() - t_import

    context = gx_context(store_dir, docs_dir)
    path = str(warehouse.resolve())
    runs = [SuiteRun(suite=b.suite, outcomes=[], parameters=dict(b.parameters)) for b in batches]
    results: list[Any] = [None] * len(batches)
    datasource = None
    try:
        setup_error = None
        try:
            datasource = context.data_sources.add_sql(
                name=DATASOURCE,
                connection_string=gx_duckdb.connection_string(path),
                kwargs=gx_duckdb.engine_kwargs(
                    path,
                    memory_limit
                    or os.environ.get("TOEX_QUALITY_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
                ),
            )
            gx_duckdb.prepare(datasource)
            gx_duckdb.prefetch_reflection(
                datasource, [b.suite.table for b in batches if not b.suite.quarter_column]
            )
        except Exception as exc:  # no suite can run: each fails with the error
            log.exception("could not open the warehouse for the quality suites")
            setup_error = exc
        for i, (b, run) in enumerate(zip(batches, runs, strict=True)):
            started = time.perf_counter()
            try:
                if setup_error is not None:
                    raise setup_error
                results[i] = _validate(gx, context, datasource, b, run_id)
                run.outcomes = _outcomes(b.suite, results[i])
            except Exception as exc:  # the suite could not run: every expectation fails
                log.exception("suite %s could not run", b.suite.name)
                run.outcomes = suite_errored(
                    b.suite, f"suite could not run: {type(exc).__name__}: {exc}"
                )
            run.seconds = time.perf_counter() - started
    finally:
        if datasource is not None:
            gx_duckdb.release(datasource)

    for b, run, result in zip(batches, runs, results, strict=True):
        if result is not None:  # read after GX has let go of the file
            started = time.perf_counter()
            _describe_unexpected_rows(warehouse, b.suite, result, run.outcomes, b.reporting_quarter)
            run.seconds += time.perf_counter() - started
    if docs_dir is not None:
        validated = [b.suite for b, result in zip(batches, results, strict=True) if result]
        index, pages = build_docs(context, validated, run_id)
        for run in runs:
            run.docs_index, run.docs_page = index, pages.get(run.suite.name)
    if runs:
        runs[0].gx_import_seconds = import_seconds
    return runs


def _validate(gx, context, datasource, batch: SuiteBatch, run_id: str | None):
    """GX's result of one suite on its batch: the whole table, or the reporting quarter's rows."""
    from great_expectations.core.run_identifier import RunIdentifier

    suite = batch.suite
    body = suite.raw_json()
    body.pop("id", None)
    gx_suite = context.suites.add_or_update(gx.ExpectationSuite(**body))
    schema, _, table = suite.table.rpartition(".")
    if suite.quarter_column:
        if not batch.reporting_quarter:
            raise ValueError(f"suite {suite.name} validates one reporting quarter: none given")
        quoted = batch.reporting_quarter.replace("'", "''")
        asset = datasource.add_query_asset(
            name=suite.name,
            query=f"SELECT * FROM {suite.table} WHERE {suite.quarter_column} = '{quoted}'",
        )
    else:
        with (
            warnings.catch_warnings()
        ):  # GX 1.24 deprecates schema_name; DuckDB has no per-connection schema here
            warnings.simplefilter("ignore", DeprecationWarning)
            asset = datasource.add_table_asset(
                name=suite.name, table_name=table, schema_name=schema or None
            )
    batch_definition = asset.add_batch_definition_whole_table("whole")
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite.name, data=batch_definition, suite=gx_suite)
    )
    return validation.run(
        expectation_parameters=batch.parameters,
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS},
        run_id=RunIdentifier(run_name=run_id or "adhoc", run_time=datetime.now(ZoneInfo("UTC"))),
    )


def suite_errored(suite: Suite, message: str) -> list[ExpectationOutcome]:
    """The suite could not run at all: every expectation fails (errored) with `message`."""
    return [
        ExpectationOutcome(suite.name, e.name, e.severity, False, None, message, True, e.type)
        for e in suite.expectations
    ]


def _outcomes(suite: Suite, result) -> list[ExpectationOutcome]:
    by_name = {e.name: e for e in suite.expectations}
    outcomes: dict[str, ExpectationOutcome] = {}
    for r in result.results:
        cfg = r.expectation_config
        meta = cfg.meta or {}
        spec = by_name.get(meta.get("name"))
        if spec is None:
            continue
        error = _exception_message(r.exception_info)
        res = dict(r.result or {})
        if error:
            o = ExpectationOutcome(
                suite.name,
                spec.name,
                spec.severity,
                False,
                None,
                f"could not be evaluated: {error}",
                True,
                spec.type,
            )
        elif r.success:
            observed = res.get("observed_value", res.get("unexpected_count"))
            o = ExpectationOutcome(
                suite.name,
                spec.name,
                spec.severity,
                True,
                _jsonable(observed),
                "",
                False,
                spec.type,
            )
        else:
            observed, msg = _describe(cfg.type, dict(cfg.kwargs), res)
            if spec.description:
                msg = f"{spec.description} — {msg}"
            o = ExpectationOutcome(
                suite.name,
                spec.name,
                spec.severity,
                False,
                _jsonable(observed),
                msg,
                False,
                spec.type,
            )
        outcomes[spec.name] = o
    # An expectation GX did not report on at all has not passed either.
    return [
        outcomes.get(e.name)
        or ExpectationOutcome(
            suite.name,
            e.name,
            e.severity,
            False,
            None,
            "no result from Great Expectations",
            True,
            e.type,
        )
        for e in suite.expectations
    ]


def _describe_unexpected_rows(
    warehouse: Path,
    suite: Suite,
    result,
    outcomes: list[ExpectationOutcome],
    reporting_quarter: str | None,
) -> None:
    """GX's SUMMARY result of an UnexpectedRowsExpectation is just the row count; show the
    first offending rows too (bounded: LIMIT), read after GX has let go of the file."""
    failed = {
        o.expectation: o
        for o in outcomes
        if not o.success and not o.errored and o.type == "unexpected_rows_expectation"
    }
    if not failed:
        return
    if suite.quarter_column:
        quoted = (reporting_quarter or "").replace("'", "''")
        batch = f"(SELECT * FROM {suite.table} WHERE {suite.quarter_column} = '{quoted}')"
    else:
        batch = suite.table
    queries = {
        (r.expectation_config.meta or {}).get("name"): r.expectation_config.kwargs.get(
            "unexpected_rows_query"
        )
        for r in result.results
    }
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:  # only the sample is lost; the outcome stands
        log.warning("could not read sample rows for suite %s: %s", suite.name, exc)
        return
    with con:
        for name, o in failed.items():
            query = queries.get(name)
            if not query:
                continue
            try:
                cur = con.execute(
                    f"SELECT * FROM ({query.replace('{batch}', batch)}) LIMIT {SAMPLE_ROWS}"
                )
                cols = [d[0] for d in cur.description]
                rows = [dict(zip(cols, r, strict=False)) for r in cur.fetchall()]
            except duckdb.Error as exc:
                rows = [{"error": str(exc)}]
            count = o.observed_value
            o.observed_value = {"unexpected_rows": count, "first_rows": _jsonable(rows)}
            shown = "; ".join(", ".join(f"{k}={v}" for k, v in r.items()) for r in rows)
            spec = next(e for e in suite.expectations if e.name == name)
            o.message = (
                f"{spec.description + ' — ' if spec.description else ''}"
                f"{count} unexpected row(s): {shown}"
            )

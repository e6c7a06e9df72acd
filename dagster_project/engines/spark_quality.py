"""The quality suites (`expectations/`) on the Spark engine: Great Expectations' native Spark
datasource (`context.data_sources.add_spark`), one DataFrame batch per suite, in the
cluster application of `engines/spark.quality_session`.

The suites are the same files as on DuckDB. Their SQL expectations (`unexpected_rows_query`)
are written in DuckDB's dialect; here each query is transpiled to Spark SQL with sqlglot
(installed with dagster-dbt), plus the three DuckDB functions sqlglot leaves as they are:
`list_position` (Spark: `array_position`, 0 when absent, hence NULLIF), `isfinite` and
integer division `//`. A query that still does not run errors the expectation, which fails it
(never a silent pass), naming the error.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dagster_project.quality.gx_context import build_docs, gx_context
from dagster_project.quality.runner import (
    SAMPLE_ROWS,
    SuiteRun,
    _jsonable,
    _outcomes,
    suite_errored,
)
from dagster_project.quality.suites import Suite

log = logging.getLogger("toex.quality.spark")

DATASOURCE = "spark"
BATCH = "{batch}"
_PLACEHOLDER = "toex_batch_placeholder"


def to_spark_sql(query: str) -> str:
    """A suite query in DuckDB's SQL as Spark SQL; `{batch}` is kept for GX to substitute."""
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(query.replace(BATCH, _PLACEHOLDER), read="duckdb")

    def rewrite(node):
        if isinstance(node, exp.Anonymous) and node.name.lower() == "list_position":
            return exp.func(
                "nullif", exp.func("array_position", *node.expressions), exp.Literal.number(0)
            )
        if isinstance(node, exp.Anonymous) and node.name.lower() == "isfinite":
            x = node.expressions[0]
            return exp.paren(
                exp.and_(
                    exp.not_(exp.func("isnan", x.copy())),
                    exp.LT(
                        this=exp.func("abs", x.copy()),
                        expression=exp.cast(exp.Literal.string("Infinity"), "double"),
                    ),
                )
            )
        return node

    return tree.transform(rewrite).sql(dialect="spark").replace(_PLACEHOLDER, BATCH)


def _spark_suite_body(suite: Suite) -> dict:
    body = suite.raw_json()
    body.pop("id", None)
    for e in body.get("expectations", []):
        q = (e.get("kwargs") or {}).get("unexpected_rows_query")
        if q:
            e["kwargs"]["unexpected_rows_query"] = to_spark_sql(q)
    return body


def batch_frame(spark, suite: Suite, reporting_quarter: str | None):
    df = spark.table(suite.table)
    if suite.quarter_column:
        if not reporting_quarter:
            raise ValueError(f"suite {suite.name} validates one reporting quarter: none given")
        df = df.where(df[suite.quarter_column] == reporting_quarter)
    return df


def run_suite_on_spark(
    suite: Suite,
    *,
    landing: Path,
    delivery_id: str,
    reporting_quarter: str | None,
    parameters: dict[str, Any],
    run_id: str | None = None,
    docs_dir: Path | None = None,
    store_dir: Path | None = None,
) -> SuiteRun:
    """`quality.runner.run_suite`, with the batch a Spark DataFrame of the table on the cluster."""
    from dagster_project.engines import spark as engine

    started = time.perf_counter()
    t_import = time.perf_counter()
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    run = SuiteRun(
        suite=suite,
        outcomes=[],
        parameters=dict(parameters),
        gx_import_seconds=time.perf_counter() - t_import,
    )
    result = None
    try:
        spark = engine.quality_session()
        engine.register_tables(
            spark, landing, delivery_id, layers=not suite.table.startswith("raw.")
        )
        context = gx_context(store_dir, docs_dir)
        gx_suite = context.suites.add_or_update(gx.ExpectationSuite(**_spark_suite_body(suite)))
        asset = context.data_sources.add_spark(name=DATASOURCE).add_dataframe_asset(name=suite.name)
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(
                name=suite.name,
                data=asset.add_batch_definition_whole_dataframe("whole"),
                suite=gx_suite,
            )
        )
        df = batch_frame(spark, suite, reporting_quarter)
        result = validation.run(
            batch_parameters={"dataframe": df},
            expectation_parameters=parameters,
            result_format={"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS},
            run_id=RunIdentifier(
                run_name=run_id or "adhoc", run_time=datetime.now(ZoneInfo("UTC"))
            ),
        )
    except (
        Exception
    ) as exc:  # the suite could not run at all: every expectation fails with the error
        log.exception("suite %s could not run on Spark", suite.name)
        run.outcomes = suite_errored(
            suite, f"suite could not run on Spark: {type(exc).__name__}: {exc}"
        )
    if result is not None:
        run.outcomes = _outcomes(suite, result)
        _describe_unexpected_rows(spark, suite, result, run.outcomes, reporting_quarter)
        if docs_dir is not None:
            run.docs_index, pages = build_docs(context, [suite], run_id)
            run.docs_page = pages.get(suite.name)
    run.seconds = time.perf_counter() - started
    return run


def _describe_unexpected_rows(
    spark, suite: Suite, result, outcomes, reporting_quarter: str | None
) -> None:
    """As on DuckDB: the first offending rows of a failed UnexpectedRowsExpectation."""
    failed = {
        o.expectation: o
        for o in outcomes
        if not o.success and not o.errored and o.type == "unexpected_rows_expectation"
    }
    if not failed:
        return
    batch_frame(spark, suite, reporting_quarter).createOrReplaceTempView("toex_failed_batch")
    for r in result.results:
        name = (r.expectation_config.meta or {}).get("name")
        query = r.expectation_config.kwargs.get("unexpected_rows_query")
        o = failed.get(name)
        if o is None or not query:
            continue
        try:
            rows = [
                row.asDict()
                for row in spark.sql(query.replace(BATCH, "toex_failed_batch"))
                .limit(SAMPLE_ROWS)
                .collect()
            ]
        except Exception as exc:  # only the sample is lost; the outcome stands
            rows = [{"error": str(exc)[:200]}]
        count = o.observed_value
        o.observed_value = {"unexpected_rows": count, "first_rows": _jsonable(rows)}
        shown = "; ".join(", ".join(f"{k}={v}" for k, v in row.items()) for row in rows)
        spec = next(e for e in suite.expectations if e.name == name)
        o.message = (
            f"{spec.description + ' — ' if spec.description else ''}"
            f"{count} unexpected row(s): {shown}"
        )

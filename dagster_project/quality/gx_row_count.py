"""GX's `unexpected_rows_expectation` on SQL: the row count from the rows it already read.

The expectation needs two metrics of its query: `unexpected_rows_query.table` (the rows, up to
GX's `MAX_RESULT_RECORDS`, for the result's details) and `unexpected_rows_query.row_count` (how
many). On SQL, GX runs the query once for each: the rows, then `SELECT COUNT(*) FROM (query)`.
Our cross-table queries aggregate whole raw tables (8.5 M assessments joined with the listed
threats at scale 1000, 1.5 CPU s a run), so every one ran twice (docs/SCALE_LOG.md, "ingest7").

`install()` registers a row-count provider for the SQL engine that depends on the table metric
of the same query (the same metric configuration the expectation asks for, so GX resolves it
once) and counts its rows when there are fewer than `MAX_RESULT_RECORDS`: then they are every
row the query returns, and the count is exact. Otherwise it counts with GX's own query, as before.
Other engines (Spark) keep GX's provider. The expectation, its query, result and Data Docs are
GX's own; `tests/test_quality_row_count.py` checks both paths against GX's count.
"""

from __future__ import annotations

import logging

TABLE_METRIC = "unexpected_rows_query.table"
_installed = False


def install() -> None:
    """Register the provider (idempotent; call after `great_expectations` is importable)."""
    global _installed
    if _installed:
        return
    registry = logging.getLogger("great_expectations.expectations.registry")
    level = registry.level
    registry.setLevel(logging.ERROR)  # GX warns that it replaces its own provider: intended
    try:
        _define()  # defining the class registers it (GX's MetaMetricProvider)
    finally:
        registry.setLevel(level)
    _installed = True


def _define():
    from great_expectations.constants import MAX_RESULT_RECORDS
    from great_expectations.execution_engine import SqlAlchemyExecutionEngine
    from great_expectations.expectations.metrics.metric_provider import metric_value
    from great_expectations.expectations.metrics.query_metrics.query_row_count import (
        unexpected_rows_query_row_count as gx_row_count,
    )
    from great_expectations.validator.metric_configuration import MetricConfiguration

    gx_provider = gx_row_count.UnexpectedRowsQueryRowCount

    class RowCountFromRowsRead(gx_provider):
        metric_name = gx_provider.metric_name
        value_keys = gx_provider.value_keys

        @classmethod
        def _get_evaluation_dependencies(
            cls, metric, configuration=None, execution_engine=None, runtime_configuration=None
        ):
            dependencies = super()._get_evaluation_dependencies(
                metric=metric,
                configuration=configuration,
                execution_engine=execution_engine,
                runtime_configuration=runtime_configuration,
            )
            if isinstance(execution_engine, SqlAlchemyExecutionEngine):
                dependencies[TABLE_METRIC] = MetricConfiguration(
                    metric_name=TABLE_METRIC,
                    metric_domain_kwargs=metric.metric_domain_kwargs,
                    metric_value_kwargs=metric.metric_value_kwargs,
                )
            return dependencies

        @metric_value(engine=SqlAlchemyExecutionEngine)
        def _sqlalchemy(  # GX calls it with `cls=` (execution_engine.resolve_metrics), as its own
            cls,  # noqa: N805
            execution_engine,
            metric_domain_kwargs,
            metric_value_kwargs,
            metrics,
            runtime_configuration,
        ) -> int:
            rows = metrics.get(TABLE_METRIC)
            if isinstance(rows, list) and len(rows) < MAX_RESULT_RECORDS:
                return len(rows)
            return gx_provider._sqlalchemy(
                cls=cls,
                execution_engine=execution_engine,
                metric_domain_kwargs=metric_domain_kwargs,
                metric_value_kwargs=metric_value_kwargs,
                metrics=metrics,
                runtime_configuration=runtime_configuration,
            )

    return RowCountFromRowsRead

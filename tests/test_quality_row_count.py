"""An unexpected-rows query runs once (dagster_project/quality/gx_row_count.py): its row count
comes from the rows GX read when they are fewer than MAX_RESULT_RECORDS, else from GX's count
query; either way the count GX's own provider gives."""

from __future__ import annotations

import duckdb
import pytest

from dagster_project.quality import gx_duckdb, gx_row_count


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.t AS SELECT range AS id, range % 7 AS v FROM range(5000)")
    return path


def _validate(table, queries: list[str]) -> tuple[list, list[str]]:
    """Each query as an UnexpectedRowsExpectation on raw.t; the results and every SQL statement
    GX ran."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from sqlalchemy import event

    context = gx.get_context(mode="ephemeral")
    ds = context.data_sources.add_sql(
        name="w",
        connection_string=gx_duckdb.connection_string(str(table)),
        kwargs=gx_duckdb.engine_kwargs(str(table), "128MB"),
    )
    statements: list[str] = []
    event.listen(
        ds.get_execution_engine().engine,
        "before_cursor_execute",
        lambda *args: statements.append(args[2]),
    )
    try:
        batch = (
            ds.add_table_asset(name="t", table_name="t", schema_name="raw")
            .add_batch_definition_whole_table("all")
            .get_batch()
        )
        results = [
            batch.validate(gxe.UnexpectedRowsExpectation(unexpected_rows_query=q)) for q in queries
        ]
    finally:
        gx_duckdb.release(ds)
    return results, statements


QUERIES = [
    "SELECT * FROM {batch} WHERE v = 99",  # none
    "SELECT count(*) AS n FROM {batch} HAVING count(*) > 10",  # one aggregate row
    "SELECT * FROM {batch} WHERE id < 150",  # 150: fewer than MAX_RESULT_RECORDS (200)
    "SELECT * FROM {batch} WHERE id < 200",  # exactly MAX_RESULT_RECORDS: counted by SQL
    "SELECT * FROM {batch} WHERE v = 3",  # 714: more than GX reads, counted by SQL
]
EXPECTED = [0, 1, 150, 200, 714]


@pytest.mark.filterwarnings("ignore:`schema_name` is deprecated:DeprecationWarning")
def test_row_counts_are_gx_counts_and_the_query_runs_once_when_its_rows_were_read(table):
    from great_expectations.constants import MAX_RESULT_RECORDS

    assert MAX_RESULT_RECORDS == 200  # the queries above straddle it
    gx_duckdb.ensure_duckdb_support()
    gx_row_count.install()
    results, statements = _validate(table, QUERIES)
    for r in results:
        assert not r.exception_info.get("raised_exception"), r.exception_info
    assert [r.result["observed_value"] for r in results] == EXPECTED
    assert [r.success for r in results] == [n == 0 for n in EXPECTED]
    counts = [s for s in statements if "unexpected_row_count" in s]
    # GX's count query ran only where the rows read may not be all of them (200 and 714 rows)
    assert len(counts) == 2
    assert all("id < 200" in s or "v = 3" in s for s in counts)
    gx_row_count.install()  # idempotent

"""The Great Expectations + DuckDB workaround (dagster_project/quality/gx_duckdb.py).

These fail loudly when a Great Expectations upgrade breaks the workaround: the private
attribute it extends must still exist, and a real expectation on a DuckDB table must
succeed through GX's SQL datasource (not error, not be skipped).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from importlib.metadata import version

import duckdb
import pytest

from dagster_project.quality import gx_duckdb


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(
            "CREATE TABLE raw.t AS SELECT range AS id, range % 5 AS v, "
            "DATE '2025-01-01' + range::INT AS d FROM range(1000)"
        )
    return path


def test_great_expectations_is_the_pinned_version():
    assert version("great-expectations") == gx_duckdb.GX_VERSION, (
        "great-expectations was upgraded: re-check dagster_project/quality/gx_duckdb.py against "
        "upstream issues 11579/10738 (maybe GX supports DuckDB now), then update GX_VERSION"
    )


def test_the_private_attribute_the_workaround_extends_exists():
    gx_duckdb.ensure_duckdb_support()
    module = importlib.import_module(gx_duckdb.PATCHED_MODULE)
    dialects = getattr(module, gx_duckdb.PATCHED_ATTRIBUTE)
    assert isinstance(dialects, tuple)
    assert "duckdb" in dialects and "sqlite" in dialects
    assert module._dialect_requires_persisted_connection(
        connection_string="duckdb:////tmp/x.duckdb"
    )
    gx_duckdb.ensure_duckdb_support()  # idempotent
    assert sum(1 for d in getattr(module, gx_duckdb.PATCHED_ATTRIBUTE) if d == "duckdb") == 1


def _sql_datasource(table):
    """GX's SQL datasource on the DuckDB file `table`, in an ephemeral context."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    return context.data_sources.add_sql(
        name="w",
        connection_string=gx_duckdb.connection_string(str(table)),
        kwargs=gx_duckdb.engine_kwargs(str(table), "128MB"),
    )


@pytest.mark.filterwarnings("ignore:`schema_name` is deprecated:DeprecationWarning")
def test_expectations_on_a_duckdb_table_evaluate_through_the_sql_datasource(table):
    gx_duckdb.ensure_duckdb_support()
    import great_expectations.expectations as gxe

    ds = _sql_datasource(table)
    try:
        batch = (
            ds.add_table_asset(name="t", table_name="t", schema_name="raw")
            .add_batch_definition_whole_table("all")
            .get_batch()
        )
        ok = batch.validate(gxe.ExpectColumnValuesToBeBetween(column="v", min_value=0, max_value=4))
        count = batch.validate(gxe.ExpectTableRowCountToBeBetween(min_value=1000, max_value=1000))
        bad = batch.validate(gxe.ExpectColumnMaxToBeBetween(column="v", max_value=3))
    finally:
        gx_duckdb.release(ds)
    for r in (ok, count, bad):
        assert not r.exception_info.get("raised_exception"), r.exception_info
    assert ok.success and ok.result["element_count"] == 1000
    assert count.success and count.result["observed_value"] == 1000
    assert not bad.success and bad.result["observed_value"] == 4
    # released: the file can be opened for writing again (dbt, a subprocess, needs it next)
    with duckdb.connect(str(table)) as con:
        con.execute("INSERT INTO raw.t VALUES (1000, 0, DATE '2025-01-01')")


@pytest.mark.slow
def test_upstream_still_needs_the_workaround(table, tmp_path):
    """Without the workaround every expectation errors. When this fails, GX fixed it upstream:
    delete gx_duckdb.py's patch."""
    code = textwrap.dedent(
        f"""
        import great_expectations as gx, great_expectations.expectations as gxe
        ctx = gx.get_context(mode="ephemeral")
        ds = ctx.data_sources.add_sql(name="w", connection_string="duckdb:///{table}")
        b = ds.add_table_asset(name="t", table_name="t", schema_name="raw")"""
        """.add_batch_definition_whole_table("a").get_batch()
        r = b.validate(gxe.ExpectTableRowCountToBeBetween(min_value=1))
        print("ERRORED" if not r.success and "list index out of range" """
        """in str(r.exception_info) else "WORKS")
    """
    )
    script = (
        tmp_path / "upstream.py"
    )  # a file: some GX dependency exits quietly at import under `python -c`
    script.write_text(code)
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "GX_ANALYTICS_ENABLED": "false"},
    )
    assert "ERRORED" in out.stdout, out.stdout + out.stderr


def test_prefetched_columns_are_what_per_table_reflection_gives(table):
    """prefetch_reflection answers GX's column reflection from one query: the same columns,
    types and flags as the per-table path; a table not prefetched is reflected as before."""
    gx_duckdb.ensure_duckdb_support()
    from sqlalchemy import event, inspect

    with duckdb.connect(str(table)) as con:
        con.execute("CREATE TABLE raw.other (k VARCHAR NOT NULL, amount DECIMAL(18, 3))")
    ds = _sql_datasource(table)
    try:
        engine = ds.get_execution_engine().engine
        before = {n: inspect(engine).get_columns(n, schema="raw") for n in ("t", "other")}
        gx_duckdb.prefetch_reflection(ds, ["raw.t"])
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        after = {"t": inspect(engine).get_columns("t", schema="raw")}
        assert not statements, "a prefetched table is reflected without a query"
        after["other"] = inspect(engine).get_columns("other", schema="raw")
    finally:
        gx_duckdb.release(ds)
    assert repr(after) == repr(before)
    assert [c["name"] for c in after["t"]] == ["id", "v", "d"]


def test_scipy_stats_and_altair_wait_until_they_are_used():
    """GX's import no longer executes scipy.stats or altair (no suite uses them: altair only draws
    the KL-divergence expectation's charts); each still works when used, and the expectation's
    module gets the real altair. One interpreter for both, as GX's import is most of the cost."""
    code = textwrap.dedent(
        """
        import sys
        from dagster_project.quality import gx_duckdb
        gx_duckdb.ensure_duckdb_support()
        assert "great_expectations" in sys.modules
        assert "scipy.stats._stats_py" not in sys.modules, "scipy.stats loaded with GX"
        assert not any(n.startswith("altair.") for n in sys.modules), "altair loaded with GX"
        from scipy import stats
        assert stats.norm.cdf(0) == 0.5
        assert "scipy.stats._stats_py" in sys.modules
        from great_expectations.expectations.core import (
            expect_column_kl_divergence_to_be_less_than as kl,
        )
        assert kl.alt.Chart.__module__.startswith("altair")
        assert "altair.vegalite" in sys.modules
        import altair
        assert altair.Chart is kl.alt.Chart and type(sys.modules["altair"]).__name__ == "module"
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]

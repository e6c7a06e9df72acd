{#-
  DuckDB only: a data test's query without a transaction. dbt's `test` materialization runs it
  with `auto_begin`, so each of the ~100 tests a build was `BEGIN`, the query, `ROLLBACK`; one
  read-only statement needs none (DuckDB runs it on one snapshot either way). Its result, and
  so pass / warn / error, is unchanged: the same `get_test_sql` with the test's `fail_calc`,
  `warn_if`, `error_if` and `limit`. A test that stores its failures or has an `sql_header`
  runs dbt's own materialization.
-#}
{% materialization test, adapter='duckdb' %}
  {%- if should_store_failures() or config.get('sql_header') -%}
    {{ return(dbt.materialization_test_default()) }}
  {%- endif -%}
  {%- set sql_with_limit -%}
    {{ get_limit_subquery_sql(sql, config.get('limit')) }}
  {%- endset -%}
  {%- call statement('main', fetch_result=True, auto_begin=False) -%}
    {{ get_test_sql(sql_with_limit, config.get('fail_calc'), config.get('warn_if'),
                    config.get('error_if'), limit=none) }}
  {%- endcall -%}
  {{ return({'relations': []}) }}
{% endmaterialization %}

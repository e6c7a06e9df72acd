{#-
  DuckDB only: the `table` and `view` materializations in one transaction, with fewer
  statements and macro calls than dbt-duckdb's (which builds `<name>__dbt_tmp`, renames the
  old relation to `<name>__dbt_backup` and the new one into place, commits, then drops the
  backup: 5-6 statements and ~20 macro calls a model). dbt picks a root project's
  materialization over the adapter's; Spark keeps dbt-spark's (`adapter='duckdb'`).

  Here: `BEGIN`; the old relation dropped and the new one created in one statement
  (`create_table_as` / `create_view_as`, so an enforced contract is still checked and built
  with its constraints, and `sql_header` still applies); `COMMIT`. The replacement stays
  atomic: DuckDB's DDL is transactional, so until the commit every other connection reads the
  old relation, and a failed build rolls back to it. Hooks run where dbt runs them; grants
  and persist_docs are applied as before (both no-ops in this project).

  A table's row count (DuckDB returns it for `CREATE TABLE AS` and `INSERT`) is the model's
  `rows_affected` in dbt's adapter response and its result message, `SELECT <rows>` (as
  dbt-postgres reports a table), which the dbt step reads from dbt's result line and records as
  the asset's `dagster/row_count` (dagster_project/defs/kpis.py).

  Configs this lean path does not implement fail the model rather than being ignored:
  Python models, `partitioned_by`/`sorted_by`, indexes, foreign-key constraints, DuckLake.
  Measured: docs/SCALE.md, "dbtnode".
-#}
{% materialization table, adapter='duckdb', supported_languages=['sql'] %}
  {%- do toex_lean_materialization_supported('table') -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {#- `BEGIN` is issued here, by the statement (auto_begin) -#}
  {%- call statement('main', fetch_result=True) -%}
    {{ toex_drop_for_replacement(existing_relation) }}
    {{ create_table_as(False, target_relation, compiled_code) }}
  {%- endcall -%}
  {%- set result = load_result('main') -%}
  {%- set rows = (result['data'][0][0] | int) if result['data'] | length == 1 else none -%}
  {%- do store_raw_result(
        name='main', message=('SELECT ' ~ rows) if rows is not none else (result['response'] | string),
        code=none, rows_affected=rows, agate_table=result['table']) -%}

  {{ toex_commit_replacement(existing_relation, target_relation, post_hooks) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{% materialization view, adapter='duckdb' %}
  {%- do toex_lean_materialization_supported('view') -%}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- call statement('main') -%}
    {{ toex_drop_for_replacement(existing_relation) }}
    {{ get_create_view_as_sql(target_relation, sql) }}
  {%- endcall -%}

  {{ toex_commit_replacement(existing_relation, target_relation, post_hooks) }}
  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{% macro toex_commit_replacement(existing_relation, target_relation, post_hooks) -%}
  {#- The end of both materializations: post-hooks, grants and docs inside the transaction, then
      `COMMIT` (the old relation is replaced for every other connection at once), then the
      post-hooks outside it, and dbt's relation cache told the old relation is gone. -#}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {%- do toex_grants_and_docs(existing_relation, target_relation) -%}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {%- if existing_relation is not none -%}
    {%- do adapter.cache_dropped(existing_relation) -%}
  {%- endif -%}
{%- endmacro %}


{% macro toex_drop_for_replacement(existing_relation) -%}
  {#- Inside the model's transaction: other connections keep the old relation until COMMIT.
      `cascade` as dbt-duckdb drops its backup relation. -#}
  {%- if existing_relation is not none -%}
    drop {{ existing_relation.type }} if exists {{ existing_relation }} cascade;
  {%- endif -%}
{%- endmacro %}


{% macro toex_grants_and_docs(existing_relation, target_relation) -%}
  {%- set grant_config = config.get('grants') -%}
  {%- if grant_config -%}
    {%- do apply_grants(target_relation, grant_config,
          should_revoke=should_revoke(existing_relation, full_refresh_mode=True)) -%}
  {%- endif -%}
  {%- do persist_docs(target_relation, model) -%}
{%- endmacro %}


{% macro toex_lean_materialization_supported(kind) -%}
  {%- set unsupported = [] -%}
  {%- if model['language'] != 'sql' -%}{%- do unsupported.append(model['language'] ~ ' models') -%}{%- endif -%}
  {%- for key in ['partitioned_by', 'sorted_by', 'indexes'] -%}
    {%- if config.get(key) -%}{%- do unsupported.append(key) -%}{%- endif -%}
  {%- endfor -%}
  {%- for constraint in model.get('constraints', []) -%}
    {%- if constraint.type == 'foreign_key' -%}{%- do unsupported.append('foreign keys') -%}{%- endif -%}
  {%- endfor -%}
  {%- for column in model.get('columns', {}).values() -%}
    {%- for constraint in column.get('constraints', []) -%}
      {%- if constraint.type == 'foreign_key' -%}{%- do unsupported.append('foreign keys') -%}{%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- if adapter.is_ducklake(this) -%}{%- do unsupported.append('DuckLake') -%}{%- endif -%}
  {%- if unsupported -%}
    {%- do exceptions.raise_compiler_error(
          'The project\'s DuckDB ' ~ kind ~ ' materialization (dbt/macros/duckdb_materializations.sql) '
          ~ 'does not implement ' ~ (unsupported | unique | join(', '))
          ~ ' for ' ~ this ~ ': extend it, or remove it to use dbt-duckdb\'s.') -%}
  {%- endif -%}
{%- endmacro %}


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

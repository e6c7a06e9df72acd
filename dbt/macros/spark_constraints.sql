{#-
  Spark only: enforce a model contract's `not_null` constraints on any table format.

  dbt-spark enforces them with `ALTER TABLE ... CHANGE COLUMN ... SET NOT NULL`, which only
  Delta tables support; when no `file_format` is configured it assumes Delta. On open-source
  Spark the tables are Parquet and the ALTER fails ("does not support ALTER COLUMN ... SET
  NOT NULL"). This override (dbt dispatches to the root project first) keeps dbt-spark's
  behaviour when the model is configured `file_format: delta`, and otherwise checks the
  built table: a null in a `not_null` column fails the model, as the constraint would on
  DuckDB. Other constraint types are not enforceable there and are reported, as dbt-spark
  does. DuckDB (and dbt-databricks, which has its own macros) never call it.
-#}
{% macro spark__persist_constraints(relation, model) %}
  {%- set contract_config = config.get('contract') -%}
  {%- if not (contract_config and contract_config.enforced) -%}
    {{ return(none) }}
  {%- endif -%}
  {%- if config.get('file_format') == 'delta' -%}
    {%- do alter_table_add_constraints(relation, model.constraints) -%}
    {%- do alter_column_set_constraints(relation, model.columns) -%}
  {%- else -%}
    {%- do toex_check_not_null_constraints(relation, model.columns) -%}
  {%- endif -%}
{% endmacro %}


{% macro toex_check_not_null_constraints(relation, column_dict) %}
  {%- set not_null = [] -%}
  {%- for column_name in column_dict -%}
    {%- for constraint in column_dict[column_name]['constraints'] -%}
      {%- if constraint.type == 'not_null' -%}
        {%- do not_null.append(column_name) -%}
      {%- else -%}
        {{ exceptions.warn(
            'Constraint ' ~ constraint.type ~ ' on ' ~ relation ~ '.' ~ column_name
            ~ ' is not enforced on non-Delta Spark tables.'
        ) }}
      {%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {%- if not_null | length == 0 -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set sql -%}
    select
    {%- for c in not_null %}
        sum(case when {{ adapter.quote(c) }} is null then 1 else 0 end) as {{ adapter.quote(c) }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ relation }}
  {%- endset -%}
  {%- set row = run_query(sql).rows[0] -%}
  {%- set broken = [] -%}
  {%- for c in not_null -%}
    {%- if (row[loop.index0] or 0) > 0 -%}
      {%- do broken.append(c ~ ' (' ~ row[loop.index0] ~ ' null)') -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if broken -%}
    {{ exceptions.raise_compiler_error('Contract of ' ~ relation ~ ' broken: not_null columns with nulls: ' ~ broken | join(', ')) }}
  {%- endif -%}
{% endmacro %}

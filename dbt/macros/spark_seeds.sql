{#-
  Spark only: load seed rows as SQL literals, so an empty CSV cell becomes NULL.

  dbt-spark 1.11's own `spark__load_csv_rows`, with the `session` method, formats every
  binding as '<value>', so a blank cell arrives as the string 'None' (dim_force.team of the
  four forces without a ROCU would read 'None' instead of null) and a quote inside a value
  breaks the statement. This override (dbt dispatches to the root project first) writes each
  value as a literal: NULL for a blank cell, otherwise the text quoted and escaped, cast to
  the column's type exactly as dbt-spark does. DuckDB never calls it.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set batch_size = get_batch_size() -%}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(batch_size) -%}
      {%- set sql -%}
          insert into {{ this.render() }} values
          {% for row in chunk -%}
              ({%- for col_name in agate_table.column_names -%}
                  {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                  {%- set type = column_override.get(col_name, inferred_type) -%}
                    cast({{ toex_sql_literal(row[loop.index0]) }} as {{ type }})
                  {%- if not loop.last %},{% endif -%}
              {%- endfor -%})
              {%- if not loop.last %},{% endif %}
          {% endfor %}
      {%- endset -%}
      {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
      {%- if loop.index0 == 0 -%}
          {%- do statements.append(sql) -%}
      {%- endif -%}
  {%- endfor -%}
  {{ return(statements[0]) }}
{% endmacro %}


{#- A Python value as a Spark SQL literal: NULL, or quoted text (backslash and quote escaped,
    as Spark string literals need); the caller casts it to the column's type. -#}
{% macro toex_sql_literal(value) -%}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ (value | string) | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

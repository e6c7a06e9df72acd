{#-
  Unpivot aggregated figures into the long shape of kpi_values.

  relation       a CTE (or relation) with reporting_quarter, period_type, period_start,
                 period_end, the breakdown value column (if any) and the figures
  kpi_id         e.g. 'Q1.3'
  measures       list of dicts: {name: 'disruptions', expr: 'sql', unit: 'count',
                 periods: ['quarter', ...] (optional: default all rows of relation),
                 where: 'extra sql condition' (optional)}
  breakdown      the breakdown dimension's name, default 'all'
  breakdown_col  SQL for the breakdown value, default the literal 'all'

  Rows whose value is null (a share or mean of nothing) are left out: an undefined figure
  is absent, never null or zero.
-#}
{% macro kpi_rows(relation, kpi_id, measures, breakdown='all', breakdown_col=none) %}
    {%- for m in measures %}
    select
        reporting_quarter,
        cast('{{ kpi_id }}' as {{ dbt.type_string() }}) as kpi_id,
        cast({{ m.measure_sql if m.measure_sql is defined else "'" ~ m.name ~ "'" }} as {{ dbt.type_string() }}) as measure,
        period_type,
        period_start,
        period_end,
        cast('{{ breakdown }}' as {{ dbt.type_string() }}) as breakdown,
        cast({{ breakdown_col if breakdown_col else "'all'" }} as {{ dbt.type_string() }}) as breakdown_value,
        cast({{ m.expr }} as double) as value,
        cast('{{ m.unit }}' as {{ dbt.type_string() }}) as unit
    from {{ relation }}
    where ({{ m.expr }}) is not null
    {%- if m.periods is defined %}
        and period_type in ({% for p in m.periods %}'{{ p }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- endif %}
    {%- if m.where is defined %}
        and ({{ m.where }})
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{% endmacro %}

{#- Standard output columns of every kpi_* model, in kpi_values order. -#}
{% macro kpi_columns() -%}
    reporting_quarter, kpi_id, measure, period_type, period_start, period_end,
    breakdown, breakdown_value, value, unit
{%- endmacro %}

{#- Safe division: null when the denominator is zero or null. -#}
{% macro safe_divide(numerator, denominator) -%}
    case when ({{ denominator }}) <> 0 then cast({{ numerator }} as double) / ({{ denominator }}) end
{%- endmacro %}

{#- Periods of the given types from int_kpi_periods. -#}
{% macro kpi_periods(period_types) -%}
    select reporting_quarter, quarter_start, quarter_end, period_type, period_start, period_end
    from {{ ref('int_kpi_periods') }}
    where period_type in ({% for p in period_types %}'{{ p }}'{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{#- Values of a closed code list (seed code_values), in list order. -#}
{% macro code_list(name, column='code_value') -%}
    select code_value as {{ column }}, sort_order
    from {{ ref('code_values') }}
    where code_list = '{{ name }}'
{%- endmacro %}

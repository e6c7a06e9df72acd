{#-
  A model's import CTEs (the dbt style guide's: every relation a model reads, selected whole at
  the top under a local name), one line each:

    with

    {{ import_ctes([
        ('operations', 'dim_operation'),
        ('operation_threats', 'bridge_operation_threats', 'is_soc_exploitation_threat'),
    ]) }},

    open_operations as (
        ...

  Each entry is (CTE name, model or seed name) or (CTE name, model, where condition); each
  renders `name as (select * from ref(model) [where condition])`. The CTEs are separated by
  commas; the model writes the one after the call, as after any CTE.
-#}
{% macro import_ctes(imports) -%}
    {%- for cte in imports -%}
{{ cte[0] }} as (

    select * from {{ ref(cte[1]) }}{{ ' where ' ~ cte[2] if cte | length > 2 }}

){{ ',\n\n' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

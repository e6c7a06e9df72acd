{#-
  A staging model: one row per row of a source table, every column cast to the type its source
  declares and renamed where the warehouse's names differ from the extract's.

    {{ stage_source('raw', 'costs', renamed={'month': 'month_start'}) }}

  source_name, table_name  the dbt source (models/staging/_sources.yml)
  renamed                  {source column: staging name}; every other column keeps its name

  The columns and their types come from the source's declaration, which scripts/build_seeds.py
  generates from the extract contract (the contract's `type` as the warehouse stores it), so a
  column's type is written once and a column added to a contract reaches staging by itself.
  The load column `_delivery_id` becomes `source_delivery_id` (lineage); other columns
  starting with `_` are the loader's bookkeeping (`_row_number`) and are left out. A renamed
  column the source does not declare is an error, so a typo cannot silently drop a rename.
  The rendered SQL is jaffle-shop's `source` -> `renamed` staging shape.
-#}
{% macro stage_source(source_name, table_name, renamed={}) %}
    {%- set names = {'_delivery_id': 'source_delivery_id'} -%}
    {%- do names.update(renamed) -%}
with

source as (

    select * from {{ source(source_name, table_name) }}

),

renamed as (

    select
    {%- if execute %}
        {%- set columns = source_columns(source_name, table_name) %}
        {%- for name in renamed if name not in columns %}
            {{ exceptions.raise_compiler_error(
                "stage_source: " ~ source_name ~ "." ~ table_name ~ " declares no column " ~ name) }}
        {%- endfor %}
        {%- for column in columns.values() if column.name in names or not column.name.startswith('_') %}
        cast({{ column.name }} as {{ staging_type(column.data_type) }}) as {{ names.get(column.name, column.name) }}
        {{- "," if not loop.last }}
        {%- endfor %}
    {%- else %}
        {#- dbt's parse renders this only to see the source() above; no column is needed. #}
        *
    {%- endif %}

    from source

)

select * from renamed
{%- endmacro %}

{#- A source table's declared columns ({name: column}, in declaration order). -#}
{% macro source_columns(source_name, table_name) %}
    {%- for node in graph.sources.values()
        if node.source_name == source_name and node.name == table_name -%}
        {{ return(node.columns) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no source " ~ source_name ~ "." ~ table_name) }}
{%- endmacro %}

{#- The cast type of a declared warehouse type (text is `string` on Spark). -#}
{% macro staging_type(data_type) -%}
    {{ dbt.type_string() if data_type == 'varchar' else data_type }}
{%- endmacro %}

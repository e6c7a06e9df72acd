{#-
  Each entity's state at each quarter end, reconstructed from dated entries (never from a
  current-status column): its latest entry dated on or before the quarter end; entries on the
  same day are ordered by their code list (the later value in the list wins).

  entries      relation of dated entries, e.g. ref('stg_capabilities')
  key          the entity's column, e.g. 'capability_id'
  date_column  the entry's date, e.g. 'entered_date'
  code_column  the entry's state column, e.g. 'stage'
  order_list   the code list that orders same-day states, e.g. 'capabilities.stage'
  columns      output columns after reporting_quarter and quarter_end ('x as y' renames)
-#}
{% macro latest_at_quarter_end(entries, key, date_column, code_column, order_list, columns) %}
with

quarters as (

    select reporting_quarter, quarter_end from {{ ref('int_fiscal_quarters') }}

),

entries as (

    select
        entries.*,
        entry_order.sort_order as entry_order
    from {{ entries }} as entries
    left join ({{ code_list(order_list) }}) as entry_order
        on entry_order.code_value = entries.{{ code_column }}

),

ranked as (

    select
        quarters.reporting_quarter,
        quarters.quarter_end,
        entries.*,
        row_number() over (
            partition by quarters.reporting_quarter, entries.{{ key }}
            order by entries.{{ date_column }} desc, entries.entry_order desc
        ) as entry_rank
    from quarters
    inner join entries
        on entries.{{ date_column }} <= quarters.quarter_end

),

final as (

    select
        reporting_quarter,
        quarter_end,
        {{ columns | join(',\n        ') }}
    from ranked
    where entry_rank = 1

)

select * from final
{% endmacro %}

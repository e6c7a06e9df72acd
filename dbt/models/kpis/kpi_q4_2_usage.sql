{#- Q4.2 Usage and storage, measured by the platform itself (a Dagster asset writes
    ops.platform_usage): warehouse_bytes and warehouse_rows as at the quarter end,
    pipeline_runs in the quarter. Only quarters of the calendar are kept. The unit is the KPI
    catalogue's (a quarter's measurements are frozen when first recorded, units included). -#}
with

{{ import_ctes([('usage', 'stg_ops_platform_usage')]) }},

quarters as (

    select reporting_quarter from {{ ref('int_fiscal_quarters') }}

),

measured as (

    select usage.*
    from usage
    inner join quarters
        on usage.reporting_quarter = quarters.reporting_quarter
    where usage.value is not null

),

final as (

    select
        measured.reporting_quarter,
        cast('Q4.2' as {{ dbt.type_string() }}) as kpi_id,
        measured.measure,
        measured.period_type,
        measured.period_start,
        measured.period_end,
        cast('all' as {{ dbt.type_string() }}) as breakdown,
        cast('all' as {{ dbt.type_string() }}) as breakdown_value,
        measured.value,
        coalesce(catalogue.unit, measured.unit) as unit
    from measured
    left join {{ ref('kpi_catalogue_entries') }} as catalogue
        on catalogue.kpi_id = 'Q4.2'
        and catalogue.measure = measured.measure
        and catalogue.breakdown = 'all'

)

select {{ kpi_columns() }} from final

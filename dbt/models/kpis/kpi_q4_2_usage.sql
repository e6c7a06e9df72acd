{#- Q4.2 Usage and storage, measured by the platform itself (a Dagster asset writes
    ops.platform_usage): warehouse_bytes and warehouse_rows as at the quarter end,
    pipeline_runs in the quarter. Only quarters of the calendar are kept. -#}
with

quarters as (

    select reporting_quarter from {{ ref('int_fiscal_quarters') }}

),

usage as (

    select * from {{ ref('stg_ops_platform_usage') }}

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
        reporting_quarter,
        cast('Q4.2' as {{ dbt.type_string() }}) as kpi_id,
        measure,
        period_type,
        period_start,
        period_end,
        cast('all' as {{ dbt.type_string() }}) as breakdown,
        cast('all' as {{ dbt.type_string() }}) as breakdown_value,
        value,
        unit
    from measured

)

select {{ kpi_columns() }} from final

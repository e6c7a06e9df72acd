with

source as (

    select * from {{ source('ops', 'platform_usage') }}

),

renamed as (

    select
        cast(reporting_quarter as {{ dbt.type_string() }}) as reporting_quarter,
        cast(measure as {{ dbt.type_string() }}) as measure,
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(value as double) as value,
        cast(unit as {{ dbt.type_string() }}) as unit

    from source

)

select * from renamed

with

source as (

    select * from {{ source('raw', 'tool_usage') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(month as date) as month_start,
        cast(tool as {{ dbt.type_string() }}) as tool,
        cast(organisation as {{ dbt.type_string() }}) as organisation,
        cast(active_users as bigint) as active_users,
        cast(jobs as bigint) as jobs,
        cast(units as double) as units,
        cast(unit_type as {{ dbt.type_string() }}) as unit_type

    from source

)

select * from renamed

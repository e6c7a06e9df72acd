with

source as (

    select * from {{ source('raw', 'comms_metrics') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(month as date) as month_start,
        cast(channel as {{ dbt.type_string() }}) as channel,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(value as double) as value

    from source

)

select * from renamed

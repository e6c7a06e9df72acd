with

source as (

    select * from {{ source('raw', 'operation_threats') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(operation_ref as {{ dbt.type_string() }}) as operation_ref,
        cast(threat_type as {{ dbt.type_string() }}) as threat_type,
        cast(sub_threat as {{ dbt.type_string() }}) as sub_threat

    from source

)

select * from renamed

with

source as (

    select * from {{ source('raw', 'capabilities') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(capability_id as {{ dbt.type_string() }}) as capability_id,
        cast(capability_name as {{ dbt.type_string() }}) as capability_name,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(entered_date as date) as entered_date

    from source

)

select * from renamed

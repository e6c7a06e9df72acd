with

source as (

    select * from {{ source('raw', 'identifications') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(identification_id as {{ dbt.type_string() }}) as identification_id,
        cast(source_system as {{ dbt.type_string() }}) as source_system,
        cast(record_ref as {{ dbt.type_string() }}) as record_ref,
        cast(operation_ref as {{ dbt.type_string() }}) as operation_ref,
        cast(identified_date as date) as identified_date,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(verified as boolean) as is_verified

    from source

)

select * from renamed

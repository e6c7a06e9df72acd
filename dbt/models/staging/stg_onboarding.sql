with

source as (

    select * from {{ source('raw', 'onboarding') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(organisation as {{ dbt.type_string() }}) as organisation,
        cast(org_type as {{ dbt.type_string() }}) as org_type,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(status_date as date) as status_date

    from source

)

select * from renamed

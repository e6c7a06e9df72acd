with

source as (

    select * from {{ source('raw', 'platform_users') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(user_id as {{ dbt.type_string() }}) as user_pseudonym,
        cast(organisation as {{ dbt.type_string() }}) as organisation,
        cast(role as {{ dbt.type_string() }}) as role,
        cast(platform as {{ dbt.type_string() }}) as platform,
        cast(first_access_date as date) as first_access_date,
        cast(last_access_date as date) as last_access_date

    from source

)

select * from renamed

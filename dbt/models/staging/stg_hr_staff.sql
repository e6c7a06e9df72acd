with

source as (

    select * from {{ source('raw', 'hr_staff') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(staff_number as {{ dbt.type_string() }}) as staff_pseudonym,
        cast(team as {{ dbt.type_string() }}) as team,
        cast(start_date as date) as start_date,
        cast(end_date as date) as end_date,
        cast(leaving_reason as {{ dbt.type_string() }}) as leaving_reason,
        cast(promoted_date as date) as promoted_date

    from source

)

select * from renamed

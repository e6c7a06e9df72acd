with

source as (

    select * from {{ source('raw', 'hr_positions') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(snapshot_date as date) as snapshot_date,
        cast(position_id as {{ dbt.type_string() }}) as position_id,
        cast(team as {{ dbt.type_string() }}) as team,
        cast(role_title as {{ dbt.type_string() }}) as role_title,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(recruitment_stage as {{ dbt.type_string() }}) as recruitment_stage

    from source

)

select * from renamed

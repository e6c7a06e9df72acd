with

source as (

    select * from {{ source('raw', 'operations') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(operation_ref as {{ dbt.type_string() }}) as operation_ref,
        cast(team as {{ dbt.type_string() }}) as team,
        cast(owning_force as {{ dbt.type_string() }}) as owning_force,
        cast(opened_date as date) as opened_date,
        cast(closed_date as date) as closed_date,
        cast(soc_master_list as boolean) as is_soc_master_list

    from source

)

select * from renamed

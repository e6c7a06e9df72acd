with

source as (

    select * from {{ source('raw', 'toex_jobs') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(job_id as {{ dbt.type_string() }}) as job_id,
        cast(operation_ref as {{ dbt.type_string() }}) as operation_ref,
        cast(team as {{ dbt.type_string() }}) as team,
        cast(origin as {{ dbt.type_string() }}) as origin,
        cast(support_level as {{ dbt.type_string() }}) as support_level,
        cast(allocated_date as date) as allocated_date,
        cast(closed_date as date) as closed_date,
        cast(status as {{ dbt.type_string() }}) as status

    from source

)

select * from renamed

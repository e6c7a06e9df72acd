with

source as (

    select * from {{ source('raw', 'case_studies') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(quarter as {{ dbt.type_string() }}) as reporting_quarter,
        cast(operation_ref as {{ dbt.type_string() }}) as operation_ref,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(body_markdown as {{ dbt.type_string() }}) as body_markdown,
        cast(publish as boolean) as is_published

    from source

)

select * from renamed

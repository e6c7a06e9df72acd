with

source as (

    select * from {{ source('raw', 'costs') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(month as date) as month_start,
        cast(cost_centre as {{ dbt.type_string() }}) as cost_centre,
        cast(category as {{ dbt.type_string() }}) as category,
        cast(amount_gbp as double) as amount_gbp

    from source

)

select * from renamed

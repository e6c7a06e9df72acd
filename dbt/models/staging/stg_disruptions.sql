with

source as (

    select * from {{ source('raw', 'disruptions') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(disruption_id as {{ dbt.type_string() }}) as disruption_id,
        cast(operation_ref as {{ dbt.type_string() }}) as operation_ref,
        cast(disruption_date as date) as disruption_date,
        cast(threat_type as {{ dbt.type_string() }}) as threat_type,
        cast(impact as {{ dbt.type_string() }}) as impact,
        cast(moderation_status as {{ dbt.type_string() }}) as moderation_status,
        cast(moderated_date as date) as moderated_date,
        cast(toex_involved as boolean) as is_toex_involved,
        cast(technical_tool as {{ dbt.type_string() }}) as technical_tool,
        cast(description as {{ dbt.type_string() }}) as description

    from source

)

select * from renamed

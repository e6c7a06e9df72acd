with

source as (

    select * from {{ source('raw', 'morile_assessments') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(assessment_id as {{ dbt.type_string() }}) as assessment_id,
        cast(operation_ref as {{ dbt.type_string() }}) as operation_ref,
        cast(threat_type as {{ dbt.type_string() }}) as threat_type,
        cast(assessment_date as date) as assessment_date,
        cast(risk_score as bigint) as risk_score,
        cast(ori as bigint) as ori

    from source

)

select * from renamed

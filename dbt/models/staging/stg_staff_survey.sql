with

source as (

    select * from {{ source('raw', 'staff_survey') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(wave as date) as wave_month,
        cast(respondent_id as {{ dbt.type_string() }}) as respondent_pseudonym,
        cast(question_id as {{ dbt.type_string() }}) as question_id,
        cast(question_text as {{ dbt.type_string() }}) as question_text,
        cast(answer as {{ dbt.type_string() }}) as answer

    from source

)

select * from renamed

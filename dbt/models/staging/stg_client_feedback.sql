with

source as (

    select * from {{ source('raw', 'client_feedback') }}

),

renamed as (

    select
        _delivery_id as source_delivery_id,
        cast(response_id as {{ dbt.type_string() }}) as response_id,
        cast(submitted_date as date) as submitted_date,
        cast(operation_ref as {{ dbt.type_string() }}) as operation_ref,
        cast(respondent_email as {{ dbt.type_string() }}) as respondent_pseudonym,
        cast(respondent_role as {{ dbt.type_string() }}) as respondent_role,
        cast(respondent_force as {{ dbt.type_string() }}) as respondent_force,
        cast(q1_referral_clear as {{ dbt.type_string() }}) as q1_referral_clear,
        cast(q2_team_accessible as {{ dbt.type_string() }}) as q2_team_accessible,
        cast(q3_kept_updated as {{ dbt.type_string() }}) as q3_kept_updated,
        cast(q4_timescales_met as {{ dbt.type_string() }}) as q4_timescales_met,
        cast(q5_terms_of_reference as {{ dbt.type_string() }}) as q5_terms_of_reference,
        cast(q6_product_useful as {{ dbt.type_string() }}) as q6_product_useful,
        cast(would_recommend as {{ dbt.type_string() }}) as would_recommend,
        cast(comments as {{ dbt.type_string() }}) as comments

    from source

)

select * from renamed

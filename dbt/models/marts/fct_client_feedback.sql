{#- One row per operational feedback survey response. Blank answers stay null (not counted). -#}
with

{{ import_ctes([('responses', 'stg_client_feedback')]) }},

final as (

    select
        response_id,
        submitted_date,
        operation_ref,
        respondent_pseudonym,
        respondent_role,
        respondent_force,
        q1_referral_clear,
        q2_team_accessible,
        q3_kept_updated,
        q4_timescales_met,
        q5_terms_of_reference,
        q6_product_useful,
        would_recommend,
        would_recommend is not null as answered_recommend,
        would_recommend = 'Yes' as recommends
    from responses

)

{{ with_fiscal_quarter('final', 'submitted_date') }}

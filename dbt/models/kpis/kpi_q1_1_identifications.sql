{#- Q1.1 Identification of new threats: identifications (distinct record_ref with a verified
    record, dated by its earliest verified record) of each category dated in the period. -#}
with

{{ import_ctes([('identifications', 'fct_identifications')]) }},

periods as (

    {{ kpi_periods(['quarter', 'fy_to_date', 'financial_year', 'since_inception']) }}

),

categories as (

    {{ code_list('identifications.category', 'category') }}

),

counts as (

    {{ zero_filled_by_code('categories', 'category', 'identifications', [
        ['identifications', "count(identifications.record_ref)"],
    ], conditions=[in_period('identifications.identified_date')]) }}

),

final as (

    {{ kpi_rows('counts', 'Q1.1', [
        {'name': 'category', 'unit': 'count', 'expr': 'identifications',
         'measure_sql': "case category when 'safeguarding_referral' then 'safeguarding_referrals'
                                       when 'priority_individual' then 'priority_individuals'
                                       when 'ocg' then 'ocgs'
                                       when 'vulnerability' then 'vulnerabilities' end"},
    ]) }}

)

select {{ kpi_columns() }} from final

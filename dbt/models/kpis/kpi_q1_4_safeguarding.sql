{#- Q1.4 Individuals safeguarded: safeguarding referrals (as Q1.1) and the distinct
    operations of those referrals (each referral's operation is that of its earliest
    verified record). -#}
with

{{ import_ctes([('referrals', 'fct_identifications', "category = 'safeguarding_referral'")]) }},

periods as (

    {{ kpi_periods(['quarter', 'fy_to_date', 'financial_year', 'since_inception']) }}

),

counts as (

    {{ figures_by_period('referrals', [
        ['safeguarding_referrals', "count(referrals.record_ref)"],
        ['safeguarding_operations', "count(distinct referrals.operation_ref)"],
    ], conditions=[in_period('referrals.identified_date')]) }}

),

final as (

    {{ kpi_rows('counts', 'Q1.4', [
        {'name': 'safeguarding_referrals', 'expr': 'safeguarding_referrals', 'unit': 'count'},
        {'name': 'safeguarding_operations', 'expr': 'safeguarding_operations', 'unit': 'count'},
    ]) }}

)

select {{ kpi_columns() }} from final

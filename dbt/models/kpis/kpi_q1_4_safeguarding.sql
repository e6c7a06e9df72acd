{#- Q1.4 Individuals safeguarded: safeguarding referrals (as Q1.1) and the distinct
    operations of those referrals (each referral's operation is that of its earliest
    verified record). -#}
with

periods as (

    {{ kpi_periods(['quarter', 'fy_to_date', 'financial_year', 'since_inception']) }}

),

referrals as (

    select * from {{ ref('fct_identifications') }} where category = 'safeguarding_referral'

),

counts as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        count(referrals.record_ref) as safeguarding_referrals,
        count(distinct referrals.operation_ref) as safeguarding_operations
    from periods
    left join referrals
        on referrals.identified_date between periods.period_start and periods.period_end
    group by periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end

),

final as (

    {{ kpi_rows('counts', 'Q1.4', [
        {'name': 'safeguarding_referrals', 'expr': 'safeguarding_referrals', 'unit': 'count'},
        {'name': 'safeguarding_operations', 'expr': 'safeguarding_operations', 'unit': 'count'},
    ]) }}

)

select {{ kpi_columns() }} from final

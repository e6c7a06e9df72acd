{#- Q5.1 Costs incurred (all cost centres, by month): in all, by category and by cost
    centre; cost per TOEX-involved moderated disruption and per safeguarding referral in the
    same period (absent when there were none). -#}
with

periods as (

    {{ kpi_periods(['quarter', 'fy_to_date', 'financial_year', 'since_inception']) }}

),

categories as (

    {{ code_list('costs.category', 'category') }}

),

cost_centres as (

    {{ code_list('cost_centre', 'cost_centre') }}

),

costs as (

    select * from {{ ref('fct_costs') }}

),

disruptions as (

    select * from {{ ref('fct_disruptions') }} where is_toex_involved and is_moderated

),

referrals as (

    select * from {{ ref('fct_identifications') }} where category = 'safeguarding_referral'

),

cost_totals as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        coalesce(sum(costs.amount_gbp), 0) as costs_gbp
    from periods
    left join costs
        on costs.month_start between periods.period_start and periods.period_end
    group by periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end

),

disruption_counts as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        count(disruptions.disruption_id) as disruptions
    from periods
    left join disruptions
        on disruptions.disruption_date between periods.period_start and periods.period_end
    group by periods.reporting_quarter, periods.period_type, periods.period_start

),

referral_counts as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        count(referrals.record_ref) as safeguarding_referrals
    from periods
    left join referrals
        on referrals.identified_date between periods.period_start and periods.period_end
    group by periods.reporting_quarter, periods.period_type, periods.period_start

),

in_all as (

    select
        cost_totals.*,
        disruption_counts.disruptions,
        referral_counts.safeguarding_referrals
    from cost_totals
    inner join disruption_counts
        on cost_totals.reporting_quarter = disruption_counts.reporting_quarter
        and cost_totals.period_type = disruption_counts.period_type
        and cost_totals.period_start = disruption_counts.period_start
    inner join referral_counts
        on cost_totals.reporting_quarter = referral_counts.reporting_quarter
        and cost_totals.period_type = referral_counts.period_type
        and cost_totals.period_start = referral_counts.period_start

),

by_category as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        categories.category,
        coalesce(sum(costs.amount_gbp), 0) as costs_gbp
    from periods
    cross join categories
    left join costs
        on costs.category = categories.category
        and costs.month_start between periods.period_start and periods.period_end
    group by
        periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end,
        categories.category

),

by_cost_centre as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        cost_centres.cost_centre,
        coalesce(sum(costs.amount_gbp), 0) as costs_gbp
    from periods
    cross join cost_centres
    left join costs
        on costs.cost_centre = cost_centres.cost_centre
        and costs.month_start between periods.period_start and periods.period_end
    group by
        periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end,
        cost_centres.cost_centre

),

final as (

    {{ kpi_rows('in_all', 'Q5.1', [
        {'name': 'costs_gbp', 'expr': 'costs_gbp', 'unit': 'gbp'},
        {'name': 'cost_per_disruption_gbp', 'expr': safe_divide('costs_gbp', 'disruptions'), 'unit': 'gbp'},
        {'name': 'cost_per_safeguarding_referral_gbp', 'expr': safe_divide('costs_gbp', 'safeguarding_referrals'),
         'unit': 'gbp'},
    ]) }}

    union all

    {{ kpi_rows('by_category', 'Q5.1', [
        {'name': 'costs_gbp', 'expr': 'costs_gbp', 'unit': 'gbp'},
    ], breakdown='category', breakdown_col='category') }}

    union all

    {{ kpi_rows('by_cost_centre', 'Q5.1', [
        {'name': 'costs_gbp', 'expr': 'costs_gbp', 'unit': 'gbp'},
    ], breakdown='cost_centre', breakdown_col='cost_centre') }}

)

select {{ kpi_columns() }} from final

{#- Q5.1 Costs incurred (all cost centres, by month): in all, by category and by cost
    centre; cost per TOEX-involved moderated disruption and per safeguarding referral in the
    same period (absent when there were none). -#}
with

{{ import_ctes([
    ('costs', 'fct_costs'),
    ('disruptions', 'fct_disruptions', 'is_toex_involved and is_moderated'),
    ('referrals', 'fct_identifications', "category = 'safeguarding_referral'"),
]) }},

periods as (

    {{ kpi_periods(['quarter', 'fy_to_date', 'financial_year', 'since_inception']) }}

),

categories as (

    {{ code_list('costs.category', 'category') }}

),

cost_centres as (

    {{ code_list('cost_centre', 'cost_centre') }}

),

cost_totals as (

    {{ figures_by_period('costs', [
        ['costs_gbp', "coalesce(sum(costs.amount_gbp), 0)"],
    ], conditions=[in_period('costs.month_start')]) }}

),

disruption_counts as (

    {{ figures_by_period('disruptions', [
        ['disruptions', "count(disruptions.disruption_id)"],
    ], conditions=[in_period('disruptions.disruption_date')]) }}

),

referral_counts as (

    {{ figures_by_period('referrals', [
        ['safeguarding_referrals', "count(referrals.record_ref)"],
    ], conditions=[in_period('referrals.identified_date')]) }}

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

    {{ zero_filled_by_code('categories', 'category', 'costs', [
        ['costs_gbp', "coalesce(sum(costs.amount_gbp), 0)"],
    ], conditions=[in_period('costs.month_start')]) }}

),

by_cost_centre as (

    {{ zero_filled_by_code('cost_centres', 'cost_centre', 'costs', [
        ['costs_gbp', "coalesce(sum(costs.amount_gbp), 0)"],
    ], conditions=[in_period('costs.month_start')]) }}

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

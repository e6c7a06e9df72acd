{#- Q4.3 Cost of the Data Platform: costs of cost centre DP in the period (by month). -#}
with

periods as (

    {{ kpi_periods(['quarter', 'fy_to_date', 'since_inception']) }}

),

costs as (

    select * from {{ ref('fct_costs') }} where cost_centre = 'DP'

),

totals as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        coalesce(sum(costs.amount_gbp), 0) as dp_cost_gbp
    from periods
    left join costs
        on costs.month_start between periods.period_start and periods.period_end
    group by periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end

),

final as (

    {{ kpi_rows('totals', 'Q4.3', [
        {'name': 'dp_cost_gbp', 'expr': 'dp_cost_gbp', 'unit': 'gbp'},
    ]) }}

)

select {{ kpi_columns() }} from final

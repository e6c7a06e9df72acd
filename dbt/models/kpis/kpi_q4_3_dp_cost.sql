{#- Q4.3 Cost of the Data Platform: costs of cost centre DP in the period (by month). -#}
with

{{ import_ctes([('costs', 'fct_costs', "cost_centre = 'DP'")]) }},

periods as (

    {{ kpi_periods(['quarter', 'fy_to_date', 'since_inception']) }}

),

totals as (

    {{ figures_by_period('costs', [
        ['dp_cost_gbp', "coalesce(sum(costs.amount_gbp), 0)"],
    ], conditions=[in_period('costs.month_start')]) }}

),

final as (

    {{ kpi_rows('totals', 'Q4.3', [
        {'name': 'dp_cost_gbp', 'expr': 'dp_cost_gbp', 'unit': 'gbp'},
    ]) }}

)

select {{ kpi_columns() }} from final

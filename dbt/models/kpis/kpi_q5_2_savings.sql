{#- Q5.2 Savings made: gross savings = units x the commercial rate the tool's work would
    otherwise have cost (seed commercial_rates, matched on tool and unit type), by tool (tools
    with an agreed rate only) and in all; net savings = gross savings - costs of cost centre
    CE in the same period. -#}
with

{{ import_ctes([
    ('usage', 'fct_tool_usage', 'gross_saving_gbp is not null'),
    ('ce_costs', 'fct_costs', "cost_centre = 'CE'"),
]) }},

periods as (

    {{ kpi_periods(['quarter', 'fy_to_date', 'financial_year', 'since_inception']) }}

),

rated_tools as (

    select distinct tool from {{ ref('commercial_rates') }}

),

by_tool as (

    {{ zero_filled_by_code('rated_tools', 'tool', 'usage', [
        ['gross_savings_gbp', "coalesce(sum(usage.gross_saving_gbp), 0)"],
    ], conditions=[in_period('usage.month_start')]) }}

),

gross as (

    select reporting_quarter, period_type, period_start, period_end, sum(gross_savings_gbp) as gross_savings_gbp
    from by_tool
    group by reporting_quarter, period_type, period_start, period_end

),

ce as (

    {{ figures_by_period('ce_costs', [
        ['ce_cost_gbp', "coalesce(sum(ce_costs.amount_gbp), 0)"],
    ], conditions=[in_period('ce_costs.month_start')]) }}

),

in_all as (

    select
        gross.*,
        gross.gross_savings_gbp - ce.ce_cost_gbp as net_savings_gbp
    from gross
    inner join ce
        on gross.reporting_quarter = ce.reporting_quarter
        and gross.period_type = ce.period_type
        and gross.period_start = ce.period_start

),

final as (

    {{ kpi_rows('by_tool', 'Q5.2', [
        {'name': 'gross_savings_gbp', 'expr': 'gross_savings_gbp', 'unit': 'gbp'},
    ], breakdown='tool', breakdown_col='tool') }}

    union all

    {{ kpi_rows('in_all', 'Q5.2', [
        {'name': 'gross_savings_gbp', 'expr': 'gross_savings_gbp', 'unit': 'gbp'},
        {'name': 'net_savings_gbp', 'expr': 'net_savings_gbp', 'unit': 'gbp'},
    ]) }}

)

select {{ kpi_columns() }} from final

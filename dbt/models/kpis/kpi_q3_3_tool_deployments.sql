{#- Q3.3 Capability deployments through APMIS, breakdown tool, quarter and since inception:
    moderated disruptions with that technical tool (any involvement); jobs and units run;
    organisations with jobs (jobs > 0); the peak month's total active users. -#}
with

{{ import_ctes([
    ('disruptions', 'fct_disruptions', 'is_moderated and has_technical_tool'),
    ('usage', 'fct_tool_usage'),
]) }},

periods as (

    {{ kpi_periods(['quarter', 'since_inception']) }}

),

tools as (

    {{ code_list('tool', 'tool') }}

),

tool_disruptions as (

    {{ zero_filled_by_code('tools', 'tool', 'disruptions', [
        ['tool_disruptions', "count(disruptions.disruption_id)"],
    ],
        conditions=[in_period('disruptions.disruption_date')],
        match="disruptions.technical_tool = tools.tool"
    ) }}

),

monthly_usage as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        usage.tool,
        usage.month_start,
        sum(usage.active_users) as active_users
    from periods
    inner join usage
        on {{ in_period('usage.month_start') }}
    group by periods.reporting_quarter, periods.period_type, periods.period_start, usage.tool, usage.month_start

),

peaks as (

    select reporting_quarter, period_type, period_start, tool, max(active_users) as tool_active_users_peak
    from monthly_usage
    group by reporting_quarter, period_type, period_start, tool

),

usage_totals as (

    {{ zero_filled_by_code('tools', 'tool', 'usage', [
        ['tool_jobs', "coalesce(sum(usage.jobs), 0)"],
        ['tool_units', "coalesce(sum(usage.units), 0)"],
        ['tool_organisations', "count(distinct case when usage.jobs > 0 then usage.organisation end)"],
    ], conditions=[in_period('usage.month_start')]) }}

),

figures as (

    select
        tool_disruptions.*,
        usage_totals.tool_jobs,
        usage_totals.tool_units,
        usage_totals.tool_organisations,
        coalesce(peaks.tool_active_users_peak, 0) as tool_active_users_peak
    from tool_disruptions
    inner join usage_totals
        on tool_disruptions.reporting_quarter = usage_totals.reporting_quarter
        and tool_disruptions.period_type = usage_totals.period_type
        and tool_disruptions.period_start = usage_totals.period_start
        and tool_disruptions.tool = usage_totals.tool
    left join peaks
        on tool_disruptions.reporting_quarter = peaks.reporting_quarter
        and tool_disruptions.period_type = peaks.period_type
        and tool_disruptions.period_start = peaks.period_start
        and tool_disruptions.tool = peaks.tool

),

final as (

    {{ kpi_rows('figures', 'Q3.3', [
        {'name': 'tool_disruptions', 'expr': 'tool_disruptions', 'unit': 'count'},
        {'name': 'tool_jobs', 'expr': 'tool_jobs', 'unit': 'count'},
        {'name': 'tool_units', 'expr': 'tool_units', 'unit': 'count'},
        {'name': 'tool_organisations', 'expr': 'tool_organisations', 'unit': 'count'},
        {'name': 'tool_active_users_peak', 'expr': 'tool_active_users_peak', 'unit': 'count'},
    ], breakdown='tool', breakdown_col='tool') }}

)

select {{ kpi_columns() }} from final

{#- Q3.3 Capability deployments through APMIS, breakdown tool, quarter and since inception:
    moderated disruptions with that technical tool (any involvement); jobs and units run;
    organisations with jobs (jobs > 0); the peak month's total active users. -#}
with

periods as (

    {{ kpi_periods(['quarter', 'since_inception']) }}

),

tools as (

    {{ code_list('tool', 'tool') }}

),

disruptions as (

    select * from {{ ref('fct_disruptions') }} where is_moderated and has_technical_tool

),

usage as (

    select * from {{ ref('fct_tool_usage') }}

),

tool_disruptions as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        tools.tool,
        count(disruptions.disruption_id) as tool_disruptions
    from periods
    cross join tools
    left join disruptions
        on disruptions.technical_tool = tools.tool
        and disruptions.disruption_date between periods.period_start and periods.period_end
    group by
        periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end,
        tools.tool

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
        on usage.month_start between periods.period_start and periods.period_end
    group by periods.reporting_quarter, periods.period_type, periods.period_start, usage.tool, usage.month_start

),

peaks as (

    select reporting_quarter, period_type, period_start, tool, max(active_users) as tool_active_users_peak
    from monthly_usage
    group by reporting_quarter, period_type, period_start, tool

),

usage_totals as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        tools.tool,
        coalesce(sum(usage.jobs), 0) as tool_jobs,
        coalesce(sum(usage.units), 0) as tool_units,
        count(distinct case when usage.jobs > 0 then usage.organisation end) as tool_organisations
    from periods
    cross join tools
    left join usage
        on usage.tool = tools.tool
        and usage.month_start between periods.period_start and periods.period_end
    group by
        periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end,
        tools.tool

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

{#- Q2.5 Communications, breakdown channel, one measure per metric present for the channel.
    Each month of the quarter; the quarter sums its months; since inception sums every month
    from inception to the quarter end. `followers` is a stock: a longer period takes its
    latest month instead of summing. -#}
with

{{ import_ctes([('metrics', 'fct_comms_metrics')]) }},

periods as (

    {{ kpi_periods(['month', 'quarter', 'since_inception']) }}

),

in_period as (

    select
        {{ period_columns() }},
        metrics.channel,
        metrics.metric,
        metrics.is_stock,
        metrics.month_start,
        metrics.value,
        row_number() over (
            partition by periods.reporting_quarter, periods.period_type, periods.period_start,
                metrics.channel, metrics.metric
            order by metrics.month_start desc
        ) as month_recency
    from periods
    inner join metrics
        on {{ in_period('metrics.month_start') }}

),

aggregated as (

    select
        reporting_quarter,
        period_type,
        period_start,
        period_end,
        channel,
        metric,
        case
            when max(case when is_stock then 1 else 0 end) = 1
            then max(case when month_recency = 1 then value end)
            else sum(value)
        end as value
    from in_period
    group by reporting_quarter, period_type, period_start, period_end, channel, metric

),

final as (

    {{ kpi_rows('aggregated', 'Q2.5', [
        {'name': 'metric', 'measure_sql': 'metric', 'expr': 'value', 'unit': 'count'},
    ], breakdown='channel', breakdown_col='channel') }}

)

select {{ kpi_columns() }} from final

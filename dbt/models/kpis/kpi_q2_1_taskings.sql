{#- Q2.1 Proactive, self-generated taskings, breakdown origin (and all): jobs opened and
    closed in the quarter; at the quarter end the jobs still open (allocated by it and not
    closed by it: no closed_date or one after it), the share of full-support jobs and the
    mean days open over all jobs allocated by the quarter end (closed ones from allocation to
    closing, the rest from allocation to the quarter end). -#}
with

periods as (

    {{ kpi_periods(['quarter', 'as_at']) }}

),

origins as (

    {{ code_list('toex_jobs.origin', 'origin') }}
    union all
    select 'all' as origin, 0 as sort_order

),

jobs as (

    select * from {{ ref('fct_jobs') }}

),

quarter_flows as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        origins.origin,
        sum(case when jobs.allocated_date between periods.period_start and periods.period_end then 1 else 0 end)
            as jobs_opened,
        sum(case when jobs.closed_date between periods.period_start and periods.period_end then 1 else 0 end)
            as jobs_closed
    from periods
    cross join origins
    left join jobs
        on (origins.origin = 'all' or jobs.origin = origins.origin)
        and jobs.allocated_date <= periods.period_end
    where periods.period_type = 'quarter'
    group by
        periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end,
        origins.origin

),

open_jobs as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        origins.origin,
        count(jobs.job_id) as jobs_allocated,
        sum(case when jobs.job_id is not null and (jobs.closed_date is null or jobs.closed_date > periods.period_end)
                 then 1 else 0 end)
            as jobs_ongoing,
        sum(case when jobs.is_full_support then 1 else 0 end) as full_support_jobs,
        avg(cast(
            case
                when jobs.closed_date is not null and jobs.closed_date <= periods.period_end
                then {{ dbt.datediff('jobs.allocated_date', 'jobs.closed_date', 'day') }}
                else {{ dbt.datediff('jobs.allocated_date', 'periods.period_end', 'day') }}
            end as double)) as mean_days_open
    from periods
    cross join origins
    left join jobs
        on (origins.origin = 'all' or jobs.origin = origins.origin)
        and jobs.allocated_date <= periods.period_end
    where periods.period_type = 'as_at'
    group by
        periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end,
        origins.origin

),

final as (

    {{ kpi_rows('quarter_flows', 'Q2.1', [
        {'name': 'jobs_opened', 'expr': 'jobs_opened', 'unit': 'count', 'where': "origin <> 'all'"},
        {'name': 'jobs_closed', 'expr': 'jobs_closed', 'unit': 'count', 'where': "origin <> 'all'"},
    ], breakdown='origin', breakdown_col='origin') }}

    union all

    {{ kpi_rows('quarter_flows', 'Q2.1', [
        {'name': 'jobs_opened', 'expr': 'jobs_opened', 'unit': 'count', 'where': "origin = 'all'"},
        {'name': 'jobs_closed', 'expr': 'jobs_closed', 'unit': 'count', 'where': "origin = 'all'"},
    ]) }}

    union all

    {{ kpi_rows('open_jobs', 'Q2.1', [
        {'name': 'jobs_ongoing', 'expr': 'jobs_ongoing', 'unit': 'count', 'where': "origin <> 'all'"},
        {'name': 'full_support_share', 'expr': safe_divide('full_support_jobs', 'jobs_allocated'), 'unit': 'share', 'where': "origin <> 'all'"},
        {'name': 'mean_days_open', 'expr': 'mean_days_open', 'unit': 'days', 'where': "origin <> 'all'"},
    ], breakdown='origin', breakdown_col='origin') }}

    union all

    {{ kpi_rows('open_jobs', 'Q2.1', [
        {'name': 'jobs_ongoing', 'expr': 'jobs_ongoing', 'unit': 'count', 'where': "origin = 'all'"},
        {'name': 'full_support_share', 'expr': safe_divide('full_support_jobs', 'jobs_allocated'), 'unit': 'share', 'where': "origin = 'all'"},
        {'name': 'mean_days_open', 'expr': 'mean_days_open', 'unit': 'days', 'where': "origin = 'all'"},
    ]) }}

)

select {{ kpi_columns() }} from final

{#- Q2.1 Proactive, self-generated taskings, breakdown origin (and all): jobs opened and
    closed in the quarter; at the quarter end the jobs still open (allocated by it and not
    closed by it: no closed_date or one after it), the share of full-support jobs and the
    mean days open over all jobs allocated by the quarter end (closed ones from allocation to
    closing, the rest from allocation to the quarter end). -#}
with

{{ import_ctes([('jobs', 'fct_jobs')]) }},

periods as (

    {{ kpi_periods(['quarter', 'as_at']) }}

),

origins as (

    {{ code_list('toex_jobs.origin', 'origin') }}
    union all
    select 'all' as origin, 0 as sort_order

),

quarter_flows as (

    {{ zero_filled_by_code('origins', 'origin', 'jobs', [
        ['jobs_opened', "sum(case when " ~ in_period('jobs.allocated_date') ~ " then 1 else 0 end)"],
        ['jobs_closed', "sum(case when " ~ in_period('jobs.closed_date') ~ " then 1 else 0 end)"],
    ],
        conditions=["jobs.allocated_date <= periods.period_end"],
        match="(origins.origin = 'all' or jobs.origin = origins.origin)",
        where="periods.period_type = 'quarter'"
    ) }}

),

open_jobs as (

    {{ zero_filled_by_code('origins', 'origin', 'jobs', [
        ['jobs_allocated', "count(jobs.job_id)"],
        ['jobs_ongoing', "sum(case when jobs.job_id is not null and (jobs.closed_date is null or jobs.closed_date > periods.period_end) then 1 else 0 end)"],
        ['full_support_jobs', "sum(case when jobs.is_full_support then 1 else 0 end)"],
        ['mean_days_open', "avg(cast(case when jobs.closed_date is not null and jobs.closed_date <= periods.period_end"
            ~ " then " ~ dbt.datediff('jobs.allocated_date', 'jobs.closed_date', 'day')
            ~ " else " ~ dbt.datediff('jobs.allocated_date', 'periods.period_end', 'day') ~ " end as double))"],
    ],
        conditions=["jobs.allocated_date <= periods.period_end"],
        match="(origins.origin = 'all' or jobs.origin = origins.origin)",
        where="periods.period_type = 'as_at'"
    ) }}

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

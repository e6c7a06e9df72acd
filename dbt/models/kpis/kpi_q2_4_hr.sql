{#-
  Q2.4 HR strategy and staff engagement.
  as_at: positions of the latest establishment snapshot on or before the quarter end, by
    status, their share, and the total; staff in post on the quarter end and their mean
    length of service (days from start_date to the quarter end).
  quarter: starters (start_date in it), leavers (end_date in it; also by leaving_reason,
    `not_recorded` when blank), promotions (promoted_date in it).
  Staff survey, each wave run in the quarter (breakdown wave, `YYYY-MM`): respondents,
    response rate, engagement score, and per question the Yes change from the previous wave;
    per question the share of each answer among those who answered (breakdown answer), from
    the latest wave of the quarter.
-#}
with

{{ import_ctes([
    ('positions', 'int_hr_positions_as_at'),
    ('staff', 'fct_hr_staff'),
    ('in_post', 'int_staff_in_post', 'is_quarter_end'),
    ('waves', 'int_staff_survey_waves'),
    ('questions', 'int_staff_survey_question_results'),
]) }},

periods as (

    {{ kpi_periods(['quarter', 'as_at']) }}

),

position_statuses as (

    {{ code_list('hr_positions.status', 'status') }}

),

leaving_reasons as (

    {{ code_list('hr_staff.leaving_reason', 'leaving_reason') }}
    union all
    select 'not_recorded' as leaving_reason, 99 as sort_order

),

positions_by_status as (

    select
        {{ period_columns() }},
        position_statuses.status,
        count(positions.position_id) as positions,
        max(totals.positions_total) as positions_total
    from periods
    inner join (
        select reporting_quarter, count(*) as positions_total
        from positions
        group by reporting_quarter
    ) as totals
        on totals.reporting_quarter = periods.reporting_quarter
    cross join position_statuses
    left join positions
        on positions.reporting_quarter = periods.reporting_quarter
        and positions.status = position_statuses.status
    where periods.period_type = 'as_at'
    group by {{ period_columns() }}, position_statuses.status

),

positions_total as (

    select
        reporting_quarter, period_type, period_start, period_end,
        max(positions_total) as positions_total
    from positions_by_status
    group by reporting_quarter, period_type, period_start, period_end

),

staff_flows as (

    {{ figures_by_period('staff', [
        ['starters', "sum(case when " ~ in_period('staff.start_date') ~ " then 1 else 0 end)"],
        ['leavers', "sum(case when " ~ in_period('staff.end_date') ~ " then 1 else 0 end)"],
        ['promotions', "sum(case when " ~ in_period('staff.promoted_date') ~ " then 1 else 0 end)"],
    ],
        conditions=["staff.start_date <= periods.period_end"],
        where="periods.period_type = 'quarter'"
    ) }}

),

leavers_by_reason as (

    {{ zero_filled_by_code('leaving_reasons', 'leaving_reason', 'staff', [
        ['leavers', "count(staff.staff_pseudonym)"],
    ],
        conditions=[in_period('staff.end_date')],
        match="coalesce(staff.leaving_reason, 'not_recorded') = leaving_reasons.leaving_reason",
        where="periods.period_type = 'quarter'"
    ) }}

),

staff_in_post as (

    {{ figures_by_period('in_post', [
        ['staff_in_post', "count(distinct in_post.staff_pseudonym)"],
        ['mean_length_of_service_days', "avg(cast(in_post.length_of_service_days as double))"],
    ],
        conditions=["in_post.reporting_quarter = periods.reporting_quarter"],
        where="periods.period_type = 'as_at'"
    ) }}

),

quarter_waves as (

    select
        {{ period_columns() }},
        waves.wave_month,
        waves.wave_label,
        waves.respondents,
        waves.response_rate,
        waves.engagement_score,
        row_number() over (partition by periods.reporting_quarter order by waves.wave_month desc)
            as wave_recency
    from periods
    inner join waves
        on {{ in_period('waves.wave_month') }}
    where periods.period_type = 'quarter'

),

wave_questions as (

    select
        quarter_waves.reporting_quarter,
        quarter_waves.period_type,
        quarter_waves.period_start,
        quarter_waves.period_end,
        quarter_waves.wave_label,
        quarter_waves.wave_recency,
        questions.question_id,
        questions.yes_share,
        questions.not_sure_share,
        questions.no_share,
        questions.yes_share_change
    from quarter_waves
    inner join questions
        on questions.wave_month = quarter_waves.wave_month

),

answer_shares as (

    select reporting_quarter, period_type, period_start, period_end, question_id,
           'Yes' as answer, yes_share as answer_share
    from wave_questions where wave_recency = 1
    union all
    select reporting_quarter, period_type, period_start, period_end, question_id,
           'Not Sure', not_sure_share
    from wave_questions where wave_recency = 1
    union all
    select reporting_quarter, period_type, period_start, period_end, question_id,
           'No', no_share
    from wave_questions where wave_recency = 1

),

final as (

    {{ kpi_rows('positions_by_status', 'Q2.4', [
        {'name': 'positions', 'expr': 'positions', 'unit': 'count'},
        {'name': 'position_share', 'expr': safe_divide('positions', 'positions_total'), 'unit': 'share'},
    ], breakdown='status', breakdown_col='status') }}

    union all

    {{ kpi_rows('positions_total', 'Q2.4', [
        {'name': 'positions_total', 'expr': 'positions_total', 'unit': 'count'},
    ]) }}

    union all

    {{ kpi_rows('staff_flows', 'Q2.4', [
        {'name': 'starters', 'expr': 'starters', 'unit': 'count'},
        {'name': 'leavers', 'expr': 'leavers', 'unit': 'count'},
        {'name': 'promotions', 'expr': 'promotions', 'unit': 'count'},
    ]) }}

    union all

    {{ kpi_rows('leavers_by_reason', 'Q2.4', [
        {'name': 'leavers', 'expr': 'leavers', 'unit': 'count'},
    ], breakdown='leaving_reason', breakdown_col='leaving_reason') }}

    union all

    {{ kpi_rows('staff_in_post', 'Q2.4', [
        {'name': 'staff_in_post', 'expr': 'staff_in_post', 'unit': 'count'},
        {'name': 'mean_length_of_service_days', 'expr': 'mean_length_of_service_days', 'unit': 'days'},
    ]) }}

    union all

    {{ kpi_rows('quarter_waves', 'Q2.4', [
        {'name': 'survey_respondents', 'expr': 'respondents', 'unit': 'count'},
        {'name': 'survey_response_rate', 'expr': 'response_rate', 'unit': 'share'},
        {'name': 'engagement_score', 'expr': 'engagement_score', 'unit': 'share'},
    ], breakdown='wave', breakdown_col='wave_label') }}

    union all

    {{ kpi_rows('wave_questions', 'Q2.4', [
        {'name': 'yes_change', 'measure_sql': dbt.concat(["'survey_'", 'question_id', "'_yes_change'"]),
         'expr': 'yes_share_change', 'unit': 'share_change'},
    ], breakdown='wave', breakdown_col='wave_label') }}

    union all

    {{ kpi_rows('answer_shares', 'Q2.4', [
        {'name': 'answer', 'measure_sql': dbt.concat(["'survey_'", 'question_id']),
         'expr': 'answer_share', 'unit': 'share'},
    ], breakdown='answer', breakdown_col='answer') }}

)

select {{ kpi_columns() }} from final

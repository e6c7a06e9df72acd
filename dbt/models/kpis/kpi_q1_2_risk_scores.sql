{#- Q1.2 Changes in risk scores, breakdown involvement (an assessment is TOEX-involved when a
    TOEX job on its operation is active on its date): score change counts and means for the
    quarter and since inception; ORI changes since inception; the Mann-Whitney test of
    TOEX-involved vs other score changes for the quarter and since inception (breakdown all):
    its p-value, U and the two sample sizes. -#}
with

{{ import_ctes([('assessments', 'fct_assessments')]) }},

periods as (

    {{ kpi_periods(['quarter', 'since_inception']) }}

),

involvements as (

    {{ code_list('involvement', 'involvement') }}

),

{# Each operation's previous assessment (same involvement), so that assessed operations are
    counted once per period by count_once_per_period (macros/periods.sql). -#}
dated as (

    select
        assessment_id,
        operation_ref,
        involvement,
        assessment_date,
        score_change_direction,
        score_change,
        ori_change,
        is_first_after_support,
        lag(assessment_date) over (
            partition by operation_ref, involvement
            order by assessment_date
        ) as previous_operation_assessment_date
    from assessments
    where assessment_date is not null

),

figures as (

    {{ zero_filled_by_code('involvements', 'involvement', 'dated', [
        ['assessments', "count(dated.assessment_id)"],
        ['assessed_operations', count_once_per_period('dated.operation_ref', 'dated.previous_operation_assessment_date')],
        ['score_increases', "sum(case when dated.score_change_direction = 'increase' then 1 else 0 end)"],
        ['score_decreases', "sum(case when dated.score_change_direction = 'decrease' then 1 else 0 end)"],
        ['score_unchanged', "sum(case when dated.score_change_direction = 'unchanged' then 1 else 0 end)"],
        ['first_assessments', "sum(case when dated.score_change_direction = 'first' then 1 else 0 end)"],
        ['mean_increase', "avg(case when dated.score_change > 0 then cast(dated.score_change as double) end)"],
        ['mean_decrease', "avg(case when dated.score_change < 0 then cast(dated.score_change as double) end)"],
        ['large_decreases', "sum(case when dated.score_change < -" ~ var('large_decrease_points') ~ " then 1 else 0 end)"],
        ['ori_updates', "sum(case when dated.ori_change <> 0 then 1 else 0 end)"],
        ['ori_decreases', "sum(case when dated.ori_change < 0 then 1 else 0 end)"],
        ['ori_increases', "sum(case when dated.ori_change > 0 then 1 else 0 end)"],
        ['ori_decreases_first_after_support', "sum(case when dated.ori_change < 0 and dated.is_first_after_support then 1 else 0 end)"],
    ], conditions=[in_period('dated.assessment_date')]) }}

),

p_values as (

    select
        {{ period_columns() }},
        mann_whitney.p_value,
        mann_whitney.u,
        mann_whitney.toex_changes,
        mann_whitney.other_changes
    from periods
    inner join {{ ref('int_score_change_mann_whitney') }} as mann_whitney
        on periods.reporting_quarter = mann_whitney.reporting_quarter
        and periods.period_type = mann_whitney.period_type

),

final as (

    {{ kpi_rows('figures', 'Q1.2', [
        {'name': 'assessments', 'expr': 'assessments', 'unit': 'count'},
        {'name': 'assessed_operations', 'expr': 'assessed_operations', 'unit': 'count'},
        {'name': 'score_increases', 'expr': 'score_increases', 'unit': 'count'},
        {'name': 'score_decreases', 'expr': 'score_decreases', 'unit': 'count'},
        {'name': 'score_unchanged', 'expr': 'score_unchanged', 'unit': 'count'},
        {'name': 'first_assessments', 'expr': 'first_assessments', 'unit': 'count'},
        {'name': 'mean_increase', 'expr': 'mean_increase', 'unit': 'points'},
        {'name': 'mean_decrease', 'expr': 'mean_decrease', 'unit': 'points'},
        {'name': 'large_decreases', 'expr': 'large_decreases', 'unit': 'count'},
        {'name': 'ori_updates', 'expr': 'ori_updates', 'unit': 'count', 'periods': ['since_inception']},
        {'name': 'ori_decreases', 'expr': 'ori_decreases', 'unit': 'count', 'periods': ['since_inception']},
        {'name': 'ori_increases', 'expr': 'ori_increases', 'unit': 'count', 'periods': ['since_inception']},
        {'name': 'ori_decreases_first_after_support', 'expr': 'ori_decreases_first_after_support',
         'unit': 'count', 'periods': ['since_inception']},
    ], breakdown='involvement', breakdown_col='involvement') }}

    union all

    {{ kpi_rows('p_values', 'Q1.2', [
        {'name': 'score_change_p_value', 'expr': 'p_value', 'unit': 'p_value'},
        {'name': 'score_change_u', 'expr': 'u', 'unit': 'ratio'},
        {'name': 'score_change_n_toex', 'expr': 'toex_changes', 'unit': 'count'},
        {'name': 'score_change_n_non_toex', 'expr': 'other_changes', 'unit': 'count'},
    ]) }}

)

select {{ kpi_columns() }} from final

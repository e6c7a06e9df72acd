{#- Q1.2 Changes in risk scores, breakdown involvement (an assessment is TOEX-involved when a
    TOEX job on its operation is active on its date): score change counts and means for the
    quarter and since inception; ORI changes since inception; the Mann-Whitney test of
    TOEX-involved vs other score changes for the quarter and since inception (breakdown all):
    its p-value, U and the two sample sizes. -#}
with

periods as (

    {{ kpi_periods(['quarter', 'since_inception']) }}

),

involvements as (

    {{ code_list('involvement', 'involvement') }}

),

assessments as (

    select * from {{ ref('fct_assessments') }}

),

figures as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        involvements.involvement,
        count(assessments.assessment_id) as assessments,
        count(distinct assessments.operation_ref) as assessed_operations,
        sum(case when assessments.score_change_direction = 'increase' then 1 else 0 end) as score_increases,
        sum(case when assessments.score_change_direction = 'decrease' then 1 else 0 end) as score_decreases,
        sum(case when assessments.score_change_direction = 'unchanged' then 1 else 0 end) as score_unchanged,
        sum(case when assessments.score_change_direction = 'first' then 1 else 0 end) as first_assessments,
        avg(case when assessments.score_change > 0 then cast(assessments.score_change as double) end) as mean_increase,
        avg(case when assessments.score_change < 0 then cast(assessments.score_change as double) end) as mean_decrease,
        sum(case when assessments.score_change < -{{ var('large_decrease_points') }} then 1 else 0 end) as large_decreases,
        sum(case when assessments.ori_change <> 0 then 1 else 0 end) as ori_updates,
        sum(case when assessments.ori_change < 0 then 1 else 0 end) as ori_decreases,
        sum(case when assessments.ori_change > 0 then 1 else 0 end) as ori_increases,
        sum(case when assessments.ori_change < 0 and assessments.is_first_after_support then 1 else 0 end)
            as ori_decreases_first_after_support
    from periods
    cross join involvements
    left join assessments
        on assessments.involvement = involvements.involvement
        and assessments.assessment_date between periods.period_start and periods.period_end
    group by
        periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end,
        involvements.involvement

),

p_values as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
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

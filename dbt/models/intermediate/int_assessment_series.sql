{#-
  Every MoRiLE assessment with its place in its series (operation_ref, threat_type):
  the previous assessment is the latest earlier one ordered by assessment_date then
  assessment_id (so same-day assessments are ordered by id). Score change = risk_score minus
  the previous risk_score; no previous -> a first assessment (change null).
  TOEX-involved: a TOEX job on the same operation is active on the assessment date
  (allocated on or before it, not closed before it).
  First after support: the first assessment of its series dated on or after the operation's
  TOEX support commenced (earliest job allocation).
-#}
with

{{ import_ctes([
    ('assessments', 'stg_morile_assessments'),
    ('job_periods', 'int_toex_job_support_periods'),
    ('operation_support', 'int_operation_support'),
]) }},

sequenced as (

    select
        assessment_id,
        operation_ref,
        threat_type,
        assessment_date,
        risk_score,
        ori,
        row_number() over (
            partition by operation_ref, threat_type
            order by assessment_date, assessment_id
        ) as series_position,
        lag(assessment_id) over (
            partition by operation_ref, threat_type
            order by assessment_date, assessment_id
        ) as previous_assessment_id,
        lag(assessment_date) over (
            partition by operation_ref, threat_type
            order by assessment_date, assessment_id
        ) as previous_assessment_date,
        lag(risk_score) over (
            partition by operation_ref, threat_type
            order by assessment_date, assessment_id
        ) as previous_risk_score,
        lag(ori) over (
            partition by operation_ref, threat_type
            order by assessment_date, assessment_id
        ) as previous_ori
    from assessments

),

involvement as (

    select
        sequenced.assessment_id,
        max(case when job_periods.job_id is not null then 1 else 0 end) as has_active_job
    from sequenced
    left join job_periods
        on job_periods.operation_ref = sequenced.operation_ref
        and job_periods.active_from <= sequenced.assessment_date
        and (job_periods.active_to is null or job_periods.active_to >= sequenced.assessment_date)
    group by sequenced.assessment_id

),

with_support as (

    select
        sequenced.*,
        involvement.has_active_job = 1 as is_toex_involved,
        operation_support.support_commenced_date,
        case
            when operation_support.support_commenced_date is not null
                and sequenced.assessment_date >= operation_support.support_commenced_date
            then 1 else 0
        end as is_on_or_after_support
    from sequenced
    inner join involvement
        on sequenced.assessment_id = involvement.assessment_id
    left join operation_support
        on sequenced.operation_ref = operation_support.operation_ref

),

final as (

    select
        assessment_id,
        operation_ref,
        threat_type,
        assessment_date,
        risk_score,
        ori,
        series_position,
        previous_assessment_id,
        previous_assessment_date,
        previous_risk_score,
        previous_ori,
        risk_score - previous_risk_score as score_change,
        previous_assessment_id is null as is_first_assessment,
        case
            when previous_assessment_id is null then 'first'
            when risk_score > previous_risk_score then 'increase'
            when risk_score < previous_risk_score then 'decrease'
            else 'unchanged'
        end as score_change_direction,
        case when ori is not null and previous_ori is not null then ori - previous_ori end as ori_change,
        is_toex_involved,
        case when is_toex_involved then 'toex' else 'non_toex' end as involvement,
        support_commenced_date,
        is_on_or_after_support = 1
            and row_number() over (
                partition by operation_ref, threat_type, is_on_or_after_support
                order by assessment_date, assessment_id
            ) = 1 as is_first_after_support
    from with_support

)

select * from final

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

{# Only the assessments a job was active for are looked up (a join on the few job periods),
    not every assessment grouped by its id: the same flag for ~8.5 M assessments at scale 1000
    with no 8.5 M-group aggregate under the memory cap (docs/SCALE_LOG.md, "big5"). -#}
involved as (

    select assessments.assessment_id
    from {{ ref('stg_morile_assessments') }} as assessments
    inner join job_periods
        on job_periods.operation_ref = assessments.operation_ref
        and job_periods.active_from <= assessments.assessment_date
        and (job_periods.active_to is null or job_periods.active_to >= assessments.assessment_date)
    group by assessments.assessment_id

),

with_support as (

    select
        sequenced.*,
        involved.assessment_id is not null as is_toex_involved,
        operation_support.support_commenced_date,
        case
            when operation_support.support_commenced_date is not null
                and sequenced.assessment_date >= operation_support.support_commenced_date
            then 1 else 0
        end as is_on_or_after_support
    from sequenced
    left join involved
        on sequenced.assessment_id = involved.assessment_id
    left join operation_support
        on sequenced.operation_ref = operation_support.operation_ref
    where sequenced.assessment_id is not null

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
        {#- The series' assessments on or after support are its last ones (ordered by date):
            the first of them is the one whose previous assessment is dated before support
            commenced, or that has none (no second sort of every assessment). #}
        is_on_or_after_support = 1
            and (previous_assessment_date is null
                or previous_assessment_date < support_commenced_date) as is_first_after_support
    from with_support

)

select * from final

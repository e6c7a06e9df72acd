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

{# The TOEX flag and the support date are put on each assessment before the series windows, so
    the windows' one sort carries them and nothing is joined back to 8.5 M windowed rows by id
    (at scale 1000 under the 1 GB cap that join and the window spilled ~2.5 GB; docs/SCALE_LOG.md,
    "big6"). An assessment is TOEX-involved when a job period of its operation covers its date;
    the periods of an operation are merged into disjoint spans first (a period starts a new span
    when it begins after every earlier one has ended), so the range join matches at most one span
    and keeps one row per assessment. A period that can cover no date (no allocation, or closed
    before it was allocated) is left out, as the range condition left it out. -#}
periods as (

    select
        operation_ref,
        active_from,
        coalesce(active_to, cast('9999-12-31' as date)) as active_to
    from job_periods
    where active_from is not null
        and (active_to is null or active_to >= active_from)

),

periods_covered as (

    select
        operation_ref,
        active_from,
        active_to,
        max(active_to) over (
            partition by operation_ref
            order by active_from, active_to
            rows between unbounded preceding and 1 preceding
        ) as covered_to
    from periods

),

periods_numbered as (

    select
        operation_ref,
        active_from,
        active_to,
        sum(case when covered_to is null or active_from > covered_to then 1 else 0 end) over (
            partition by operation_ref
            order by active_from, active_to
            rows between unbounded preceding and current row
        ) as span_number
    from periods_covered

),

support_spans as (

    select operation_ref, min(active_from) as active_from, max(active_to) as active_to
    from periods_numbered
    group by operation_ref, span_number

),

flagged as (

    select
        assessments.assessment_id,
        assessments.operation_ref,
        assessments.threat_type,
        assessments.assessment_date,
        assessments.risk_score,
        assessments.ori,
        support_spans.operation_ref is not null as is_toex_involved,
        operation_support.support_commenced_date
    from assessments
    left join support_spans
        on support_spans.operation_ref = assessments.operation_ref
        and support_spans.active_from <= assessments.assessment_date
        and support_spans.active_to >= assessments.assessment_date
    left join operation_support
        on assessments.operation_ref = operation_support.operation_ref

),

sequenced as (

    select
        assessment_id,
        operation_ref,
        threat_type,
        assessment_date,
        risk_score,
        ori,
        is_toex_involved,
        support_commenced_date,
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
    from flagged

),

with_support as (

    select
        sequenced.*,
        case
            when support_commenced_date is not null
                and assessment_date >= support_commenced_date
            then 1 else 0
        end as is_on_or_after_support
    from sequenced
    where assessment_id is not null

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

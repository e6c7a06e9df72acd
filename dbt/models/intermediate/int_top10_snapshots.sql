{#-
  The Top 10 Highest Risk operations per SOC exploitation threat type (CSA, MSHT, OIC) at
  every month end of every quarter (KPIS.md Q2.3):
  - SOC Master List operations only;
  - each operation's latest assessment for that threat on or before the month end (latest by
    assessment_date then assessment_id), kept only when at most var('top10_max_age_days')
    days old at the month end;
  - ranked by that assessment's risk_score, ties: more recent assessment first, then
    operation_ref; the top var('top10_size') are the Top 10.
  is_toex_supported: a TOEX job on the operation is active on the month end.
-#}
with

{{ import_ctes([('job_periods', 'int_toex_job_support_periods')]) }},

month_ends as (

    select reporting_quarter, month_label, month_end from {{ ref('int_fiscal_months') }}

),

threats as (

    select code_value as threat_type
    from {{ ref('code_values') }}
    where code_list = 'soc_exploitation_threat_type'

),

soc_operations as (

    select operation_ref from {{ ref('stg_operations') }} where is_soc_master_list

),

assessments as (

    select assessments.*
    from {{ ref('stg_morile_assessments') }} as assessments
    inner join threats on assessments.threat_type = threats.threat_type
    inner join soc_operations on assessments.operation_ref = soc_operations.operation_ref

),

{# The latest assessment on or before the month end is within the age limit exactly when
    the latest one inside the age window exists, and then they are the same assessment. -#}
recent as (

    select
        month_ends.reporting_quarter,
        month_ends.month_label,
        month_ends.month_end,
        assessments.threat_type,
        assessments.operation_ref,
        assessments.assessment_id,
        assessments.assessment_date,
        assessments.risk_score,
        {{ dbt.datediff('assessments.assessment_date', 'month_ends.month_end', 'day') }} as assessment_age_days,
        row_number() over (
            partition by month_ends.month_end, assessments.threat_type, assessments.operation_ref
            order by assessments.assessment_date desc, assessments.assessment_id desc
        ) as recency_rank
    from month_ends
    inner join assessments
        on assessments.assessment_date <= month_ends.month_end
        and {{ dbt.datediff('assessments.assessment_date', 'month_ends.month_end', 'day') }} <= {{ var('top10_max_age_days') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by month_end, threat_type
            order by risk_score desc, assessment_date desc, operation_ref asc
        ) as top10_rank
    from recent
    where recency_rank = 1

),

top10 as (

    select * from ranked where top10_rank <= {{ var('top10_size') }}

),

support as (

    select
        top10.month_end,
        top10.threat_type,
        top10.operation_ref,
        max(case when job_periods.job_id is not null then 1 else 0 end) as has_active_job
    from top10
    left join job_periods
        on job_periods.operation_ref = top10.operation_ref
        and job_periods.active_from <= top10.month_end
        and (job_periods.active_to is null or job_periods.active_to >= top10.month_end)
    group by top10.month_end, top10.threat_type, top10.operation_ref

),

final as (

    select
        top10.reporting_quarter,
        top10.month_label,
        top10.month_end,
        top10.threat_type,
        top10.top10_rank,
        top10.operation_ref,
        top10.assessment_id,
        top10.assessment_date,
        top10.risk_score,
        top10.assessment_age_days,
        support.has_active_job = 1 as is_toex_supported
    from top10
    inner join support
        on top10.month_end = support.month_end
        and top10.threat_type = support.threat_type
        and top10.operation_ref = support.operation_ref

)

select * from final

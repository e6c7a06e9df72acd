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

    select
        assessments.assessment_id,
        assessments.operation_ref,
        assessments.threat_type,
        assessments.assessment_date,
        assessments.risk_score
    from {{ ref('stg_morile_assessments') }} as assessments
    inner join threats on assessments.threat_type = threats.threat_type
    inner join soc_operations on assessments.operation_ref = soc_operations.operation_ref
    where assessments.assessment_date is not null

),

{# An assessment is its series' latest (by assessment_date then assessment_id) on every date
    from its own up to the day before the next assessment of the series: each operation's
    latest at a month end is found by one range join, not by ranking every assessment at every
    month end (23 M rows sorted under the memory cap at scale 1000: docs/SCALE_LOG.md, "big5").
    A later assessment on the same day ends the interval at once. The latest on or before the
    month end is within the age limit exactly when the latest one inside the age window
    exists, and then they are the same assessment. -#}
series as (

    select
        *,
        lead(assessment_date) over (
            partition by threat_type, operation_ref
            order by assessment_date, assessment_id nulls first
        ) as next_assessment_date
    from assessments

),

{# The (month end, assessment) pairs where the assessment is its series' latest within the age
    limit (18 M at scale 1000). Written out twice below, for the score counts and for the
    contending rows, instead of as one CTE read twice: an engine keeps a CTE read twice
    (DuckDB kept all 18 M rows, ~1 GB of temporary files under the 1 GB cap: docs/SCALE_LOG.md,
    "dbt8"), while each use here streams through its join. -#}
{%- set latest_at_month_ends %}
    from month_ends
    inner join series
        on series.assessment_date <= month_ends.month_end
        and coalesce(series.next_assessment_date, cast('9999-12-31' as date)) > month_ends.month_end
        and {{ dbt.datediff('series.assessment_date', 'month_ends.month_end', 'day') }} <= {{ var('top10_max_age_days') }}
{%- endset %}

{# Only a score with fewer than var('top10_size') operations scoring higher (per month end and
    threat) can reach the Top 10; ranked among those alone, each keeps the rank it has among
    all, because every operation ranked before it scores at least as high. -#}
score_counts as (

    select month_ends.month_end, series.threat_type, series.risk_score, count(*) as operations
    {{ latest_at_month_ends }}
    group by month_ends.month_end, series.threat_type, series.risk_score

),

contending_scores as (

    select month_end, threat_type, risk_score
    from (
        select
            *,
            coalesce(sum(operations) over (
                partition by month_end, threat_type
                order by risk_score desc
                rows between unbounded preceding and 1 preceding
            ), 0) as scoring_higher
        from score_counts
    ) as counted
    where scoring_higher < {{ var('top10_size') }}

),

ranked as (

    select
        month_ends.reporting_quarter,
        month_ends.month_label,
        month_ends.month_end,
        series.threat_type,
        series.operation_ref,
        series.assessment_id,
        series.assessment_date,
        series.risk_score,
        {{ dbt.datediff('series.assessment_date', 'month_ends.month_end', 'day') }} as assessment_age_days,
        row_number() over (
            partition by month_ends.month_end, series.threat_type
            order by series.risk_score desc, series.assessment_date desc, series.operation_ref asc
        ) as top10_rank
    {{ latest_at_month_ends }}
    inner join contending_scores
        on month_ends.month_end = contending_scores.month_end
        and series.threat_type = contending_scores.threat_type
        and series.risk_score is not distinct from contending_scores.risk_score

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

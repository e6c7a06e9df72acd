{#- One row per MoRiLE assessment with its series context (previous assessment, score and
    ORI change, first / TOEX-involved / first-after-support flags): see int_assessment_series. -#}
with

{{ import_ctes([('series', 'int_assessment_series')]) }},

operations as (

    select operation_ref, is_soc_master_list from {{ ref('dim_operation') }}

),

final as (

    select
        series.assessment_id,
        series.operation_ref,
        series.threat_type,
        series.assessment_date,
        series.risk_score,
        series.ori,
        series.series_position,
        series.previous_assessment_id,
        series.previous_assessment_date,
        series.previous_risk_score,
        series.previous_ori,
        series.score_change,
        series.score_change_direction,
        series.is_first_assessment,
        series.ori_change,
        series.is_toex_involved,
        series.involvement,
        series.support_commenced_date,
        series.is_first_after_support,
        operations.is_soc_master_list
    from series
    left join operations
        on series.operation_ref = operations.operation_ref

)

{{ with_fiscal_quarter('final', 'assessment_date') }}

{#- Q1.2 detail: every TOEX-involved MoRiLE assessment of each reporting quarter with its
    previous and new risk score and the change, ranked largest decrease first (then largest
    increase last; first assessments, which have no change, after all changes). -#}
with

{{ import_ctes([('assessments', 'fct_assessments', 'is_toex_involved')]) }},

quarters as (

    select reporting_quarter, quarter_start, quarter_end from {{ ref('int_fiscal_quarters') }}

),

in_quarter as (

    select
        quarters.reporting_quarter,
        assessments.*
    from quarters
    inner join assessments
        on assessments.assessment_date between quarters.quarter_start and quarters.quarter_end

),

final as (

    select
        reporting_quarter,
        row_number() over (
            partition by reporting_quarter
            order by
                case when score_change is null then 1 else 0 end,
                score_change,
                assessment_date,
                assessment_id
        ) as change_rank,
        assessment_id,
        operation_ref,
        threat_type,
        assessment_date,
        previous_assessment_id,
        previous_assessment_date,
        previous_risk_score,
        risk_score,
        score_change,
        score_change_direction,
        score_change < -{{ var('large_decrease_points') }} as is_large_decrease,
        previous_ori,
        ori,
        ori_change,
        is_first_after_support
    from in_quarter

)

select * from final

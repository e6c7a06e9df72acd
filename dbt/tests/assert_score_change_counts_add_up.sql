-- Q1.2 identity: score_increases + score_decreases + score_unchanged + first_assessments
-- = assessments, for every reporting quarter, period and involvement. Returns the rows that
-- break it.
with

figures as (

    select * from {{ ref('kpi_values') }}
    where kpi_id = 'Q1.2' and breakdown = 'involvement'

),

pivoted as (

    select
        reporting_quarter,
        period_type,
        period_start,
        breakdown_value,
        sum(case when measure = 'assessments' then value end) as assessments,
        sum(case when measure in ('score_increases', 'score_decreases', 'score_unchanged', 'first_assessments')
            then value end) as parts
    from figures
    group by reporting_quarter, period_type, period_start, breakdown_value

)

select * from pivoted
where assessments is null or parts is null or assessments <> parts

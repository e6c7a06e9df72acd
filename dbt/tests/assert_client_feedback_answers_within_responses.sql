-- Q2.2: for each question, the answers counted in a quarter never exceed the responses.
with

figures as (

    select * from {{ ref('kpi_values') }} where kpi_id = 'Q2.2' and period_type = 'quarter'

),

answers as (

    select reporting_quarter, measure, sum(value) as answers
    from figures
    where breakdown = 'answer'
    group by reporting_quarter, measure

),

responses as (

    select reporting_quarter, value as responses
    from figures
    where measure = 'responses'

)

select answers.*, responses.responses
from answers
left join responses
    on answers.reporting_quarter = responses.reporting_quarter
where responses.responses is null or answers.answers > responses.responses

-- Nothing looks past its quarter: every figure's period ends on or before its reporting
-- quarter's end, as_at figures are dated the quarter end, and every reporting quarter is one
-- of the calendar's.
with

figures as (

    select * from {{ ref('kpi_values') }}

),

quarters as (

    select * from {{ ref('int_fiscal_quarters') }}

)

select figures.*
from figures
left join quarters
    on figures.reporting_quarter = quarters.reporting_quarter
where quarters.reporting_quarter is null
   or figures.period_end > quarters.quarter_end
   or (figures.period_type = 'as_at' and figures.period_end <> quarters.quarter_end)
   or (figures.period_type = 'quarter' and figures.period_start <> quarters.quarter_start)

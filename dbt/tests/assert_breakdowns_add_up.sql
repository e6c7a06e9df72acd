-- Breakdowns that partition their whole add up to it: Q1.3 TOEX disruptions by threat type
-- and by impact = TOEX disruptions; Q2.4 positions by status = positions_total; Q5.1 costs by
-- category and by cost centre = costs_gbp.
with

figures as (

    select * from {{ ref('kpi_values') }}

),

parts as (

    select reporting_quarter, kpi_id, period_type, period_start, breakdown, sum(value) as total
    from figures
    where (kpi_id = 'Q1.3' and measure = 'disruptions' and breakdown in ('threat_type', 'impact'))
       or (kpi_id = 'Q2.4' and measure = 'positions' and breakdown = 'status')
       or (kpi_id = 'Q5.1' and measure = 'costs_gbp' and breakdown in ('category', 'cost_centre'))
    group by reporting_quarter, kpi_id, period_type, period_start, breakdown

),

wholes as (

    select reporting_quarter, kpi_id, period_type, period_start, value as total
    from figures
    where (kpi_id = 'Q1.3' and measure = 'disruptions' and breakdown = 'involvement' and breakdown_value = 'toex')
       or (kpi_id = 'Q2.4' and measure = 'positions_total')
       or (kpi_id = 'Q5.1' and measure = 'costs_gbp' and breakdown = 'all')

)

select parts.*, wholes.total as whole
from parts
left join wholes
    on parts.reporting_quarter = wholes.reporting_quarter
    and parts.kpi_id = wholes.kpi_id
    and parts.period_type = wholes.period_type
    and parts.period_start = wholes.period_start
where wholes.total is null or abs(parts.total - wholes.total) > 0.000001

-- Every share and p-value in kpi_values is a fraction from 0 to 1, with no exception: a change
-- of a share (survey_*_yes_change, -1..1) has its own unit, share_change.
select *
from {{ ref('kpi_values') }}
where unit in ('share', 'p_value')
  and (value < 0 or value > 1)

-- Every share in kpi_values is a fraction from 0 to 1 (changes of a share, named *_change,
-- may be negative).
select *
from {{ ref('kpi_values') }}
where unit = 'share'
  and measure not like '%!_change' escape '!'
  and (value < 0 or value > 1)

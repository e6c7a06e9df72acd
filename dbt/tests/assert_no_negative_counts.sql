-- Counts and durations are never negative (money may be: credits and net savings).
select *
from {{ ref('kpi_values') }}
where unit in ('count', 'days', 'bytes')
  and value < 0

-- Data quality (warning, never stops a run): a channel's new users in a quarter cannot exceed
-- its users. The real 2025-26 Q1 pack has 387 website users "including over 700 new users";
-- the demo data carries that slip and this test flags it.
{{ config(severity='warn') }}

with

figures as (

    select * from {{ ref('kpi_values') }}
    where kpi_id = 'Q2.5' and measure in ('users', 'new_users')

)

select
    new_users.reporting_quarter,
    new_users.period_type,
    new_users.period_start,
    new_users.breakdown_value as channel,
    users.value as users,
    new_users.value as new_users
from figures as new_users
inner join figures as users
    on users.measure = 'users'
    and users.reporting_quarter = new_users.reporting_quarter
    and users.period_type = new_users.period_type
    and users.period_start = new_users.period_start
    and users.breakdown_value = new_users.breakdown_value
where new_users.measure = 'new_users'
  and new_users.value > users.value

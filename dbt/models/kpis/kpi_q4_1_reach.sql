{#- Q4.1 Reach of the Capabilities Environment and Data Platform. as_at: registered users
    (first access by the quarter end) and the organisations they belong to, by platform, by
    role and in all (a person on both platforms counts once in all and by role); quarter, by
    platform: active users (registered by the quarter end, last access on or after the
    quarter start or not recorded). -#}
with

{{ import_ctes([('users', 'fct_platform_users')]) }},

periods as (

    {{ kpi_periods(['quarter', 'as_at']) }}

),

platforms as (

    {{ code_list('platform_users.platform', 'platform') }}

),

roles as (

    {{ code_list('platform_users.role', 'role') }}

),

by_platform as (

    {{ zero_filled_by_code('platforms', 'platform', 'users', [
        ['registered_users', "count(users.user_pseudonym)"],
        ['organisations_reached', "count(distinct users.organisation)"],
        ['active_users', "sum(case when users.user_pseudonym is not null and (users.last_access_date is null or users.last_access_date >= periods.quarter_start) then 1 else 0 end)"],
    ], conditions=["users.first_access_date <= periods.period_end"]) }}

),

by_role as (

    {{ zero_filled_by_code('roles', 'role', 'users', [
        ['registered_users', "count(distinct users.user_pseudonym)"],
        ['organisations_reached', "count(distinct users.organisation)"],
    ],
        conditions=["users.first_access_date <= periods.period_end"],
        where="periods.period_type = 'as_at'"
    ) }}

),

in_all as (

    {{ figures_by_period('users', [
        ['registered_users', "count(distinct users.user_pseudonym)"],
        ['organisations_reached', "count(distinct users.organisation)"],
    ],
        conditions=["users.first_access_date <= periods.period_end"],
        where="periods.period_type = 'as_at'"
    ) }}

),

final as (

    {{ kpi_rows('by_platform', 'Q4.1', [
        {'name': 'registered_users', 'expr': 'registered_users', 'unit': 'count', 'periods': ['as_at']},
        {'name': 'organisations_reached', 'expr': 'organisations_reached', 'unit': 'count', 'periods': ['as_at']},
        {'name': 'active_users', 'expr': 'active_users', 'unit': 'count', 'periods': ['quarter']},
    ], breakdown='platform', breakdown_col='platform') }}

    union all

    {{ kpi_rows('by_role', 'Q4.1', [
        {'name': 'registered_users', 'expr': 'registered_users', 'unit': 'count'},
        {'name': 'organisations_reached', 'expr': 'organisations_reached', 'unit': 'count'},
    ], breakdown='role', breakdown_col='role') }}

    union all

    {{ kpi_rows('in_all', 'Q4.1', [
        {'name': 'registered_users', 'expr': 'registered_users', 'unit': 'count'},
        {'name': 'organisations_reached', 'expr': 'organisations_reached', 'unit': 'count'},
    ]) }}

)

select {{ kpi_columns() }} from final

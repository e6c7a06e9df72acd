{#- Q4.1 Reach of the Capabilities Environment and Data Platform. as_at: registered users
    (first access by the quarter end) and the organisations they belong to, by platform, by
    role and in all (a person on both platforms counts once in all and by role); quarter, by
    platform: active users (registered by the quarter end, last access on or after the
    quarter start or not recorded). -#}
with

periods as (

    {{ kpi_periods(['quarter', 'as_at']) }}

),

platforms as (

    {{ code_list('platform_users.platform', 'platform') }}

),

roles as (

    {{ code_list('platform_users.role', 'role') }}

),

users as (

    select * from {{ ref('fct_platform_users') }}

),

by_platform as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        platforms.platform,
        count(users.user_pseudonym) as registered_users,
        count(distinct users.organisation) as organisations_reached,
        sum(case when users.user_pseudonym is not null
                  and (users.last_access_date is null or users.last_access_date >= periods.quarter_start)
            then 1 else 0 end) as active_users
    from periods
    cross join platforms
    left join users
        on users.platform = platforms.platform
        and users.first_access_date <= periods.period_end
    group by
        periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end,
        platforms.platform

),

by_role as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        roles.role,
        count(distinct users.user_pseudonym) as registered_users,
        count(distinct users.organisation) as organisations_reached
    from periods
    cross join roles
    left join users
        on users.role = roles.role
        and users.first_access_date <= periods.period_end
    where periods.period_type = 'as_at'
    group by
        periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end,
        roles.role

),

in_all as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        count(distinct users.user_pseudonym) as registered_users,
        count(distinct users.organisation) as organisations_reached
    from periods
    left join users
        on users.first_access_date <= periods.period_end
    where periods.period_type = 'as_at'
    group by periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end

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

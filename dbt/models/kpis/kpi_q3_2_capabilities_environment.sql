{#- Q3.2 The Capabilities Environment in operation: organisations by their latest onboarding
    status on or before the quarter end (accepted = `accepted` or `onboarded`), by org_type;
    force coverage = territorial forces accepted / var('territorial_forces') (43); the
    quarter's costs of cost centre CE. -#}
with

{{ import_ctes([
    ('statuses', 'int_onboarding_status_as_at'),
    ('forces', 'dim_force'),
    ('costs', 'fct_costs', "cost_centre = 'CE'"),
]) }},

periods as (

    {{ kpi_periods(['quarter', 'as_at']) }}

),

org_types as (

    {{ code_list('onboarding.org_type', 'org_type') }}

),

by_org_type as (

    {{ zero_filled_by_code('org_types', 'org_type', 'statuses', [
        ['organisations_accepted', "sum(case when statuses.status in ('accepted', 'onboarded') then 1 else 0 end)"],
        ['organisations_onboarded', "sum(case when statuses.status = 'onboarded' then 1 else 0 end)"],
    ],
        conditions=["statuses.reporting_quarter = periods.reporting_quarter"],
        where="periods.period_type = 'as_at'"
    ) }}

),

coverage as (

    select
        {{ period_columns() }},
        count(forces.force) as territorial_forces_accepted
    from periods
    left join statuses
        on statuses.reporting_quarter = periods.reporting_quarter
        and statuses.status in ('accepted', 'onboarded')
    left join forces
        on forces.force = statuses.organisation
        and forces.is_territorial
    where periods.period_type = 'as_at'
    group by {{ period_columns() }}

),

ce_costs as (

    {{ figures_by_period('costs', [
        ['ce_cost_gbp', "coalesce(sum(costs.amount_gbp), 0)"],
    ], conditions=[in_period('costs.month_start')], where="periods.period_type = 'quarter'") }}

),

final as (

    {{ kpi_rows('by_org_type', 'Q3.2', [
        {'name': 'organisations_accepted', 'expr': 'organisations_accepted', 'unit': 'count'},
        {'name': 'organisations_onboarded', 'expr': 'organisations_onboarded', 'unit': 'count'},
    ], breakdown='org_type', breakdown_col='org_type') }}

    union all

    {{ kpi_rows('coverage', 'Q3.2', [
        {'name': 'force_coverage_share',
         'expr': 'cast(territorial_forces_accepted as double) / ' ~ var('territorial_forces'), 'unit': 'share'},
    ]) }}

    union all

    {{ kpi_rows('ce_costs', 'Q3.2', [
        {'name': 'ce_cost_gbp', 'expr': 'ce_cost_gbp', 'unit': 'gbp'},
    ]) }}

)

select {{ kpi_columns() }} from final

{#- Q3.1 New data tools and capabilities (TDA pipeline): capabilities by their latest stage
    on or before the quarter end; deployments in the quarter (capabilities entering
    `deployed`); since inception the mean days from entering `idea` to entering `deployed`,
    over capabilities deployed since inception by the quarter end that have an idea date. -#}
with

{{ import_ctes([
    ('stages_as_at', 'int_capability_stages_as_at'),
    ('stages', 'fct_capability_stages'),
]) }},

periods as (

    {{ kpi_periods(['quarter', 'since_inception', 'as_at']) }}

),

stage_list as (

    {{ code_list('capabilities.stage', 'stage') }}

),

idea_to_deployed as (

    select
        deployed.capability_id,
        deployed.entered_date as deployed_date,
        idea.entered_date as idea_date
    from stages as deployed
    left join stages as idea
        on idea.capability_id = deployed.capability_id
        and idea.stage = 'idea'
    where deployed.stage = 'deployed'

),

by_stage as (

    {{ zero_filled_by_code('stage_list', 'stage', 'stages_as_at', [
        ['capabilities', "count(stages_as_at.capability_id)"],
    ],
        conditions=["stages_as_at.reporting_quarter = periods.reporting_quarter"],
        where="periods.period_type = 'as_at'"
    ) }}

),

deployments as (

    {{ figures_by_period('idea_to_deployed', [
        ['deployments', "count(idea_to_deployed.capability_id)"],
        ['mean_days_idea_to_deployed', "avg(case when idea_to_deployed.idea_date is not null then cast(" ~ dbt.datediff('idea_to_deployed.idea_date', 'idea_to_deployed.deployed_date', 'day') ~ " as double) end)"],
    ],
        conditions=[in_period('idea_to_deployed.deployed_date')],
        where="periods.period_type in ('quarter', 'since_inception')"
    ) }}

),

final as (

    {{ kpi_rows('by_stage', 'Q3.1', [
        {'name': 'capabilities', 'expr': 'capabilities', 'unit': 'count'},
    ], breakdown='stage', breakdown_col='stage') }}

    union all

    {{ kpi_rows('deployments', 'Q3.1', [
        {'name': 'deployments', 'expr': 'deployments', 'unit': 'count', 'periods': ['quarter']},
        {'name': 'mean_days_idea_to_deployed', 'expr': 'mean_days_idea_to_deployed', 'unit': 'days',
         'periods': ['since_inception']},
    ]) }}

)

select {{ kpi_columns() }} from final

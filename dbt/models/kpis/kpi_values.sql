{#- Every KPI figure of every reporting quarter from the inception quarter to
    var('reporting_quarter'), in one long table (KPIS.md "The long table kpi_values"), with
    each period's published name (int_kpi_periods) and the population the figure counts (the
    catalogue, seed kpi_catalogue_entries: a breakdown can change who is counted).
    The columns and their types are an enforced contract. -#}
{%- set kpi_models = [
    'kpi_q1_1_identifications', 'kpi_q1_2_risk_scores', 'kpi_q1_3_disruptions',
    'kpi_q1_4_safeguarding', 'kpi_q2_1_taskings', 'kpi_q2_2_client_feedback',
    'kpi_q2_3_unmet_demand', 'kpi_q2_4_hr', 'kpi_q2_5_communications',
    'kpi_q3_1_tda_pipeline', 'kpi_q3_2_capabilities_environment', 'kpi_q3_3_tool_deployments',
    'kpi_q4_1_reach', 'kpi_q4_2_usage', 'kpi_q4_3_dp_cost', 'kpi_q5_1_costs', 'kpi_q5_2_savings',
] -%}
with

unioned as (

    {% for m in kpi_models %}
    select {{ kpi_columns() }} from {{ ref(m) }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

periods as (

    select reporting_quarter, period_type, period_start, period_end, period_label
    from {{ ref('int_kpi_periods') }}

),

catalogue as (

    select kpi_id, measure, breakdown, measure_pattern, population
    from {{ ref('kpi_catalogue_entries') }}

),

labelled as (

    select
        unioned.*,
        periods.period_label,
        catalogue.population
    from unioned
    left join periods
        on unioned.reporting_quarter = periods.reporting_quarter
        and unioned.period_type = periods.period_type
        and unioned.period_start = periods.period_start
        and unioned.period_end = periods.period_end
    left join catalogue
        on {{ matches_catalogue_entry('unioned', 'catalogue') }}

),

final as (

    select
        cast(reporting_quarter as {{ dbt.type_string() }}) as reporting_quarter,
        cast(kpi_id as {{ dbt.type_string() }}) as kpi_id,
        cast(measure as {{ dbt.type_string() }}) as measure,
        cast(period_type as {{ dbt.type_string() }}) as period_type,
        cast(period_start as date) as period_start,
        cast(period_end as date) as period_end,
        cast(breakdown as {{ dbt.type_string() }}) as breakdown,
        cast(breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
        cast(value as double) as value,
        cast(unit as {{ dbt.type_string() }}) as unit,
        cast(period_label as {{ dbt.type_string() }}) as period_label,
        cast(population as {{ dbt.type_string() }}) as population
    from labelled

)

select * from final

{#- Every KPI figure of every reporting quarter from the inception quarter to
    var('reporting_quarter'), in one long table (KPIS.md "The long table kpi_values").
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
        cast(unit as {{ dbt.type_string() }}) as unit
    from unioned

)

select * from final

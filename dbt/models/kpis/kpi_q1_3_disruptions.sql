{#- Q1.3 Disruptions informed by TOEX products. A disruption counts on its disruption_date;
    "disruptions" are moderated ones; rejected ones never count; awaiting ones are reported
    apart (TOEX-involved, disruption_date in the period). -#}
with

{{ import_ctes([('disruptions', 'fct_disruptions')]) }},

periods as (

    {{ kpi_periods(['quarter', 'fy_to_date', 'financial_year', 'since_inception']) }}

),

involvements as (

    {{ code_list('involvement', 'involvement') }}

),

threat_types as (

    {{ code_list('threat_type', 'threat_type') }}

),

impacts as (

    {{ code_list('disruptions.impact', 'impact') }}

),

{# Each operation's previous moderated disruption (same involvement), so that disrupted
    operations are counted once per period by count_once_per_period (macros/periods.sql). -#}
moderated as (

    select
        disruption_id,
        operation_ref,
        involvement,
        disruption_date,
        is_moderated,
        lag(disruption_date) over (
            partition by operation_ref, involvement
            order by disruption_date
        ) as previous_disruption_date
    from disruptions
    where is_moderated and disruption_date is not null

),

by_involvement as (

    {{ zero_filled_by_code('involvements', 'involvement', 'moderated', [
        ['disruptions', "count(moderated.disruption_id)"],
        ['disrupted_operations', count_once_per_period('moderated.operation_ref', 'moderated.previous_disruption_date')],
    ], conditions=["moderated.is_moderated", in_period('moderated.disruption_date')]) }}

),

toex as (

    {{ figures_by_period('disruptions', [
        ['awaiting_moderation', "sum(case when disruptions.is_awaiting_moderation then 1 else 0 end)"],
        ['awaiting_moderation_tool', "sum(case when disruptions.is_awaiting_moderation and disruptions.has_technical_tool then 1 else 0 end)"],
        ['disruptions', "sum(case when disruptions.is_moderated then 1 else 0 end)"],
        ['tool_disruptions', "sum(case when disruptions.is_moderated and disruptions.has_technical_tool then 1 else 0 end)"],
        ['exploitation_disruptions', "sum(case when disruptions.is_moderated and disruptions.is_exploitation_threat then 1 else 0 end)"],
    ], conditions=["disruptions.is_toex_involved", in_period('disruptions.disruption_date')]) }}

),

toex_by_threat_type as (

    {{ zero_filled_by_code('threat_types', 'threat_type', 'disruptions', [
        ['disruptions', "count(disruptions.disruption_id)"],
    ],
        conditions=["disruptions.is_toex_involved", "disruptions.is_moderated", in_period('disruptions.disruption_date')]
    ) }}

),

toex_by_impact as (

    {{ zero_filled_by_code('impacts', 'impact', 'disruptions', [
        ['disruptions', "count(disruptions.disruption_id)"],
    ],
        conditions=["disruptions.is_toex_involved", "disruptions.is_moderated", in_period('disruptions.disruption_date')]
    ) }}

),

final as (

    {{ kpi_rows('by_involvement', 'Q1.3', [
        {'name': 'disruptions', 'expr': 'disruptions', 'unit': 'count'},
        {'name': 'disrupted_operations', 'expr': 'disrupted_operations', 'unit': 'count'},
        {'name': 'disruptions_per_operation', 'expr': safe_divide('disruptions', 'disrupted_operations'), 'unit': 'ratio'},
    ], breakdown='involvement', breakdown_col='involvement') }}

    union all

    {{ kpi_rows('toex', 'Q1.3', [
        {'name': 'awaiting_moderation', 'expr': 'awaiting_moderation', 'unit': 'count'},
        {'name': 'awaiting_moderation_tool', 'expr': 'awaiting_moderation_tool', 'unit': 'count'},
        {'name': 'tool_disruptions', 'expr': 'tool_disruptions', 'unit': 'count'},
        {'name': 'tool_disruption_share', 'expr': safe_divide('tool_disruptions', 'disruptions'), 'unit': 'share'},
        {'name': 'exploitation_share', 'expr': safe_divide('exploitation_disruptions', 'disruptions'), 'unit': 'share'},
    ]) }}

    union all

    {{ kpi_rows('toex_by_threat_type', 'Q1.3', [
        {'name': 'disruptions', 'expr': 'disruptions', 'unit': 'count'},
    ], breakdown='threat_type', breakdown_col='threat_type') }}

    union all

    {{ kpi_rows('toex_by_impact', 'Q1.3', [
        {'name': 'disruptions', 'expr': 'disruptions', 'unit': 'count'},
    ], breakdown='impact', breakdown_col='impact') }}

)

select {{ kpi_columns() }} from final

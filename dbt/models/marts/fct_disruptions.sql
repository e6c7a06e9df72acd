{#- One row per APMIS disruption, with the flags the KPIs count on. A disruption counts on
    its disruption_date; only moderated ones are "disruptions"; awaiting ones are reported
    apart; rejected ones never count. The moderation status is the one in the extract. -#}
with

{{ import_ctes([('disruptions', 'stg_disruptions')]) }},

exploitation as (

    {{ code_list('exploitation_threat_type', 'threat_type') }}

),

final as (

    select
        disruptions.disruption_id,
        disruptions.operation_ref,
        disruptions.disruption_date,
        disruptions.threat_type,
        disruptions.impact,
        disruptions.moderation_status,
        disruptions.moderated_date,
        disruptions.is_toex_involved,
        case when disruptions.is_toex_involved then 'toex' else 'non_toex' end as involvement,
        disruptions.technical_tool,
        disruptions.moderation_status = 'moderated' as is_moderated,
        disruptions.moderation_status = 'awaiting' as is_awaiting_moderation,
        disruptions.moderation_status = 'rejected' as is_rejected,
        disruptions.technical_tool is not null as has_technical_tool,
        exploitation.threat_type is not null as is_exploitation_threat
    from disruptions
    left join exploitation
        on disruptions.threat_type = exploitation.threat_type

)

{{ with_fiscal_quarter('final', 'disruption_date') }}

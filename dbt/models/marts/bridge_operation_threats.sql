{#- One row per operation and threat type recorded against it (sub-threats folded into flags). -#}
with

{{ import_ctes([('threats', 'stg_operation_threats')]) }},

soc_exploitation as (

    {{ code_list('soc_exploitation_threat_type', 'threat_type') }}

),

exploitation as (

    {{ code_list('exploitation_threat_type', 'threat_type') }}

),

final as (

    select
        threats.operation_ref,
        threats.threat_type,
        max(case when soc_exploitation.threat_type is not null then 1 else 0 end) = 1 as is_soc_exploitation_threat,
        max(case when exploitation.threat_type is not null then 1 else 0 end) = 1 as is_exploitation_threat,
        max(case when threats.sub_threat = 'Sexual Exploitation' then 1 else 0 end) = 1 as has_sexual_exploitation,
        count(threats.sub_threat) as sub_threats
    from threats
    left join soc_exploitation
        on threats.threat_type = soc_exploitation.threat_type
    left join exploitation
        on threats.threat_type = exploitation.threat_type
    group by threats.operation_ref, threats.threat_type

)

select * from final

{#- One row per operation (SOC Master List and TOEX operations) with its owning force's
    ROCU, its threat flags and when TOEX support commenced. -#}
with

{{ import_ctes([
    ('operations', 'stg_operations'),
    ('forces', 'dim_force'),
    ('support', 'int_operation_support'),
]) }},

threats as (

    select
        operation_ref,
        max(case when threat_type = 'CSA' then 1 else 0 end) = 1 as has_csa_threat,
        max(case when threat_type = 'MSHT' then 1 else 0 end) = 1 as has_msht_threat,
        max(case when threat_type = 'OIC' then 1 else 0 end) = 1 as has_oic_threat,
        max(case when is_soc_exploitation_threat then 1 else 0 end) = 1 as has_soc_exploitation_threat,
        max(case when is_soc_exploitation_threat and has_sexual_exploitation then 1 else 0 end) = 1
            as has_sexual_exploitation,
        count(*) as threat_types
    from {{ ref('bridge_operation_threats') }}
    group by operation_ref

),

final as (

    select
        operations.operation_ref,
        operations.team,
        operations.owning_force,
        forces.team as owning_force_team,
        operations.opened_date,
        operations.closed_date,
        operations.is_soc_master_list,
        coalesce(threats.threat_types, 0) as threat_types,
        coalesce(threats.has_csa_threat, false) as has_csa_threat,
        coalesce(threats.has_msht_threat, false) as has_msht_threat,
        coalesce(threats.has_oic_threat, false) as has_oic_threat,
        coalesce(threats.has_soc_exploitation_threat, false) as has_soc_exploitation_threat,
        coalesce(threats.has_sexual_exploitation, false) as has_sexual_exploitation,
        support.support_commenced_date,
        support.first_job_id,
        coalesce(support.job_count, 0) as toex_jobs
    from operations
    left join forces
        on operations.owning_force = forces.force
    left join threats
        on operations.operation_ref = threats.operation_ref
    left join support
        on operations.operation_ref = support.operation_ref

)

select * from final

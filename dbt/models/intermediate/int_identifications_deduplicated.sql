{#- One row per identification (distinct record_ref) that has at least one verified record.
    Its date, operation and category are those of its earliest verified record (ties: APMIS
    before IWT, then identification_id). Unverified records never count, and do not move the
    date even when earlier. -#}
with

{{ import_ctes([('records', 'stg_identifications')]) }},

verified as (

    select
        *,
        row_number() over (
            partition by record_ref
            order by identified_date, source_system, identification_id
        ) as verified_record_rank
    from records
    where is_verified

),

systems as (

    select
        record_ref,
        count(*) as verified_records,
        max(case when source_system = 'APMIS' then 1 else 0 end) = 1 as is_in_apmis,
        max(case when source_system = 'IWT' then 1 else 0 end) = 1 as is_in_iwt
    from verified
    group by record_ref

),

final as (

    select
        verified.record_ref,
        verified.identification_id as first_identification_id,
        verified.source_system as first_source_system,
        verified.identified_date,
        verified.operation_ref,
        verified.category,
        systems.verified_records,
        systems.is_in_apmis,
        systems.is_in_iwt
    from verified
    inner join systems
        on verified.record_ref = systems.record_ref
    where verified.verified_record_rank = 1

)

select * from final

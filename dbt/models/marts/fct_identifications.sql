{#- One row per identification (distinct record_ref with a verified record), dated and
    attributed by its earliest verified record: see int_identifications_deduplicated. -#}
with

{{ import_ctes([('identifications', 'int_identifications_deduplicated')]) }},

final as (

    select
        record_ref,
        identified_date,
        operation_ref,
        category,
        first_identification_id,
        first_source_system,
        verified_records,
        is_in_apmis,
        is_in_iwt,
        is_in_apmis and is_in_iwt as is_in_both_systems
    from identifications

)

{{ with_fiscal_quarter('final', 'identified_date') }}

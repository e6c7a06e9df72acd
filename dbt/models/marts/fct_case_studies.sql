{#- Case studies for the evaluation pack (only published ones go into it). -#}
with

{{ import_ctes([('case_studies', 'stg_case_studies')]) }},

final as (

    select
        reporting_quarter,
        operation_ref,
        title,
        body_markdown,
        is_published
    from case_studies

)

select * from final

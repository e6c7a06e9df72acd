{#- One row per capability and TDA stage it entered, with the stage's pipeline order. -#}
with

{{ import_ctes([('stages', 'stg_capabilities')]) }},

stage_order as (

    {{ code_list('capabilities.stage', 'stage') }}

),

final as (

    select
        stages.capability_id,
        stages.capability_name,
        stages.stage,
        stage_order.sort_order as stage_order,
        stages.entered_date
    from stages
    left join stage_order
        on stages.stage = stage_order.stage

)

select * from final

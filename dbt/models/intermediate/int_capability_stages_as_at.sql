{#- Each capability's stage at each quarter end: its latest stage entered on or before the
    quarter end (same-day entries: the later stage in the TDA pipeline order wins). -#}
with

quarters as (

    select reporting_quarter, quarter_end from {{ ref('int_fiscal_quarters') }}

),

stages as (

    select
        capabilities.*,
        stage_order.sort_order as stage_order
    from {{ ref('stg_capabilities') }} as capabilities
    left join {{ ref('code_values') }} as stage_order
        on stage_order.code_list = 'capabilities.stage'
        and stage_order.code_value = capabilities.stage

),

ranked as (

    select
        quarters.reporting_quarter,
        quarters.quarter_end,
        stages.capability_id,
        stages.capability_name,
        stages.stage,
        stages.entered_date,
        row_number() over (
            partition by quarters.reporting_quarter, stages.capability_id
            order by stages.entered_date desc, stages.stage_order desc
        ) as stage_rank
    from quarters
    inner join stages
        on stages.entered_date <= quarters.quarter_end

),

final as (

    select
        reporting_quarter,
        quarter_end,
        capability_id,
        capability_name,
        stage,
        entered_date as stage_entered_date
    from ranked
    where stage_rank = 1

)

select * from final

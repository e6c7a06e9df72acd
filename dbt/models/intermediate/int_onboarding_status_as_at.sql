{#- Each organisation's Capabilities Environment onboarding status at each quarter end: its
    latest status dated on or before the quarter end (same day: the later status in the list
    order requested, accepted, onboarded, withdrawn wins). -#}
with

quarters as (

    select reporting_quarter, quarter_end from {{ ref('int_fiscal_quarters') }}

),

statuses as (

    select
        onboarding.*,
        status_order.sort_order as status_order
    from {{ ref('stg_onboarding') }} as onboarding
    left join {{ ref('code_values') }} as status_order
        on status_order.code_list = 'onboarding.status'
        and status_order.code_value = onboarding.status

),

ranked as (

    select
        quarters.reporting_quarter,
        quarters.quarter_end,
        statuses.organisation,
        statuses.org_type,
        statuses.status,
        statuses.status_date,
        row_number() over (
            partition by quarters.reporting_quarter, statuses.organisation
            order by statuses.status_date desc, statuses.status_order desc
        ) as status_rank
    from quarters
    inner join statuses
        on statuses.status_date <= quarters.quarter_end

),

final as (

    select
        reporting_quarter,
        quarter_end,
        organisation,
        org_type,
        status,
        status_date
    from ranked
    where status_rank = 1

)

select * from final

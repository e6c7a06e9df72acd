{#- The establishment at each quarter end: the positions of the latest hr_positions snapshot
    dated on or before the quarter end. A quarter with no snapshot yet has no rows. -#}
with

{{ import_ctes([('positions', 'stg_hr_positions')]) }},

quarters as (

    select reporting_quarter, quarter_end from {{ ref('int_fiscal_quarters') }}

),

latest_snapshot as (

    select
        quarters.reporting_quarter,
        quarters.quarter_end,
        max(positions.snapshot_date) as snapshot_date
    from quarters
    inner join positions
        on positions.snapshot_date <= quarters.quarter_end
    group by quarters.reporting_quarter, quarters.quarter_end

),

final as (

    select
        latest_snapshot.reporting_quarter,
        latest_snapshot.quarter_end,
        positions.snapshot_date,
        positions.position_id,
        positions.team,
        positions.role_title,
        positions.status,
        positions.recruitment_stage
    from latest_snapshot
    inner join positions
        on positions.snapshot_date = latest_snapshot.snapshot_date

)

select * from final

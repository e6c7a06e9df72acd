{#- Police forces and their regional organised crime unit (the TOEX team), from the seed
    force_teams (generated from dagster_project/contracts/code_lists.yml). -#}
with

{{ import_ctes([('forces', 'force_teams')]) }},

final as (

    select
        force,
        case when team = '' then null else team end as team,
        cast(is_territorial as boolean) as is_territorial
    from forces

)

select * from final

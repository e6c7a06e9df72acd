{#- One row per user and platform (Capabilities Environment, Data Platform). -#}
with

{{ import_ctes([('users', 'stg_platform_users')]) }},

final as (

    select
        user_pseudonym,
        platform,
        organisation,
        role,
        first_access_date,
        last_access_date
    from users

)

select * from final

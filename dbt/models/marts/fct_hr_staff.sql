{#- One row per HR stint (a member of staff joining the programme, possibly leaving). -#}
with

{{ import_ctes([('staff', 'stg_hr_staff')]) }},

final as (

    select
        staff_pseudonym,
        team,
        start_date,
        end_date,
        leaving_reason,
        promoted_date
    from staff

)

select * from final

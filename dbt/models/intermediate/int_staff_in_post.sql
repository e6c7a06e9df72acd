{#- Staff in post at every month end of the calendar (quarter ends are the third month ends):
    one row per month end and HR stint in post on it (start_date <= date <= end_date, an
    empty end_date meaning still in post). Length of service is the days from start_date to
    that date. -#}
with

{{ import_ctes([('staff', 'stg_hr_staff')]) }},

month_ends as (

    select reporting_quarter, month_label, month_end, is_quarter_end from {{ ref('int_fiscal_months') }}

),

final as (

    select
        month_ends.reporting_quarter,
        month_ends.month_label,
        month_ends.month_end as as_at_date,
        month_ends.is_quarter_end,
        staff.staff_pseudonym,
        staff.team,
        staff.start_date,
        staff.end_date,
        {{ dbt.datediff('staff.start_date', 'month_ends.month_end', 'day') }} as length_of_service_days
    from month_ends
    inner join staff
        on staff.start_date <= month_ends.month_end
        and (staff.end_date is null or staff.end_date >= month_ends.month_end)

)

select * from final

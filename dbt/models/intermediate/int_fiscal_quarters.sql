{#- Every fiscal quarter from the inception quarter to var('reporting_quarter'), rendered as
    literals by the fiscal_quarters() macro (nothing looks at the clock). -#}
with

quarters as (

    {% for q in fiscal_quarters() %}
    select
        '{{ q.label }}' as reporting_quarter,
        '{{ q.fy_label }}' as fy_label,
        {{ q.fy_start_year }} as fy_start_year,
        {{ q.quarter_number }} as quarter_number,
        {{ loop.index }} as quarter_sequence,
        {{ date_literal(q.quarter_start) }} as quarter_start,
        {{ date_literal(q.quarter_end) }} as quarter_end,
        {{ date_literal(q.fy_start) }} as fy_start,
        {{ date_literal(q.fy_end) }} as fy_end,
        {{ date_literal(q.months[0].month_start) }} as month_1_start,
        {{ date_literal(q.months[1].month_start) }} as month_2_start,
        {{ date_literal(q.months[2].month_start) }} as month_3_start,
        {{ 'true' if loop.last else 'false' }} as is_latest_quarter
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

final as (

    select
        reporting_quarter,
        fy_label,
        cast(fy_start_year as bigint) as fy_start_year,
        cast(quarter_number as bigint) as quarter_number,
        cast(quarter_sequence as bigint) as quarter_sequence,
        quarter_start,
        quarter_end,
        fy_start,
        fy_end,
        month_1_start,
        month_2_start,
        month_3_start,
        cast(is_latest_quarter as boolean) as is_latest_quarter
    from quarters

)

select * from final

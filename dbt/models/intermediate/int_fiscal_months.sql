{#- Every month of every quarter in int_fiscal_quarters (three per quarter). -#}
with

months as (

    {% for q in fiscal_quarters() %}{% set outer = loop %}{% for m in q.months %}
    select
        '{{ q.label }}' as reporting_quarter,
        {{ loop.index }} as month_of_quarter,
        '{{ m.month_label }}' as month_label,
        {{ date_literal(m.month_start) }} as month_start,
        {{ date_literal(m.month_end) }} as month_end
    {% if not (outer.last and loop.last) %}union all{% endif %}
    {% endfor %}{% endfor %}

),

final as (

    select
        reporting_quarter,
        cast(month_of_quarter as bigint) as month_of_quarter,
        month_label,
        month_start,
        month_end,
        month_of_quarter = 3 as is_quarter_end
    from months

)

select * from final

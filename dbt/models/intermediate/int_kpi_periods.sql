{#-
  The periods each reporting quarter's figures are computed for (KPIS.md "Reporting periods"):
    quarter          the quarter itself
    fy_to_date       start of the quarter's financial year to the quarter end
    financial_year   each complete financial year before the quarter's one, since inception
    since_inception  inception date to the quarter end
    as_at            the quarter end (period_start = period_end = quarter end)
    month            each month of the quarter
  Every period ends on or before its reporting quarter's end, so no figure of a quarter can
  see rows dated after that quarter. period_label is the name kpi_values publishes:
  '2025-26 Q1', 'FY 2025-26 to date', 'FY 2024-25', 'Since inception', 'As at 30 June 2025',
  'April 2025' (macro period_labels.sql).
-#}
{%- set inception = var('inception_date') -%}
{%- set quarters = fiscal_quarters() -%}
with

periods as (

    {% for q in quarters %}{% set outer = loop %}
    select '{{ q.label }}' as reporting_quarter, 'quarter' as period_type,
           {{ date_literal(q.quarter_start) }} as period_start, {{ date_literal(q.quarter_end) }} as period_end,
           '{{ q.label }}' as period_label
    union all
    select '{{ q.label }}', 'fy_to_date',
           {{ date_literal(q.fy_start) }}, {{ date_literal(q.quarter_end) }}, 'FY {{ q.fy_label }} to date'
    union all
    select '{{ q.label }}', 'since_inception',
           {{ date_literal(inception) }}, {{ date_literal(q.quarter_end) }}, 'Since inception'
    union all
    select '{{ q.label }}', 'as_at',
           {{ date_literal(q.quarter_end) }}, {{ date_literal(q.quarter_end) }},
           'As at {{ long_date_label(q.quarter_end) }}'
    {%- for m in q.months %}
    union all
    select '{{ q.label }}', 'month',
           {{ date_literal(m.month_start) }}, {{ date_literal(m.month_end) }},
           '{{ month_name_label(m.month_start) }}'
    {%- endfor %}
    {%- for fy in range(quarters[0].fy_start_year, q.fy_start_year) %}
    union all
    select '{{ q.label }}', 'financial_year',
           {{ date_literal(toex_iso_date(fy, 4, 1)) }}, {{ date_literal(toex_iso_date(fy + 1, 3, 31)) }},
           'FY {{ '%04d-%02d' | format(fy, (fy + 1) % 100) }}'
    {%- endfor %}
    {% if not outer.last %}union all{% endif %}
    {% endfor %}

),

quarters as (

    select reporting_quarter, quarter_start, quarter_end from {{ ref('int_fiscal_quarters') }}

),

final as (

    select
        periods.reporting_quarter,
        quarters.quarter_start,
        quarters.quarter_end,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        periods.period_label
    from periods
    inner join quarters
        on periods.reporting_quarter = quarters.reporting_quarter

)

select * from final

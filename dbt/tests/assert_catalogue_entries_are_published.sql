-- Every catalogue entry (kpi_id, measure, breakdown) and each of its period types is
-- published in kpi_values for at least one reporting quarter: the catalogue lists nothing the
-- platform does not compute. A warning, not an error: a delivery lacking an extract (or an
-- empty one, whose figures are zeros and no means) must still publish what it can; the check
-- runs once kpi_values holds any non-zero figure. The demo delivery must raise none
-- (tests/test_back_test.py).
{{ config(severity='warn') }}
with

catalogue as (

    select * from {{ ref('kpi_catalogue_entries') }}

),

expected as (

    {%- set period_types = ['quarter', 'month', 'fy_to_date', 'financial_year', 'since_inception', 'as_at'] %}
    {% for p in period_types %}
    select kpi_id, measure, breakdown, measure_pattern, '{{ p }}' as period_type
    from catalogue
    where {{ dbt.concat(["','", 'period_types', "','"]) }} like '%,{{ p }},%'
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

published as (

    select distinct kpi_id, measure, breakdown, period_type
    from {{ ref('kpi_values') }}

)

select expected.kpi_id, expected.measure, expected.breakdown, expected.period_type
from expected
where exists (select 1 from {{ ref('kpi_values') }} as any_figure where any_figure.value <> 0)
and not exists (
    select 1
    from published
    where published.period_type = expected.period_type
        and {{ matches_catalogue_entry('published', 'expected') }}
)

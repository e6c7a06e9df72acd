{#- The grain every period CTE groups by: one reporting quarter's period of one type. -#}
{% macro period_columns(periods='periods') -%}
    {{ periods }}.reporting_quarter, {{ periods }}.period_type, {{ periods }}.period_start, {{ periods }}.period_end
{%- endmacro %}

{#- Each entity counted once per period without a distinct count over every (period, fact) pair
    (tens of millions at scale 1000, spilled under the memory cap: docs/SCALE_LOG.md, "big5"): by
    its first fact in the period, the one whose previous fact of the same entity (`previous_date`,
    a lag of the fact's date over the entity's facts) is before the period or does not exist.
    Counts only with the facts held to the period by in_period() on the fact's own date. -#}
{% macro count_once_per_period(entity, previous_date, periods='periods') -%}
    count(case when {{ previous_date }} is null or {{ previous_date }} < {{ periods }}.period_start then {{ entity }} end)
{%- endmacro %}

{#- A date (or month start) inside the period, both ends inclusive. -#}
{% macro in_period(date_expr, periods='periods') -%}
    {{ date_expr }} between {{ periods }}.period_start and {{ periods }}.period_end
{%- endmacro %}

{#-
  Zero-filled figures per period and code: every period × every value of a closed code list,
  with the matching facts left-joined, so a code with no facts still gets its row (a published
  zero, never a missing one).

  codes       CTE of the code list (from code_list()), e.g. 'impacts'
  code        its column, e.g. 'impact'
  facts       CTE of the facts, e.g. 'disruptions'
  aggregates  list of [column name, aggregate SQL over the facts], in output order
  conditions  further join conditions, e.g. [in_period('disruptions.disruption_date')]
  match       how a fact matches a code (default: the facts' column of the same name equals it)
  where       a filter on the periods, e.g. "periods.period_type = 'quarter'" (optional)
-#}
{% macro zero_filled_by_code(codes, code, facts, aggregates, conditions=[], match=none, where=none, periods='periods') %}
    select
        {{ period_columns(periods) }},
        {{ codes }}.{{ code }},
        {%- for name, expr in aggregates %}
        {{ expr }} as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ periods }}
    cross join {{ codes }}
    left join {{ facts }}
        on {{ match if match else facts ~ '.' ~ code ~ ' = ' ~ codes ~ '.' ~ code }}
        {%- for condition in conditions %}
        and {{ condition }}
        {%- endfor %}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    group by {{ period_columns(periods) }}, {{ codes }}.{{ code }}
{% endmacro %}

{#-
  Figures per period: every period with its facts left-joined and aggregated, so a period with
  no facts still gets its row (counts 0, sums as the aggregate says).

  facts       CTE of the facts, e.g. 'disruptions'
  aggregates  list of [column name, aggregate SQL over the facts], in output order
  conditions  join conditions, e.g. [in_period('disruptions.disruption_date')]
  where       a filter on the periods (optional)
-#}
{% macro figures_by_period(facts, aggregates, conditions, where=none, periods='periods') %}
    select
        {{ period_columns(periods) }},
        {%- for name, expr in aggregates %}
        {{ expr }} as {{ name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ periods }}
    left join {{ facts }}
        on {{ conditions | join('\n        and ') }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    group by {{ period_columns(periods) }}
{% endmacro %}

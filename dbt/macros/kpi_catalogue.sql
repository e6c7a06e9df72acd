{#- Join condition of a kpi_values figure to its KPI catalogue entry (seed kpi_catalogue_entries):
    same kpi_id and breakdown, and the measure itself or, for an entry named after a code
    (`survey_{question_id}`), its LIKE pattern. -#}
{% macro matches_catalogue_entry(figure, entry) -%}
    {{ figure }}.kpi_id = {{ entry }}.kpi_id
    and {{ figure }}.breakdown = {{ entry }}.breakdown
    and (
        {{ figure }}.measure = {{ entry }}.measure
        or (coalesce({{ entry }}.measure_pattern, '') <> '' and {{ figure }}.measure like {{ entry }}.measure_pattern)
    )
{%- endmacro %}

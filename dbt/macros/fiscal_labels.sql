{#- Labels and fiscal columns built on the calendar of fiscal_calendar.sql. Kept apart from it
    because these macros return text, not values (sqlfluff's templater can load them). -#}

{#- Labels of period_label: '30 June 2025' and 'April 2025' from 'YYYY-MM-DD' (compile time, so
    every engine prints the same English month name). -#}

{% macro toex_month_name(iso_date) -%}
    {{ ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
        'October', 'November', 'December'][(iso_date[5:7] | int) - 1] }}
{%- endmacro %}

{% macro long_date_label(iso_date) -%}
    {{ iso_date[8:10] | int }} {{ toex_month_name(iso_date) }} {{ iso_date[0:4] }}
{%- endmacro %}

{% macro month_name_label(iso_date) -%}
    {{ toex_month_name(iso_date) }} {{ iso_date[0:4] }}
{%- endmacro %}

{#- The last select of a fact model: every column of `relation` plus the fiscal_year and
    fiscal_quarter (dim_fiscal_quarters keys) of `date_column`. Null when the date lies outside
    the calendar (before the inception quarter or after the reporting quarter).
    A UK fiscal quarter is a calendar quarter (April-June, ...), so the equality on its first day
    matches exactly the quarter the `between` matches, and lets the engine hash-join the few
    quarters instead of sorting every fact row for a range join (8.5 M assessments at scale
    1000: docs/SCALE_LOG.md, "dbt8"). The cast: Spark's date_trunc returns a timestamp. -#}
{% macro with_fiscal_quarter(relation, date_column) %}
    select
        {{ relation }}.*,
        fiscal.fiscal_year,
        fiscal.fiscal_quarter
    from {{ relation }}
    left join {{ ref('dim_fiscal_quarters') }} as fiscal
        on cast({{ dbt.date_trunc('quarter', relation ~ '.' ~ date_column) }} as date) = fiscal.quarter_start
        and {{ relation }}.{{ date_column }} between fiscal.quarter_start and fiscal.quarter_end
{% endmacro %}

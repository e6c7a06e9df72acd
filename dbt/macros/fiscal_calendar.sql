{#-
  The UK fiscal calendar, computed at compile time from the vars `inception_date` and
  `reporting_quarter`, so that no model looks at the clock and the SQL is plain literals
  (portable to every engine).

  fiscal_quarters() -> list of dicts, one per quarter from the quarter containing the
  inception date to the reporting quarter, oldest first:
    label '2025-26 Q1', fy_label '2025-26', fy_start_year 2025, quarter_number 1,
    quarter_start/quarter_end/fy_start/fy_end 'YYYY-MM-DD',
    months: list of {month_start, month_end, month_label 'YYYY-MM'}
-#}

{% macro toex_iso_date(y, m, d) -%}
    {{ '%04d-%02d-%02d' | format(y, m, d) }}
{%- endmacro %}

{% macro toex_month_days(y, m) -%}
    {%- if m == 2 -%}
        {{ 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28 }}
    {%- elif m in [4, 6, 9, 11] -%}30{%- else -%}31{%- endif -%}
{%- endmacro %}

{% macro parse_quarter_label(label) %}
    {#- '2025-26 Q1' (also '2025-26-Q1') -> (fy_start_year, quarter_number) -#}
    {%- set text = label | trim -%}
    {%- set fy = text[0:4] | int -%}
    {%- set q = text[-1:] | int -%}
    {%- if fy < 1900 or q < 1 or q > 4 or ((fy + 1) % 100) != (text[5:7] | int) -%}
        {{ exceptions.raise_compiler_error("reporting_quarter must look like '2025-26 Q1', got '" ~ label ~ "'") }}
    {%- endif -%}
    {{ return((fy, q)) }}
{% endmacro %}

{% macro quarter_of_date(iso_date) %}
    {#- 'YYYY-MM-DD' -> (fy_start_year, quarter_number) of the fiscal quarter containing it -#}
    {%- set y = iso_date[0:4] | int -%}
    {%- set m = iso_date[5:7] | int -%}
    {%- set fy = y if m >= 4 else y - 1 -%}
    {{ return((fy, ((m - 4) % 12) // 3 + 1)) }}
{% endmacro %}

{% macro toex_reporting_quarter() %}
    {#- The quarter to compute up to: $TOEX_DBT_REPORTING_QUARTER (the Dagster asset sets it) else
        var('reporting_quarter'). An environment variable because a new value keeps dbt's saved
        parse (compiling renders it), where a changed --vars re-parses the whole project.
        Read only when executing: an env_var() read while parsing is recorded in the saved
        parse, and every run whose value differs from `toex prepare`'s (all of them) re-parses
        the models that read it, and the files around them (~1.5 s). The quarter changes no
        parse result (refs, configs), only the compiled SQL. -#}
    {%- if execute -%}
        {{ return(env_var('TOEX_DBT_REPORTING_QUARTER', var('reporting_quarter'))) }}
    {%- endif -%}
    {{ return(var('reporting_quarter')) }}
{% endmacro %}

{% macro fiscal_quarters() %}
    {%- set first = quarter_of_date(var('inception_date')) -%}
    {%- set reporting_quarter = toex_reporting_quarter() -%}
    {%- set last = parse_quarter_label(reporting_quarter) -%}
    {%- set n = (last[0] - first[0]) * 4 + (last[1] - first[1]) + 1 -%}
    {%- if n < 1 -%}
        {{ exceptions.raise_compiler_error(
            "reporting_quarter " ~ reporting_quarter ~ " is before the inception date " ~ var('inception_date')
        ) }}
    {%- endif -%}
    {%- set quarters = [] -%}
    {%- for i in range(n) -%}
        {%- set idx = first[1] - 1 + i -%}
        {%- set fy = first[0] + idx // 4 -%}
        {%- set q = idx % 4 + 1 -%}
        {%- set months = [] -%}
        {%- for k in range(3) -%}
            {%- set fm = (q - 1) * 3 + k -%}  {#- 0 = April -#}
            {%- set y = fy + (1 if fm >= 9 else 0) -%}
            {%- set m = (fm + 3) % 12 + 1 -%}
            {%- do months.append({
                'month_start': toex_iso_date(y, m, 1),
                'month_end': toex_iso_date(y, m, toex_month_days(y, m) | int),
                'month_label': '%04d-%02d' | format(y, m),
            }) -%}
        {%- endfor -%}
        {%- do quarters.append({
            'label': '%04d-%02d Q%d' | format(fy, (fy + 1) % 100, q),
            'fy_label': '%04d-%02d' | format(fy, (fy + 1) % 100),
            'fy_start_year': fy,
            'quarter_number': q,
            'quarter_start': months[0]['month_start'],
            'quarter_end': months[2]['month_end'],
            'fy_start': toex_iso_date(fy, 4, 1),
            'fy_end': toex_iso_date(fy + 1, 3, 31),
            'months': months,
        }) -%}
    {%- endfor -%}
    {{ return(quarters) }}
{% endmacro %}

{% macro date_literal(iso_date) -%}
    cast('{{ iso_date }}' as date)
{%- endmacro %}

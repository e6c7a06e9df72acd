{#- Helpers of the model_rules test (tests/generic/model_rules.sql), one per engine. -#}

{#- An error that stops the query with `message` (a SQL string expression). -#}
{% macro toex_raise(message) %}
    {{- return(adapter.dispatch('toex_raise', 'toex')(message)) -}}
{% endmacro %}

{% macro default__toex_raise(message) %}error({{ message }}){% endmacro %}

{% macro spark__toex_raise(message) %}raise_error({{ message }}){% endmacro %}


{#- The non-null values of the string expression `measure`, sorted, joined by `delimiter` (SQL
    string literal); null when there are none. dbt's listagg cannot order on Spark, and there an
    empty list joins to '' (hence the nullif). -#}
{% macro toex_sorted_list(measure, delimiter) %}
    {{- return(adapter.dispatch('toex_sorted_list', 'toex')(measure, delimiter)) -}}
{% endmacro %}

{% macro default__toex_sorted_list(measure, delimiter) -%}
    {{ dbt.listagg(measure, delimiter, "order by " ~ measure) }}
{%- endmacro %}

{% macro spark__toex_sorted_list(measure, delimiter) -%}
    nullif(array_join(array_sort(collect_list({{ measure }})), {{ delimiter }}), '')
{%- endmacro %}

{#- An error that stops the query with `message` (a SQL string expression). -#}
{% macro toex_raise(message) %}
    {{- return(adapter.dispatch('toex_raise', 'toex')(message)) -}}
{% endmacro %}

{% macro default__toex_raise(message) %}error({{ message }}){% endmacro %}

{% macro spark__toex_raise(message) %}raise_error({{ message }}){% endmacro %}

{#-
  Spark only: make every dbt source (`raw.<extract>`, `ops.platform_usage`) a view over its
  Parquet file, so the models read `{{ source('raw', 'x') }}` unchanged on both engines.

    dbt run-operation toex_spark_register_sources --target spark \
        --args '{raw: <landing>/validated/<delivery_id>, ops: <folder with platform_usage.parquet>}'

  Each argument maps a source name to the folder holding `<table>.parquet` for each of its
  tables (a source not mapped is left alone). The raw layer's Parquet is what the ingestion
  writes after validating each extract (`ingest.load.export_validated`): the same accepted,
  typed, pseudonymised rows the DuckDB warehouse holds. A view (not an external table: the
  Hive metastore wants a folder as a table's location) never copies or changes the files;
  registering again points it at another delivery. On DuckDB this does nothing (the sources
  are the warehouse's own tables).
-#}
{% macro toex_spark_register_sources(raw=none, ops=none) %}
    {%- if target.type != 'spark' -%}
        {{ log("toex_spark_register_sources: target " ~ target.type ~ " reads its own raw tables; nothing to do", info=true) }}
        {{ return(none) }}
    {%- endif -%}
    {%- set folders = {'raw': raw, 'ops': ops} -%}
    {%- set registered = [] -%}
    {%- for src in graph.sources.values() | sort(attribute='unique_id') -%}
        {%- set folder = folders.get(src.source_name) -%}
        {%- if folder -%}
            {%- set location = folder.rstrip('/') ~ '/' ~ src.identifier ~ '.parquet' -%}
            {%- do run_query('create schema if not exists ' ~ src.schema) -%}
            {%- do run_query('create or replace view ' ~ src.schema ~ '.' ~ src.identifier
                             ~ ' as select * from parquet.`' ~ location ~ '`') -%}
            {%- do registered.append(src.schema ~ '.' ~ src.identifier) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ log("toex_spark_register_sources: " ~ registered | length ~ " source views: " ~ registered | join(', '), info=true) }}
{% endmacro %}

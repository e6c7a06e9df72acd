{#-
  DuckDB only: checkpoint after each table a run rebuilds (a post-hook outside the model's
  transaction, dbt_project.yml).

  dbt's table materialisation builds `x__dbt_tmp` beside `x`, swaps them and drops the old
  table. DuckDB can reuse the dropped table's blocks only after a checkpoint, and the dbt
  process otherwise checkpoints only when it exits (its writes rarely reach the WAL threshold:
  large tables are written straight to blocks). Without this, a run that rebuilds every table
  grows the file by about the size of everything it rebuilt, once, and the byte copy
  published for analysts with it (docs/OPERATIONS.md, "What grows on disk").
  FORCE waits for the other dbt thread's open transaction to end (DuckDB >= 1.4) instead of
  failing; it never aborts it.
-#}
{% macro toex_checkpoint() %}
  {%- if target.type == 'duckdb' -%}
    FORCE CHECKPOINT
  {%- endif -%}
{% endmacro %}

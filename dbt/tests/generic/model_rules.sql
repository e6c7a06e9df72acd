{#-
  A model's column rules in one dbt test (one node, one query) instead of one test each:
  dbt spends ~25-40 ms of its own on every test node and dagster-dbt a few events more, which
  for ~230 one-line rules was most of the fixed cost of a small run (docs/SCALE_LOG.md, "The dbt
  step"). Each rule keeps the semantics of the dbt test it replaces:

    not_null: [col, ...]                  the column has no null          (dbt's not_null)
    unique: [col, ...]                    no non-null value twice         (dbt's unique)
    accepted_values: {col: [v, ...]}      non-null values in the list     (dbt's accepted_values)
    unique_combinations: [[col, ...]]     the combination is unique       (unique_combination_of_columns)
    expressions: [sql, ...]               true on every row               (expression_is_true)
    between: {col: [min, max]}            non-null values within; null    (values_between)
                                          for an open end

  When any rule is broken the test errors with one message naming the model, every broken
  rule and how many rows (or duplicated values) break it, e.g.
  `kpi_q1_1_identifications breaks not_null(kpi_id): 3 rows; unique_combination(...): 1 value`.
  Error severity only: a rule that should only warn stays a test of its own.
-#}
{% test model_rules(model, not_null=[], unique=[], accepted_values={}, unique_combinations=[], expressions=[], between={}) %}
    {%- set row_rules = [] -%}
    {%- for col in not_null -%}
        {%- do row_rules.append(('not_null(' ~ col ~ ')', col ~ ' is null')) -%}
    {%- endfor -%}
    {%- for col, values in accepted_values.items() -%}
        {%- set listed = [] -%}
        {%- for v in values -%}
            {%- do listed.append(v if v is number else "'" ~ (v | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- do row_rules.append(('accepted_values(' ~ col ~ ')', col ~ ' not in (' ~ listed | join(', ') ~ ')')) -%}
    {%- endfor -%}
    {%- for expression in expressions -%}
        {%- do row_rules.append(('expression(' ~ expression ~ ')', 'not coalesce((' ~ expression ~ '), false)')) -%}
    {%- endfor -%}
    {%- for col, bounds in between.items() -%}
        {%- set outside = ['1 = 0'] -%}
        {%- if bounds[0] is not none -%}{%- do outside.append(col ~ ' < ' ~ bounds[0]) -%}{%- endif -%}
        {%- if bounds[1] is not none -%}{%- do outside.append(col ~ ' > ' ~ bounds[1]) -%}{%- endif -%}
        {%- do row_rules.append(('between(' ~ col ~ ', ' ~ bounds[0] ~ ', ' ~ bounds[1] ~ ')', col ~ ' is not null and (' ~ outside | join(' or ') ~ ')')) -%}
    {%- endfor -%}
    {%- set keys = [] -%}
    {%- for col in unique -%}
        {%- do keys.append(('unique(' ~ col ~ ')', [col], col ~ ' is not null')) -%}
    {%- endfor -%}
    {%- for cols in unique_combinations -%}
        {%- do keys.append(('unique_combination(' ~ cols | join(', ') ~ ')', cols, '1 = 1')) -%}
    {%- endfor -%}
    {%- if not (row_rules or keys) -%}
        {{ exceptions.raise_compiler_error("model_rules on " ~ model ~ " names no rule") }}
    {%- endif -%}
    {%- set string = dbt.type_string() -%}

    with
    {%- if row_rules %}
    row_counts as (
        select
        {%- for rule, violation in row_rules %}
            sum(case when {{ violation }} then 1 else 0 end) as broken_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}
        from {{ model }}
    ),
    {%- endif %}
    findings as (
        {%- for rule, violation in row_rules %}
        select '{{ rule | replace("'", "''") }}' as rule, broken_{{ loop.index }} as broken, 'row' as unit from row_counts
        union all
        {%- endfor %}
        {%- for rule, cols, present in keys %}
        select '{{ rule }}' as rule, count(*) as broken, 'value' as unit from (
            select {{ cols | join(', ') }}
            from {{ model }}
            where {{ present }}
            group by {{ cols | join(', ') }}
            having count(*) > 1
        ) duplicated_{{ loop.index }}
        {{ "union all" if not loop.last }}
        {%- endfor %}
        {%- if not keys %}
        select cast(null as {{ string }}) as rule, 0 as broken, 'row' as unit from row_counts where 1 = 0
        {%- endif %}
    ),
    broken as (
        select {{ toex_sorted_list(
            "rule || ': ' || cast(broken as " ~ string ~ ") || ' ' || unit || case when broken > 1 then 's' else '' end",
            "'; '") }} as message
        from findings
        where broken > 0
    )
    select message
    from broken
    where message is not null
      and case when message is not null
          then {{ toex_raise("'" ~ model.identifier ~ " breaks ' || message") }} end is null
{% endtest %}

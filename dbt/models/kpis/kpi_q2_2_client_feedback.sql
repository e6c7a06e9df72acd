{#- Q2.2 Client feedback: responses submitted in the quarter, and for each question the
    responses giving each likert answer (blank answers are not counted); since inception the
    responses that answered the recommend question and the share answering Yes. -#}
{%- set questions = ['q1_referral_clear', 'q2_team_accessible', 'q3_kept_updated',
                     'q4_timescales_met', 'q5_terms_of_reference', 'q6_product_useful'] -%}
with

{{ import_ctes([('responses', 'fct_client_feedback')]) }},

periods as (

    {{ kpi_periods(['quarter', 'since_inception']) }}

),

answers as (

    {{ code_list('likert', 'answer') }}

),

question_answers as (

    {% for q in questions %}
    select response_id, submitted_date, '{{ q }}' as question, {{ q }} as answer from responses
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

response_counts as (

    {{ figures_by_period('responses', [
        ['responses', "count(responses.response_id)"],
        ['recommend_responses', "sum(case when responses.answered_recommend then 1 else 0 end)"],
        ['recommend_yes', "sum(case when responses.recommends then 1 else 0 end)"],
    ], conditions=[in_period('responses.submitted_date')]) }}

),

answer_counts as (

    select
        {{ period_columns() }},
        question_list.question,
        answers.answer,
        count(question_answers.response_id) as responses
    from periods
    cross join (
        {%- for q in questions %}
        select '{{ q }}' as question
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as question_list
    cross join answers
    left join question_answers
        on question_answers.question = question_list.question
        and question_answers.answer = answers.answer
        and {{ in_period('question_answers.submitted_date') }}
    where periods.period_type = 'quarter'
    group by {{ period_columns() }}, question_list.question, answers.answer

),

final as (

    {{ kpi_rows('response_counts', 'Q2.2', [
        {'name': 'responses', 'expr': 'responses', 'unit': 'count', 'periods': ['quarter']},
        {'name': 'recommend_responses', 'expr': 'recommend_responses', 'unit': 'count', 'periods': ['since_inception']},
        {'name': 'recommend_yes_share', 'expr': safe_divide('recommend_yes', 'recommend_responses'), 'unit': 'share',
         'periods': ['since_inception']},
    ]) }}

    union all

    {{ kpi_rows('answer_counts', 'Q2.2', [
        {'name': 'question', 'measure_sql': 'question', 'expr': 'responses', 'unit': 'count'},
    ], breakdown='answer', breakdown_col='answer') }}

)

select {{ kpi_columns() }} from final

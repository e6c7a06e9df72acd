{#- One row per staff survey wave and question: how many answered it (blank answers are
    excluded), the share giving each answer, and the Yes share change from the previous wave
    (the latest earlier wave of the survey; null when the question was not asked in it). -#}
with

{{ import_ctes([('answers', 'stg_staff_survey')]) }},

waves as (

    select
        wave_month,
        lag(wave_month) over (order by wave_month) as previous_wave_month
    from (select distinct wave_month from answers) as distinct_waves

),

questions as (

    select
        wave_month,
        question_id,
        max(question_text) as question_text,
        count(distinct respondent_pseudonym) as respondents,
        sum(case when answer is not null then 1 else 0 end) as answered,
        sum(case when answer = 'Yes' then 1 else 0 end) as yes_answers,
        sum(case when answer = 'Not Sure' then 1 else 0 end) as not_sure_answers,
        sum(case when answer = 'No' then 1 else 0 end) as no_answers
    from answers
    group by wave_month, question_id

),

shares as (

    select
        questions.*,
        case when answered > 0 then cast(yes_answers as double) / answered end as yes_share,
        case when answered > 0 then cast(not_sure_answers as double) / answered end as not_sure_share,
        case when answered > 0 then cast(no_answers as double) / answered end as no_share
    from questions

),

final as (

    select
        shares.wave_month,
        {{ dbt.concat(["cast(year(shares.wave_month) as " ~ dbt.type_string() ~ ")", "'-'",
                       "lpad(cast(month(shares.wave_month) as " ~ dbt.type_string() ~ "), 2, '0')"]) }} as wave_label,
        shares.question_id,
        shares.question_text,
        shares.respondents,
        shares.answered,
        shares.yes_answers,
        shares.not_sure_answers,
        shares.no_answers,
        shares.yes_share,
        shares.not_sure_share,
        shares.no_share,
        waves.previous_wave_month,
        previous.yes_share as previous_yes_share,
        shares.yes_share - previous.yes_share as yes_share_change
    from shares
    inner join waves
        on shares.wave_month = waves.wave_month
    left join shares as previous
        on previous.wave_month = waves.previous_wave_month
        and previous.question_id = shares.question_id

)

select * from final

{#- One row per staff survey wave: respondents (distinct pseudonyms), staff in post at the end
    of the wave's month, the response rate, and the engagement score (the mean over the
    wave's questions of each question's Yes share among those who answered it). -#}
with

{{ import_ctes([
    ('answers', 'stg_staff_survey'),
    ('questions', 'int_staff_survey_question_results'),
]) }},

months as (

    select month_start, month_end from {{ ref('int_fiscal_months') }}

),

staff_in_post as (

    select as_at_date, count(distinct staff_pseudonym) as staff_in_post
    from {{ ref('int_staff_in_post') }}
    group by as_at_date

),

respondents as (

    select wave_month, count(distinct respondent_pseudonym) as respondents
    from answers
    group by wave_month

),

engagement as (

    select
        wave_month,
        max(wave_label) as wave_label,
        max(previous_wave_month) as previous_wave_month,
        count(*) as questions,
        avg(yes_share) as engagement_score
    from questions
    group by wave_month

),

final as (

    select
        engagement.wave_month,
        engagement.wave_label,
        months.month_end as wave_month_end,
        engagement.previous_wave_month,
        engagement.questions,
        respondents.respondents,
        staff_in_post.staff_in_post,
        case when staff_in_post.staff_in_post > 0
            then cast(respondents.respondents as double) / staff_in_post.staff_in_post
        end as response_rate,
        engagement.engagement_score
    from engagement
    inner join respondents
        on engagement.wave_month = respondents.wave_month
    left join months
        on engagement.wave_month = months.month_start
    left join staff_in_post
        on months.month_end = staff_in_post.as_at_date

)

select * from final

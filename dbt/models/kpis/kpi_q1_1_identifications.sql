{#- Q1.1 Identification of new threats: identifications (distinct record_ref with a verified
    record, dated by its earliest verified record) of each category dated in the period. -#}
with

periods as (

    {{ kpi_periods(['quarter', 'fy_to_date', 'financial_year', 'since_inception']) }}

),

categories as (

    {{ code_list('identifications.category', 'category') }}

),

identifications as (

    select * from {{ ref('fct_identifications') }}

),

counts as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        categories.category,
        count(identifications.record_ref) as identifications
    from periods
    cross join categories
    left join identifications
        on identifications.category = categories.category
        and identifications.identified_date between periods.period_start and periods.period_end
    group by
        periods.reporting_quarter, periods.period_type, periods.period_start, periods.period_end,
        categories.category

),

final as (

    {{ kpi_rows('counts', 'Q1.1', [
        {'name': 'category', 'unit': 'count', 'expr': 'identifications',
         'measure_sql': "case category when 'safeguarding_referral' then 'safeguarding_referrals'
                                       when 'priority_individual' then 'priority_individuals'
                                       when 'ocg' then 'ocgs'
                                       when 'vulnerability' then 'vulnerabilities' end"},
    ]) }}

)

select {{ kpi_columns() }} from final

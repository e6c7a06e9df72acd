{#- One row per month, cost centre and category (amounts in pounds, credits negative). -#}
with

{{ import_ctes([('costs', 'stg_costs')]) }},

final as (

    select
        month_start,
        cost_centre,
        category,
        amount_gbp
    from costs

)

{{ with_fiscal_quarter('final', 'month_start') }}

{#- One row per month, channel and metric. `followers` is a stock (a longer period takes its
    last month), every other metric a flow (a longer period sums its months). -#}
with

{{ import_ctes([('metrics', 'stg_comms_metrics')]) }},

final as (

    select
        month_start,
        channel,
        metric,
        value,
        metric = 'followers' as is_stock
    from metrics

)

{{ with_fiscal_quarter('final', 'month_start') }}

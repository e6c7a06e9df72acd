{#- One row per month, technical tool and organisation, priced at the commercial rate the
    work would otherwise have cost (seed commercial_rates; a rate applies to its unit type
    only; tools with no agreed rate have a null saving). -#}
with

{{ import_ctes([
    ('usage', 'stg_tool_usage'),
    ('rates', 'commercial_rates'),
]) }},

final as (

    select
        usage.month_start,
        usage.tool,
        usage.organisation,
        usage.active_users,
        usage.jobs,
        usage.units,
        usage.unit_type,
        rates.rate_gbp as commercial_rate_gbp,
        usage.units * rates.rate_gbp as gross_saving_gbp
    from usage
    left join rates
        on usage.tool = rates.tool
        and usage.unit_type = rates.unit_type

)

{{ with_fiscal_quarter('final', 'month_start') }}

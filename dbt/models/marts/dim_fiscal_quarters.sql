{#- The fiscal calendar for analysts: one row per UK financial-year quarter from the inception
    quarter to the reporting quarter (April-June is Q1), with the labels kpi_values uses. Built
    from int_fiscal_quarters (macro fiscal_quarters(), the project's one fiscal calendar);
    facts carry fiscal_year / fiscal_quarter keys from it (macro with_fiscal_quarter). -#}
with

{{ import_ctes([('quarters', 'int_fiscal_quarters')]) }},

final as (

    select
        reporting_quarter as fiscal_quarter,
        fy_label as fiscal_year,
        {{ dbt.concat(["'FY '", 'fy_label']) }} as fiscal_year_label,
        fy_start_year,
        quarter_number,
        quarter_sequence,
        quarter_start,
        quarter_end,
        fy_start,
        fy_end,
        is_latest_quarter
    from quarters

)

select * from final

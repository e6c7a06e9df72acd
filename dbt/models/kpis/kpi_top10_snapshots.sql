{#- Q2.3 detail: the Top 10 Highest Risk SOC Master List operations per exploitation threat
    type at each month end of each reporting quarter, with a TOEX-supported flag (a TOEX job
    active on the month end). See int_top10_snapshots for the ranking rule. -#}
with

{{ import_ctes([('snapshots', 'int_top10_snapshots')]) }},

final as (

    select
        reporting_quarter,
        month_label,
        month_end,
        threat_type,
        top10_rank,
        operation_ref,
        assessment_id,
        assessment_date,
        risk_score,
        assessment_age_days,
        is_toex_supported
    from snapshots

)

select * from final

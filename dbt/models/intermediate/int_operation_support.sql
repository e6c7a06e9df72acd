{#- One row per operation that has at least one TOEX job: when TOEX support commenced (its
    earliest job's allocated_date) and which job that was. -#}
with

{{ import_ctes([('job_periods', 'int_toex_job_support_periods')]) }},

final as (

    select
        operation_ref,
        min(active_from) as support_commenced_date,
        max(case when job_sequence_on_operation = 1 then job_id end) as first_job_id,
        count(*) as job_count
    from job_periods
    group by operation_ref

)

select * from final

{#- One row per TOEX job: the days it supports its operation. A job is active from
    allocated_date to closed_date inclusive; with no closed_date it is open-ended. Whether a
    job was still open at a given date is always decided from closed_date (a job closed after
    that date was open on it), never from the exported status. -#}
with

{{ import_ctes([('jobs', 'stg_toex_jobs')]) }},

final as (

    select
        job_id,
        operation_ref,
        team,
        origin,
        support_level,
        allocated_date as active_from,
        closed_date as active_to,
        row_number() over (
            partition by operation_ref
            order by allocated_date, job_id
        ) as job_sequence_on_operation
    from jobs

)

select * from final

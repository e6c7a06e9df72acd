{#- One row per TOEX job (Internal Workload Tracker). Open / closed at a date is decided from
    closed_date (see int_toex_job_support_periods). -#}
with

{{ import_ctes([('jobs', 'stg_toex_jobs')]) }},

periods as (

    select job_id, job_sequence_on_operation from {{ ref('int_toex_job_support_periods') }}

),

operations as (

    select operation_ref, is_soc_master_list from {{ ref('dim_operation') }}

),

final as (

    select
        jobs.job_id,
        jobs.operation_ref,
        jobs.team,
        jobs.origin,
        jobs.support_level,
        jobs.support_level = 'full' as is_full_support,
        jobs.allocated_date,
        jobs.closed_date,
        jobs.status,
        periods.job_sequence_on_operation,
        periods.job_sequence_on_operation = 1 as is_first_job_on_operation,
        operations.is_soc_master_list
    from jobs
    inner join periods
        on jobs.job_id = periods.job_id
    left join operations
        on jobs.operation_ref = operations.operation_ref

)

{{ with_fiscal_quarter('final', 'allocated_date') }}

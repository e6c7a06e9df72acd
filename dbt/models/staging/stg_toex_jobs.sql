{{ stage_source('raw', 'toex_jobs') }}

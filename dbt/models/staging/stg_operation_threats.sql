{{ stage_source('raw', 'operation_threats') }}

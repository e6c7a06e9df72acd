{{ stage_source('raw', 'capabilities') }}

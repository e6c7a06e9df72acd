{{ stage_source('ops', 'platform_usage') }}

{{ stage_source('raw', 'tool_usage', renamed={'month': 'month_start'}) }}

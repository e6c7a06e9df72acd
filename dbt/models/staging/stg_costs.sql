{{ stage_source('raw', 'costs', renamed={'month': 'month_start'}) }}

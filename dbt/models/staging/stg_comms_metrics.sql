{{ stage_source('raw', 'comms_metrics', renamed={'month': 'month_start'}) }}

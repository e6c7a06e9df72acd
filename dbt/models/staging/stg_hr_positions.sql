{{ stage_source('raw', 'hr_positions') }}

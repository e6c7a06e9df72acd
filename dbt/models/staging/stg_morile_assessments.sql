{{ stage_source('raw', 'morile_assessments') }}

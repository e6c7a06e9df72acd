{{ stage_source('raw', 'onboarding') }}

{{ stage_source('raw', 'staff_survey', renamed={'wave': 'wave_month', 'respondent_id': 'respondent_pseudonym'}) }}

{{ stage_source('raw', 'client_feedback', renamed={'respondent_email': 'respondent_pseudonym'}) }}

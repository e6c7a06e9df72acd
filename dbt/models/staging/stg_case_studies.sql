{{ stage_source('raw', 'case_studies', renamed={'quarter': 'reporting_quarter', 'publish': 'is_published'}) }}

{{ stage_source('raw', 'disruptions', renamed={'toex_involved': 'is_toex_involved'}) }}

{{ stage_source('raw', 'identifications', renamed={'verified': 'is_verified'}) }}

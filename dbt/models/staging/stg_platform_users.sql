{{ stage_source('raw', 'platform_users', renamed={'user_id': 'user_pseudonym'}) }}

{{ stage_source('raw', 'operations', renamed={'soc_master_list': 'is_soc_master_list'}) }}

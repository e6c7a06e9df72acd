{{ stage_source('raw', 'hr_staff', renamed={'staff_number': 'staff_pseudonym'}) }}

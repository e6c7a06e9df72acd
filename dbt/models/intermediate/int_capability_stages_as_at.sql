{#- Each capability's stage at each quarter end: its latest stage entered on or before the
    quarter end (same-day entries: the later stage in the TDA pipeline order wins). -#}
{{ latest_at_quarter_end(
    ref('stg_capabilities'), key='capability_id', date_column='entered_date', code_column='stage',
    order_list='capabilities.stage',
    columns=['capability_id', 'capability_name', 'stage', 'entered_date as stage_entered_date'],
) }}

{#- Each organisation's Capabilities Environment onboarding status at each quarter end: its
    latest status dated on or before the quarter end (same day: the later status in the list
    order requested, accepted, onboarded, withdrawn wins). -#}
{{ latest_at_quarter_end(
    ref('stg_onboarding'), key='organisation', date_column='status_date', code_column='status',
    order_list='onboarding.status',
    columns=['organisation', 'org_type', 'status', 'status_date'],
) }}

{#-
  Q2.3 Enrichment of unmet demand.
  as_at: SOC Master List operations opened by and not closed at the quarter end (closed_date
    empty or after it) with a CSA, MSHT or OIC threat; by threat type (an operation counts
    under each of its threats, so the shares can sum to more than 1); those with the
    sub-threat Sexual Exploitation on one of those threats.
  quarter, by threat type CSA/MSHT/OIC: all assessments of the threat dated in the quarter
    and their distinct operations (any operation); operations in any of the quarter's
    month-end Top 10s and those of them with a TOEX job active at a month end at which they
    were in the Top 10 (int_top10_snapshots).
  since_inception: SOC Master List operations with a TOEX job allocated by the quarter end;
  quarter: those whose first job was allocated in the quarter.
-#}
with

{{ import_ctes([
    ('operations', 'dim_operation'),
    ('operation_threats', 'bridge_operation_threats', 'is_soc_exploitation_threat'),
    ('assessments', 'fct_assessments'),
    ('top10', 'int_top10_snapshots'),
]) }},

periods as (

    {{ kpi_periods(['quarter', 'since_inception', 'as_at']) }}

),

threat_types as (

    {{ code_list('soc_exploitation_threat_type', 'threat_type') }}

),

open_soc_exploitation as (

    select
        {{ period_columns() }},
        operations.operation_ref,
        operations.has_sexual_exploitation
    from periods
    inner join operations
        on operations.is_soc_master_list
        and operations.has_soc_exploitation_threat
        and operations.opened_date <= periods.period_end
        and (operations.closed_date is null or operations.closed_date > periods.period_end)
    where periods.period_type = 'as_at'

),

as_at_totals as (

    {{ figures_by_period('open_soc_exploitation', [
        ['soc_exploitation_operations', "count(open_soc_exploitation.operation_ref)"],
        ['sexual_exploitation_operations', "sum(case when open_soc_exploitation.has_sexual_exploitation then 1 else 0 end)"],
    ],
        conditions=["open_soc_exploitation.reporting_quarter = periods.reporting_quarter"],
        where="periods.period_type = 'as_at'"
    ) }}

),

as_at_by_threat as (

    select
        as_at_totals.reporting_quarter,
        as_at_totals.period_type,
        as_at_totals.period_start,
        as_at_totals.period_end,
        threat_types.threat_type,
        as_at_totals.soc_exploitation_operations as all_soc_exploitation_operations,
        count(operation_threats.operation_ref) as soc_exploitation_operations
    from as_at_totals
    cross join threat_types
    left join open_soc_exploitation
        on open_soc_exploitation.reporting_quarter = as_at_totals.reporting_quarter
    left join operation_threats
        on operation_threats.operation_ref = open_soc_exploitation.operation_ref
        and operation_threats.threat_type = threat_types.threat_type
    group by
        as_at_totals.reporting_quarter, as_at_totals.period_type, as_at_totals.period_start,
        as_at_totals.period_end, threat_types.threat_type, as_at_totals.soc_exploitation_operations

),

quarter_assessments as (

    {{ zero_filled_by_code('threat_types', 'threat_type', 'assessments', [
        ['assessments', "count(assessments.assessment_id)"],
        ['assessed_operations', "count(distinct assessments.operation_ref)"],
    ],
        conditions=[in_period('assessments.assessment_date')],
        where="periods.period_type = 'quarter'"
    ) }}

),

quarter_top10 as (

    {{ zero_filled_by_code('threat_types', 'threat_type', 'top10', [
        ['top10_operations', "count(distinct top10.operation_ref)"],
        ['top10_toex_supported', "count(distinct case when top10.is_toex_supported then top10.operation_ref end)"],
    ],
        conditions=["top10.reporting_quarter = periods.reporting_quarter"],
        where="periods.period_type = 'quarter'"
    ) }}

),

supported as (

    {{ figures_by_period('operations', [
        ['toex_supported_operations', "sum(case when operations.support_commenced_date <= periods.period_end then 1 else 0 end)"],
        ['new_toex_supported_operations', "sum(case when operations.support_commenced_date between periods.quarter_start and periods.period_end then 1 else 0 end)"],
    ],
        conditions=["operations.is_soc_master_list", "operations.support_commenced_date is not null"],
        where="periods.period_type in ('quarter', 'since_inception')"
    ) }}

),

final as (

    {{ kpi_rows('as_at_totals', 'Q2.3', [
        {'name': 'soc_exploitation_operations', 'expr': 'soc_exploitation_operations', 'unit': 'count'},
        {'name': 'sexual_exploitation_operations', 'expr': 'sexual_exploitation_operations', 'unit': 'count'},
        {'name': 'sexual_exploitation_share',
         'expr': safe_divide('sexual_exploitation_operations', 'soc_exploitation_operations'), 'unit': 'share'},
    ]) }}

    union all

    {{ kpi_rows('as_at_by_threat', 'Q2.3', [
        {'name': 'soc_exploitation_operations', 'expr': 'soc_exploitation_operations', 'unit': 'count'},
        {'name': 'soc_exploitation_share',
         'expr': safe_divide('soc_exploitation_operations', 'all_soc_exploitation_operations'), 'unit': 'share'},
    ], breakdown='threat_type', breakdown_col='threat_type') }}

    union all

    {{ kpi_rows('quarter_assessments', 'Q2.3', [
        {'name': 'assessments', 'expr': 'assessments', 'unit': 'count'},
        {'name': 'assessed_operations', 'expr': 'assessed_operations', 'unit': 'count'},
    ], breakdown='threat_type', breakdown_col='threat_type') }}

    union all

    {{ kpi_rows('quarter_top10', 'Q2.3', [
        {'name': 'top10_operations', 'expr': 'top10_operations', 'unit': 'count'},
        {'name': 'top10_toex_supported', 'expr': 'top10_toex_supported', 'unit': 'count'},
    ], breakdown='threat_type', breakdown_col='threat_type') }}

    union all

    {{ kpi_rows('supported', 'Q2.3', [
        {'name': 'toex_supported_operations', 'expr': 'toex_supported_operations', 'unit': 'count',
         'periods': ['since_inception']},
        {'name': 'new_toex_supported_operations', 'expr': 'new_toex_supported_operations', 'unit': 'count',
         'periods': ['quarter']},
    ]) }}

)

select {{ kpi_columns() }} from final

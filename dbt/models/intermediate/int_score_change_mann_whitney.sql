{#-
  Q1.2 score_change_p_value: for each reporting quarter and period (`quarter`: the
  non-first assessments dated in the quarter; `since_inception`: those from inception to the
  quarter end), the two-sided Mann-Whitney U test comparing the score changes of
  TOEX-involved assessments (x) with those of other assessments (y).

  Exactly scipy.stats.mannwhitneyu(x, y, alternative='two-sided', method='asymptotic',
  use_continuity=True):
    ranks of the pooled changes, ties given their average rank;
    U1 = R1 - n1 (n1 + 1) / 2, U2 = n1 n2 - U1, U = max(U1, U2);
    mu = n1 n2 / 2;  sigma = sqrt(n1 n2 / 12 * ((n + 1) - sum(t^3 - t) / (n (n - 1))))
    z = (U - mu - 0.5) / sigma;  p = 2 * norm.sf(z) = erfc(z / sqrt 2), clipped to [0, 1].
  No row when either group is empty or sigma is 0 (SciPy errors or returns NaN there).
-#}
with

periods as (

    select reporting_quarter, period_type, period_start, period_end
    from {{ ref('int_kpi_periods') }}
    where period_type in ('quarter', 'since_inception')

),

changes as (

    select assessment_id, assessment_date, involvement, cast(score_change as double) as score_change
    from {{ ref('int_assessment_series') }}
    where score_change is not null
        and assessment_date >= {{ date_literal(var('inception_date')) }}

),

pooled as (

    select
        periods.reporting_quarter,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        changes.involvement,
        changes.score_change
    from periods
    inner join changes
        on changes.assessment_date between periods.period_start and periods.period_end

),

{# The ranks from the counts per distinct change, not from a rank() over every pooled change
    (18 M at scale 1000, sorted twice under the memory cap: docs/SCALE_LOG.md, "big5"): a change's
    lowest rank is 1 + the number of pooled changes below it, its average rank that plus
    (tie_size - 1) / 2, the same for each of its tie_size rows. -#}
tie_groups as (

    select
        reporting_quarter,
        period_type,
        score_change,
        count(*) as tie_size,
        sum(case when involvement = 'toex' then 1 else 0 end) as toex_size,
        sum(case when involvement = 'non_toex' then 1 else 0 end) as other_size
    from pooled
    group by reporting_quarter, period_type, score_change

),

ranked as (

    select
        *,
        1 + coalesce(sum(tie_size) over (
            partition by reporting_quarter, period_type
            order by score_change
            rows between unbounded preceding and 1 preceding
        ), 0) as min_rank
    from tie_groups

),

rank_sums as (

    select
        reporting_quarter,
        period_type,
        cast(sum(toex_size) as double) as n1,
        cast(sum(other_size) as double) as n2,
        sum(toex_size * (min_rank + (tie_size - 1) / 2.0)) as r1
    from ranked
    group by reporting_quarter, period_type

),

ties as (

    select
        reporting_quarter,
        period_type,
        sum(tie_size * tie_size * tie_size - tie_size) as tie_term
    from (
        select reporting_quarter, period_type, cast(tie_size as double) as tie_size
        from tie_groups
    ) as tie_groups
    group by reporting_quarter, period_type

),

u_statistic as (

    select
        rank_sums.reporting_quarter,
        rank_sums.period_type,
        rank_sums.n1,
        rank_sums.n2,
        rank_sums.r1 - rank_sums.n1 * (rank_sums.n1 + 1) / 2.0 as u1,
        ties.tie_term
    from rank_sums
    inner join ties
        on rank_sums.reporting_quarter = ties.reporting_quarter
        and rank_sums.period_type = ties.period_type
    where rank_sums.n1 > 0 and rank_sums.n2 > 0

),

z_score as (

    select
        reporting_quarter,
        period_type,
        n1,
        n2,
        u1,
        n1 * n2 - u1 as u2,
        greatest(u1, n1 * n2 - u1) as u,
        n1 * n2 / 2.0 as mu,
        sqrt(n1 * n2 / 12.0 * ((n1 + n2 + 1) - tie_term / ((n1 + n2) * (n1 + n2 - 1)))) as sigma
    from u_statistic

),

final as (

    select
        reporting_quarter,
        period_type,
        n1 as toex_changes,
        n2 as other_changes,
        u1 as u_statistic_toex,
        u,
        mu,
        sigma,
        (u - mu - 0.5) / sigma as z,
        least(1.0, greatest(0.0, {{ erfc('(u - mu - 0.5) / sigma / sqrt(2.0)') }})) as p_value
    from z_score
    where sigma > 0

)

select * from final

"""Statistical disclosure control for an *external* release: small counts are suppressed, with
secondary suppression so a suppressed cell cannot be recovered from its total or siblings.
The internal publication (and its pack) is never suppressed.

Rules (documented in the README, "External release"). Which figures are counts comes from the
KPI catalogue's disclosure class (`dbt/catalogue/kpi_catalogue.yml`), not from the unit:
1. Primary: a figure of class `count` with 0 < value < threshold (default 5) is suppressed.
2. Secondary: in every breakdown (the cells of one kpi/measure/period/breakdown, plus the
   `all` total of that kpi/measure/period when published), if exactly one cell is suppressed it
   could be recovered as total − the others: the smallest other non-zero cell is suppressed too
   (the total itself when there is none). Repeated until nothing changes.
3. Figures of class `derived` (shares, means, days, points, £ at the same
   kpi/period/breakdown/value as a suppressed count) are suppressed with it, so a share × a
   published total cannot reveal it. A figure the catalogue lacks is treated as a count.
4. Record-level detail (the risk-score table, Top 10 snapshots, case studies) is left out.
Suppressed figures keep their row with `value` empty, so a reader sees what was withheld.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from dagster_project.kpi_catalogue import catalogue

from .figures import KpiRow
from .sources import Detail, Inputs

DEFAULT_THRESHOLD = 5


def _period(r: KpiRow) -> tuple:
    return (r.kpi_id, r.measure, r.period_type, r.period_start, r.period_end)


def is_count(row: KpiRow) -> bool:
    entry = catalogue().entry(row.kpi_id, row.measure, row.breakdown)
    return entry is None or entry.disclosure == "count"


def suppressed_indexes(rows: list[KpiRow], threshold: int = DEFAULT_THRESHOLD) -> set[int]:
    count_rows = {i for i, r in enumerate(rows) if is_count(r)}
    counts = [i for i in sorted(count_rows) if rows[i].value is not None]
    hidden = {i for i in counts if 0 < rows[i].value < threshold}

    groups: dict[tuple, list[int]] = defaultdict(list)
    totals: dict[tuple, int] = {}
    for i in counts:
        r = rows[i]
        if r.breakdown == "all":
            totals[_period(r)] = i
        else:
            groups[(*_period(r), r.breakdown)].append(i)

    changed = True
    while changed:
        changed = False
        for key, cells in groups.items():
            total = totals.get(key[:-1])
            members = cells + ([total] if total is not None else [])
            if total is None and len(cells) == 1:
                continue  # a lone cell with no published total reveals nothing more
            if sum(1 for i in members if i in hidden) != 1:
                continue
            candidates = sorted(
                (rows[i].value, i) for i in cells if i not in hidden and rows[i].value > 0
            )
            pick = candidates[0][1] if candidates else total
            if pick is not None and pick not in hidden:
                hidden.add(pick)
                changed = True

    coordinates = {
        (
            rows[i].kpi_id,
            rows[i].period_type,
            rows[i].period_start,
            rows[i].breakdown,
            rows[i].breakdown_value,
        )
        for i in hidden
    }
    for i, r in enumerate(rows):
        if (
            i not in count_rows
            and (r.kpi_id, r.period_type, r.period_start, r.breakdown, r.breakdown_value)
            in coordinates
        ):
            hidden.add(i)
    return hidden


def apply(inputs: Inputs, threshold: int = DEFAULT_THRESHOLD) -> tuple[Inputs, int]:
    """The inputs of an external release: suppressed values emptied, record-level detail removed."""
    hidden = suppressed_indexes(inputs.rows, threshold)
    rows = [r._replace(value=None) if i in hidden else r for i, r in enumerate(inputs.rows)]
    withheld = Detail(None, "withheld from the external release (record-level detail)")
    notes = [
        *inputs.notes,
        f"disclosure control: counts below {threshold} suppressed, with secondary "
        f"suppression; {len(hidden)} figure(s) withheld",
    ]
    return replace(
        inputs,
        rows=rows,
        history=[],
        risk_changes=withheld,
        top10=withheld,
        case_studies=[],
        notes=notes,
    ), len(hidden)

"""Q4, upscaling the Data Platform: reach (Q4.1), usage and storage (Q4.2), cost (Q4.3)."""

from __future__ import annotations

from dagster_project.fiscal import Quarter

from ..figures import Fig, Figures
from ..text import humanise
from .views import History, counted


def q4(figs: Figures, quarter: Quarter, history: History) -> dict:
    platforms = sorted(
        {r.breakdown_value for r in figs.rows if r.kpi_id == "Q4.1" and r.breakdown == "platform"}
    )
    roles = figs.breakdown("Q4.1", "registered_users", "as_at", "role")
    return {
        "platforms": [
            {
                "name": humanise(p),
                "registered": figs.get("Q4.1", "registered_users", "as_at", "platform", p),
                "organisations": figs.get("Q4.1", "organisations_reached", "as_at", "platform", p),
                "active": figs.get("Q4.1", "active_users", "quarter", "platform", p),
            }
            for p in platforms
        ],
        "roles": [(humanise(k), v) for k, v in roles.items()],
        "warehouse_bytes": figs.get("Q4.2", "warehouse_bytes", "as_at"),
        "warehouse_rows": figs.get("Q4.2", "warehouse_rows", "as_at"),
        "pipeline_runs": figs.get("Q4.2", "pipeline_runs", "quarter"),
        "runs_sentence": runs_sentence(
            figs.get("Q4.2", "pipeline_runs", "quarter"), quarter, history
        ),
        "dp_cost": {
            p: figs.get("Q4.3", "dp_cost_gbp", p)
            for p in ("quarter", "fy_to_date", "since_inception")
        },
    }


def runs_sentence(runs: Fig, quarter: Quarter, history: History) -> str:
    """Q4.2 pipeline runs in words. The figure counts runs *started inside* the quarter, and a
    quarter is published after it ends, so a quarter's own publication runs count in the next
    quarter: say so rather than print "ran 0 times"."""
    if not runs.ok:
        return ""
    recorded = [
        (q, v)
        for q, v in zip(history.quarters, history.series("Q4.2", "pipeline_runs"), strict=False)
        if v is not None
    ]
    if runs.int == 0:
        text = (
            f"No pipeline run was started during {quarter.label} itself: a quarter is published "
            "after it ends, so the runs that produced this pack count towards the next quarter's "
            "figure."
        )
    else:
        text = (
            f"{counted(runs, 'pipeline run', capitalise=True)} "
            f"{'was' if runs.int == 1 else 'were'} started during {quarter.label} (the runs "
            "publishing a quarter start after it ends and count in the next)."
        )
    earlier = [(q, v) for q, v in recorded if q < quarter]
    if earlier:
        total = sum(v for _, v in recorded)
        text += (
            f" Since {earlier[0][0].label}, the first quarter the platform measured, it has "
            "recorded "
            f"{total:,.0f} run{'s' if total != 1 else ''}."
        )
    return text

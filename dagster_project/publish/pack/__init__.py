"""`evaluation_pack_<slug>.html`: the quarter's evaluation pack as one self-contained file.

The structure follows the real 2025-26 Q1 pack (shared/seed): the five research questions,
their KPIs, narrative sentences carrying the figures, charts, tables and case studies, plus a
data-quality section, a revisions section and the run's provenance.

One module per research question (`q1`, `q2` and `q2_staff`, `q3`, `q4`, `q5`) turns
`kpi_values` rows into a view model of *formatted* figures (`Fig`, which prints "not available"
when a measure is missing) and inline SVG charts; `views` holds what they share, `provenance`
the quality and revisions sections. KPI titles and descriptions come from the KPI catalogue. The
wording lives in the Jinja2 templates under `templates/` (autoescaped). Nothing here reads the
clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from dagster_project.fiscal import Quarter

from ..catalogue import KPI_DESCRIPTIONS, KPI_NAMES, RESEARCH_QUESTIONS
from ..figures import Figures
from ..sources import Inputs
from ..text import contains_url_reference, neutralise_urls, render_markdown
from .provenance import quality_view, revisions_view
from .q1 import q1_1, q1_2, q1_3, q1_4
from .q2 import q2_1, q2_2, q2_3
from .q2_staff import q2_4, q2_5
from .q3 import q3
from .q4 import q4
from .q5 import q5
from .views import LARGE_DECREASE_POINTS, PACK_DETAIL_ROWS, TERRITORIAL_FORCES, History

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

__all__ = [
    "PACK_DETAIL_ROWS",
    "UnsafePackError",
    "build_context",
    "quality_view",
    "render_pack",
    "revisions_view",
]


def build_context(
    inputs: Inputs,
    quarter: Quarter,
    *,
    run_id: str,
    code_version: str,
    delivery_hashes: dict[str, str],
    quality_results: Sequence[dict],
    revisions: Sequence[dict] | None = None,
) -> dict:
    figs = Figures(inputs.rows)
    history = History(inputs.history, quarter)
    kpi_counts = {q: sum(1 for k in KPI_NAMES if k.startswith(q + ".")) for q in RESEARCH_QUESTIONS}
    return {
        "quarter": quarter,
        "title": f"Evaluation Pack {quarter.label}",
        "questions": RESEARCH_QUESTIONS,
        "kpi_counts": kpi_counts,
        "kpi_names": KPI_NAMES,
        "kpi_descriptions": KPI_DESCRIPTIONS,
        "notes": list(inputs.notes),
        "q11": q1_1(figs, quarter, history),
        "q12": q1_2(figs, quarter, inputs),
        "q13": q1_3(figs, quarter, history),
        "q14": q1_4(figs, quarter, history),
        "q21": q2_1(figs, quarter),
        "q22": q2_2(figs, quarter),
        "q23": q2_3(figs, quarter, inputs),
        "q24": q2_4(figs, quarter, inputs),
        "q25": q2_5(figs, quarter),
        "q3": q3(figs, quarter),
        "q4": q4(figs, quarter, history),
        "q5": q5(figs, quarter, history),
        "case_studies": [
            {
                "operation_ref": c.operation_ref,
                "title": c.title,
                "body": render_markdown(c.body_markdown, drop_heading=c.title),
            }
            for c in inputs.case_studies
        ],
        "quality": quality_view(quality_results),
        "revisions": revisions_view(revisions),
        "run_id": run_id,
        "code_version": code_version,
        "delivery_hashes": sorted(delivery_hashes.items()),
        "large_decrease_points": LARGE_DECREASE_POINTS,
        "territorial_forces": TERRITORIAL_FORCES,
    }


def _finalize(value):
    """Every `{{ }}` output: data text loses URL schemes; our own Markup passes unchanged."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return neutralise_urls(str(value))


def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(
            enabled_extensions=("html", "j2"), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


class UnsafePackError(RuntimeError):
    """The rendered pack would carry an http(s) reference: refuse to publish it."""


def render_pack(context: dict) -> str:
    html = environment().get_template("evaluation_pack.html.j2").render(**context)
    if contains_url_reference(html):
        raise UnsafePackError("the rendered evaluation pack contains an http(s) reference")
    return html

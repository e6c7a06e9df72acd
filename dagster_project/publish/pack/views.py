"""Shared pieces of the pack's sections: phrase helpers, the per-quarter history and the code
lists the sections order their rows by (read from the extract contract, never copied)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from dagster_project.contract import code_lists, contracts
from dagster_project.fiscal import Quarter, quarters_between
from dagster_project.kpi_catalogue import catalogue, dbt_var

from .. import charts
from ..figures import NOT_AVAILABLE, Fig, KpiRow, round_half_up
from ..text import neutralise_urls, number_word

# The pack lists at most this many assessments (table, chart, callouts, decrease amounts): the
# real pack lists a quarter's handful, and at national scale a quarter has ~175,000 (scale 1000),
# which no board reads and which took 14 s to render. Every assessment stays in
# kpis.kpi_toex_risk_score_changes (analysts' copy and its Parquet).
PACK_DETAIL_ROWS = 50
LARGE_DECREASE_POINTS: int = dbt_var("large_decrease_points")
TERRITORIAL_FORCES: int = dbt_var("territorial_forces")


def column_values(extract: str, column: str) -> tuple[str, ...]:
    """A closed per-column code list of the extract contract, in its order."""
    return tuple(contracts()[extract].column(column).allowed or ())


LIKERT: tuple[str, ...] = code_lists()["likert"]
LIKERT_COLOURS = ("#1b5e20", "#66bb6a", "#bdbdbd", "#ef9a9a", "#c62828", "#90a4ae")
SOC_THREATS: tuple[str, ...] = code_lists()["soc_exploitation_threat_type"]
# Display names of the SOC exploitation threat codes (pack wording, not a code list).
THREAT_NAMES = {
    "CSA": "Child Sexual Abuse",
    "MSHT": "Modern Slavery and Human Trafficking",
    "OIC": "Organised Immigration Crime",
}
TOOLS: tuple[str, ...] = code_lists()["tool"]
POSITION_STATUSES = column_values("hr_positions", "status")
SURVEY_ANSWERS = column_values("staff_survey", "answer")
CHANNELS = column_values("comms_metrics", "channel")
COMMS_METRICS = column_values("comms_metrics", "metric")
TDA_STAGES = column_values("capabilities", "stage")
ORG_TYPES = column_values("onboarding", "org_type")
POSITION_LABELS = {
    "filled": "filled",
    "in_progress": "in progress",
    "vacant": "vacant or out to advert",
    "on_hold": "on hold",
}
ORG_LABELS = {
    "force": ("force", "forces"),
    "rocu": ("ROCU", "ROCUs"),
    "national": ("national organisation", "national organisations"),
}


# -- small helpers ---------------------------------------------------------------------------


def lower_first(label: str) -> str:
    """A catalogue label inside a sentence: 'Safeguarding referrals' -> 'safeguarding referrals',
    acronyms kept ('OCGs identified')."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def kpi_labels(kpi_id: str) -> dict[str, str]:
    """Measure -> label of a KPI's `all` rows, in catalogue (pack) order."""
    return {
        e.measure: e.label
        for e in catalogue().entries
        if e.kpi_id == kpi_id and e.breakdown == "all"
    }


def gbp_axis(v: float) -> str:
    return ("-" if v < 0 else "") + "£" + charts.compact(abs(v))


def counted(fig: Fig, singular: str, plural: str | None = None, capitalise: bool = False) -> str:
    """'three instances', 'One member of staff' (words up to ten)."""
    if not fig.ok:
        return (
            f"{NOT_AVAILABLE.capitalize() if capitalise else NOT_AVAILABLE} "
            f"({plural or singular + 's'})"
        )
    n = fig.int
    return f"{number_word(n, capitalise)} {singular if n == 1 else (plural or singular + 's')}"


def signed(value: float | None) -> str:
    if value is None:
        return ""
    rounded = round_half_up(value)
    return f"{rounded:+,.0f}" if rounded else "0"


def plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return (
            f"{round_half_up(value):,.0f}"
            if value.is_integer() or abs(value) >= 100
            else f"{value:,.2f}"
        )
    return neutralise_urls(str(value))


def capitalise_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def wave_label(wave: str) -> str:
    try:
        return date.fromisoformat(f"{wave[:7]}-01").strftime("%B %Y")
    except ValueError:
        return wave


class History:
    """Each reporting quarter's own `quarter` figures, from inception to the pack's quarter."""

    def __init__(self, history: Sequence[tuple[Quarter, KpiRow]], quarter: Quarter):
        self._values: dict[tuple, dict[Quarter, float | None]] = defaultdict(dict)
        for reporting, row in history:
            self._values[(row.kpi_id, row.measure, row.breakdown, row.breakdown_value)][
                reporting
            ] = row.value
        first = min((q for q, _ in history), default=quarter)
        self.quarters = quarters_between(first, quarter) if history else []
        self.labels = [q.label for q in self.quarters]

    def series(
        self, kpi: str, measure: str, by: str = "all", value: str = "all"
    ) -> list[float | None]:
        found = self._values.get((kpi, measure, by, value), {})
        return [found.get(q) for q in self.quarters]

    def any_series(self, *keys: tuple) -> list[float | None]:
        for key in keys:
            values = self.series(*key)
            if any(v is not None for v in values):
                return values
        return self.series(*keys[0])

"""Looking figures up in `kpi_values` rows and formatting them for people.

Values stay unrounded everywhere (KPIS.md); `Fig` rounds only when it is turned into text.
A missing figure is a `Fig(None)`, which prints as "not available" instead of failing, so the
pack still renders while measures are being added to the warehouse.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from .text import number_word

NOT_AVAILABLE = "not available"
DASH = "\u2013"  # shown in tables for a figure that is not available

# kpi_values' grain: one published figure per combination (revisions compare on it).
KPI_GRAIN = (
    "reporting_quarter",
    "kpi_id",
    "measure",
    "period_type",
    "period_start",
    "period_end",
    "breakdown",
    "breakdown_value",
)
KPI_COLUMNS = (*KPI_GRAIN, "value", "unit", "period_label", "population")


class KpiRow(NamedTuple):
    reporting_quarter: str
    kpi_id: str
    measure: str
    period_type: str
    period_start: date | None
    period_end: date | None
    breakdown: str
    breakdown_value: str
    value: float | None
    unit: str
    period_label: str = ""  # kpi_values.period_label
    population: str = ""  # kpi_values.population (the catalogue's, per breakdown)


def round_half_up(value: float, digits: int = 0) -> float:
    """Round for display the way people expect (0.465 -> 0.47, 2.5 -> 3), not banker's rounding."""
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def _fixed(value: float, digits: int) -> str:
    rounded = round_half_up(value, digits)
    if rounded == 0:
        rounded = 0.0  # no "-0"
    return f"{rounded:,.{digits}f}"


@dataclass(frozen=True)
class Fig:
    """One figure and its unit; every property is display text ("not available" when missing)."""

    value: float | None
    unit: str = "count"

    @property
    def ok(self) -> bool:
        return self.value is not None and not (
            isinstance(self.value, float) and math.isnan(self.value)
        )

    @property
    def int(self) -> int | None:
        return int(round_half_up(self.value)) if self.ok else None

    # -- formats ---------------------------------------------------------------------------
    @property
    def count(self) -> str:
        return _fixed(self.value, 0) if self.ok else NOT_AVAILABLE

    @property
    def word(self) -> str:
        return number_word(self.int) if self.ok else NOT_AVAILABLE

    @property
    def Word(self) -> str:  # noqa: N802 - capitalised .word, used by the pack's template
        return number_word(self.int, capitalise=True) if self.ok else NOT_AVAILABLE.capitalize()

    def pct(self, digits: int = 0) -> str:
        return _fixed(self.value * 100, digits) + "%" if self.ok else NOT_AVAILABLE

    @property
    def pct0(self) -> str:
        return self.pct(0)

    @property
    def pct1(self) -> str:
        return self.pct(1)

    @property
    def gbp(self) -> str:
        if not self.ok:
            return NOT_AVAILABLE
        v = self.value
        sign = "-" if v < 0 else ""
        v = abs(v)
        if v >= 1_000_000:
            return f"{sign}£{_fixed(v / 1_000_000, 1)}m"
        return f"{sign}£{_fixed(v, 0)}"

    @property
    def days(self) -> str:
        return _fixed(self.value, 0) if self.ok else NOT_AVAILABLE

    @property
    def points(self) -> str:
        return _fixed(self.value, 0) if self.ok else NOT_AVAILABLE

    @property
    def bytes(self) -> str:
        if not self.ok:
            return NOT_AVAILABLE
        v, units = float(self.value), ("bytes", "KB", "MB", "GB", "TB")
        i = 0
        while abs(v) >= 1000 and i < len(units) - 1:
            v, i = v / 1000, i + 1
        return f"{_fixed(v, 0 if i == 0 else 1)} {units[i]}"

    def or_dash(self, fmt: str = "count") -> str:
        """For dense tables: the figure in `fmt` (a property name or `pct1`), or an en dash."""
        if not self.ok:
            return DASH
        return str(getattr(self, fmt))

    def __str__(self) -> str:
        return format_value(self.value, self.unit)


def format_value(value: float | None, unit: str) -> str:
    """The default display of a value of a unit (shares as %, gbp as £, days rounded)."""
    fig = Fig(value, unit)
    if not fig.ok:
        return NOT_AVAILABLE
    if unit == "share":
        return fig.pct(1)
    if unit == "share_change":
        return f"{round_half_up(value * 100, 1):+.1f} percentage points"
    if unit == "p_value":
        return _fixed(value, 3)
    if unit == "gbp":
        return fig.gbp
    if unit == "days":
        return f"{fig.days} days"
    if unit == "points":
        return _fixed(value, 1)
    if unit == "bytes":
        return fig.bytes
    if unit in ("count", "rows"):
        return fig.count if float(value).is_integer() else _fixed(value, 2)
    return _fixed(value, 2)


def ratio(numerator: Fig, denominator: Fig) -> Fig:
    """numerator / denominator as a share; missing when either is missing or the denominator
    is 0."""
    if numerator.ok and denominator.ok and denominator.value:
        return Fig(numerator.value / denominator.value, "share")
    return Fig(None, "share")


def first_available(*figs: Fig) -> Fig:
    for fig in figs:
        if fig.ok:
            return fig
    return figs[0] if figs else Fig(None)


class Figures:
    """Index over one reporting quarter's kpi_values rows."""

    def __init__(self, rows: Iterable[KpiRow]):
        self.rows = list(rows)
        self._index: dict[tuple, list[KpiRow]] = defaultdict(list)
        for row in self.rows:
            key = (row.kpi_id, row.measure, row.period_type, row.breakdown, row.breakdown_value)
            self._index[key].append(row)
            self._index[(None,) + key[1:]].append(row)
        for matches in self._index.values():
            matches.sort(key=lambda r: (r.period_start or date.min, r.period_end or date.min))

    def get(
        self,
        kpi: str | None,
        measure: str,
        period: str = "quarter",
        by: str = "all",
        value: str = "all",
        start: date | None = None,
    ) -> Fig:
        """The figure, or Fig(None). `kpi=None` matches any KPI. Several periods of a type
        (financial_year, month): `start` picks one, otherwise the latest."""
        matches = self._index.get((kpi, measure, period, by, value), [])
        if start is not None:
            matches = [r for r in matches if r.period_start == start]
        if not matches:
            return Fig(None, "count")
        row = matches[-1]
        return Fig(row.value, row.unit)

    def breakdown(
        self,
        kpi: str | None,
        measure: str,
        period: str,
        by: str,
        order: Sequence[str] = (),
        start: date | None = None,
    ) -> dict[str, Fig]:
        """{breakdown_value: Fig} of one measure; `order` first, the rest alphabetically."""
        found: dict[str, Fig] = {}
        for row in self.rows:
            if (
                (kpi is None or row.kpi_id == kpi)
                and row.measure == measure
                and row.period_type == period
                and row.breakdown == by
                and (start is None or row.period_start == start)
            ):
                found[row.breakdown_value] = Fig(row.value, row.unit)
        rank = {v: i for i, v in enumerate(order)}
        return dict(sorted(found.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))

    def periods(
        self, kpi: str | None, measure: str, period: str, by: str = "all", value: str = "all"
    ) -> list[KpiRow]:
        return list(self._index.get((kpi, measure, period, by, value), []))

    def measures(self, kpi: str | None = None, prefix: str = "") -> list[str]:
        return sorted(
            {
                r.measure
                for r in self.rows
                if (kpi is None or r.kpi_id == kpi) and r.measure.startswith(prefix)
            }
        )

"""Shared calendar, code lists, formatting and the `Table` every domain module returns."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from dagster_project.contract import code_lists, force_team
from dagster_project.kpi_catalogue import inception_date

# The calibrated reporting quarter (2025-26 Q1) and the delivery it sits in; inception is the dbt
# var inception_date (dbt/dbt_project.yml), its one home.
INCEPTION = inception_date()
QUARTER_START = date(2025, 4, 1)
QUARTER_END = date(2025, 6, 30)
PRE_QUARTER_END = QUARTER_START - timedelta(days=1)  # 2025-03-31
FY2024_START = date(2024, 4, 1)
EXTRACTED = date(2025, 7, 10)  # nothing in the delivery is dated later
TEAMS: tuple[str, ...] = code_lists()["team"]
FORCES: tuple[str, ...] = code_lists()["force"]
FORCE_TEAM: dict[str, str | None] = force_team()
TERRITORIAL: tuple[str, ...] = tuple(f for f, t in FORCE_TEAM.items() if t)
TEAM_FORCES: dict[str, tuple[str, ...]] = {
    t: tuple(f for f, ft in FORCE_TEAM.items() if ft == t) for t in TEAMS
}
TOOLS: tuple[str, ...] = code_lists()["tool"]
LIKERT: tuple[str, ...] = code_lists()["likert"]
EXPLOITATION: tuple[str, ...] = code_lists()["exploitation_threat_type"]
NON_EXPLOITATION: tuple[str, ...] = tuple(
    t for t in code_lists()["threat_type"] if t not in EXPLOITATION
)


def rand_date(rng: random.Random, lo: date, hi: date) -> date:
    """Uniform date in [lo, hi] (inclusive); `hi` before `lo` collapses to `lo`."""
    span = (hi - lo).days
    return lo if span <= 0 else lo + timedelta(days=rng.randint(0, span))


def days(n: int) -> timedelta:
    return timedelta(days=n)


def month_starts(first: date, last: date) -> list[date]:
    """First days of every month from `first`'s month to `last`'s month inclusive."""
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def iso(d: date | None) -> str:
    return "" if d is None else d.isoformat()


def uk(d: date | None) -> str:
    return "" if d is None else d.strftime("%d/%m/%Y")


def ym(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def exact_flags(rng: random.Random, n: int, k: int) -> list[bool]:
    """n booleans with exactly k True, shuffled."""
    flags = [True] * k + [False] * (n - k)
    rng.shuffle(flags)
    return flags


@dataclass
class Table:
    """Rows of one extract, already formatted as the source system writes them.

    `rows` hold strings for CSV extracts (dates formatted, booleans spelled as the
    source spells them) or typed values for Excel extracts.
    """

    extract: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    fmt: str = "csv"  # csv | xlsx
    bom: bool = False

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append([row.get(c, "") for c in self.columns])

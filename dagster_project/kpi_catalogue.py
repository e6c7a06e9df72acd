"""The KPI catalogue (`dbt/catalogue/kpi_catalogue.yml`) and the dbt project's vars, read once.

Every fact about a published figure (label, definition, population, unit, periods, breakdowns,
pack order, repeats, disclosure class) lives in that YAML; the thresholds and the inception date
live in `dbt/dbt_project.yml` `vars`. Python reads both from here and keeps no copy:

    from dagster_project.kpi_catalogue import catalogue, dbt_var
    catalogue().entry("Q1.3", "disruptions", "threat_type").population
    dbt_var("large_decrease_points")   # 150

`catalogue_csv()` renders the dbt seed `seeds/kpi_catalogue_entries.csv`
(dbt/scripts/build_seeds.py, with a drift check), one row per (kpi_id, measure, breakdown).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE_PATH = ROOT / "dbt" / "catalogue" / "kpi_catalogue.yml"
DBT_PROJECT_PATH = ROOT / "dbt" / "dbt_project.yml"

SEED_COLUMNS = (
    "kpi_id",
    "measure",
    "breakdown",
    "question_id",
    "kpi_name",
    "label",
    "definition",
    "population",
    "unit",
    "period_types",
    "disclosure_class",
    "repeats",
    "measure_pattern",
    "pack_order",
)


@dataclass(frozen=True)
class Entry:
    """One catalogue row: a measure of a KPI under one breakdown."""

    kpi_id: str
    measure: str  # may hold `{question_id}` when `pattern` is set
    breakdown: str
    label: str
    definition: str
    population: str
    unit: str
    periods: tuple[str, ...]
    disclosure: str
    repeats: str
    pattern: str
    pack_order: int

    @property
    def question_id(self) -> str:
        return self.kpi_id.split(".")[0]

    @property
    def like(self) -> str:
        """The measure as a SQL LIKE pattern (`survey_%_yes_change`); the name itself otherwise."""
        if not self.pattern:
            return self.measure
        return self.measure.replace("{" + self.pattern + "}", "%")

    def matches(self, measure: str) -> bool:
        if not self.pattern:
            return measure == self.measure
        head, tail = self.measure.split("{" + self.pattern + "}")
        return (
            measure.startswith(head)
            and measure.endswith(tail)
            and len(measure) > len(head) + len(tail)
        )


@dataclass(frozen=True)
class Kpi:
    kpi_id: str
    name: str
    description: str


@dataclass(frozen=True)
class Catalogue:
    questions: dict[str, str]
    kpis: dict[str, Kpi]  # in pack order
    entries: tuple[Entry, ...]  # in pack order
    units: dict[str, str]
    disclosure_classes: dict[str, str]
    period_types: dict[str, str]

    def entry(self, kpi_id: str, measure: str, breakdown: str = "all") -> Entry | None:
        """The catalogue row of a published figure; exact names win over patterns (a survey
        question called `yes_change` must not shadow anything)."""
        candidates = [
            e
            for e in self.entries
            if e.kpi_id == kpi_id and e.breakdown == breakdown and e.matches(measure)
        ]
        candidates.sort(key=lambda e: bool(e.pattern))
        return candidates[0] if candidates else None

    def order(self, kpi_id: str, measure: str, breakdown: str = "all") -> int:
        found = self.entry(kpi_id, measure, breakdown)
        return found.pack_order if found else len(self.entries) + 1

    def question_of(self, kpi_id: str) -> str | None:
        head = str(kpi_id).split(".")[0].upper()
        return head if head in self.questions else None


MEASURE_KEYS = {
    "measure",
    "label",
    "definition",
    "population",
    "populations",
    "unit",
    "periods",
    "breakdowns",
    "disclosure",
    "repeats",
    "pattern",
}
REQUIRED_KEYS = {
    "measure",
    "label",
    "definition",
    "population",
    "unit",
    "periods",
    "breakdowns",
    "disclosure",
}


def _check_keys(kpi_id: str, spec: dict) -> None:
    """An unquoted comma in a YAML flow mapping silently cuts a value and adds a key: refuse it."""
    where = f"{CATALOGUE_PATH.name}: {kpi_id} {spec.get('measure', '?')}"
    unknown, missing = set(spec) - MEASURE_KEYS, REQUIRED_KEYS - set(spec)
    if unknown:
        raise ValueError(
            f"{where}: unknown key(s) {sorted(map(str, unknown))} (quote values that hold a comma)"
        )
    if missing:
        raise ValueError(f"{where}: missing {', '.join(sorted(missing))}")
    for key in ("label", "definition", "population"):
        if not isinstance(spec[key], str):
            raise ValueError(f"{where}: {key} must be text")


@cache
def catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    raw = yaml.safe_load(path.read_text())
    units, classes, periods = raw["units"], raw["disclosure_classes"], raw["period_types"]
    entries: list[Entry] = []
    kpis: dict[str, Kpi] = {}
    for kpi_id, spec in raw["kpis"].items():
        kpis[kpi_id] = Kpi(kpi_id, spec["name"], spec["description"])
        for m in spec["measures"]:
            _check_keys(kpi_id, m)
            for breakdown in m["breakdowns"]:
                entry = Entry(
                    kpi_id=kpi_id,
                    measure=m["measure"],
                    breakdown=breakdown,
                    label=m["label"],
                    definition=_with_vars(m["definition"]),
                    population=(m.get("populations") or {}).get(breakdown, m["population"]),
                    unit=m["unit"],
                    periods=tuple(m["periods"]),
                    disclosure=m["disclosure"],
                    repeats=m.get("repeats", ""),
                    pattern=m.get("pattern", ""),
                    pack_order=len(entries) + 1,
                )
                _validate(entry, units, classes, periods)
                entries.append(entry)
    return Catalogue(raw["questions"], kpis, tuple(entries), units, classes, periods)


def _with_vars(text: str) -> str:
    """`{var:large_decrease_points}` -> 150: thresholds stay in dbt_project.yml only."""
    return re.sub(r"\{var:([a-z_]+)\}", lambda m: str(dbt_var(m.group(1))), text)


def _validate(entry: Entry, units: dict, classes: dict, periods: dict) -> None:
    where = f"{CATALOGUE_PATH.name}: {entry.kpi_id} {entry.measure} ({entry.breakdown})"
    if entry.unit not in units:
        raise ValueError(f"{where}: unit {entry.unit!r} is not one of {', '.join(units)}")
    if entry.disclosure not in classes:
        raise ValueError(
            f"{where}: disclosure {entry.disclosure!r} is not one of {', '.join(classes)}"
        )
    unknown = set(entry.periods) - set(periods)
    if unknown:
        raise ValueError(f"{where}: unknown period type(s) {', '.join(sorted(unknown))}")
    for field in ("label", "definition", "population"):
        if not str(getattr(entry, field)).strip():
            raise ValueError(f"{where}: empty {field}")


def catalogue_csv() -> str:
    cat = catalogue()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(SEED_COLUMNS)
    for e in cat.entries:
        writer.writerow(
            [
                e.kpi_id,
                e.measure,
                e.breakdown,
                e.question_id,
                cat.kpis[e.kpi_id].name,
                e.label,
                e.definition,
                e.population,
                e.unit,
                ",".join(e.periods),
                e.disclosure,
                e.repeats,
                e.like if e.pattern else "",
                e.pack_order,
            ]
        )
    return buf.getvalue()


@cache
def dbt_vars() -> dict:
    """`vars` of dbt/dbt_project.yml: the one home of the thresholds and the inception date."""
    return yaml.safe_load(DBT_PROJECT_PATH.read_text())["vars"]


def dbt_var(name: str):
    return dbt_vars()[name]


def inception_date() -> date:
    return date.fromisoformat(str(dbt_var("inception_date")))

"""The expectation suites in `expectations/*.json`, read without importing Great Expectations.

Each file is a GX 1.x `ExpectationSuite` in GX's own JSON serialisation (what
`ExpectationSuite.to_json_dict()` writes and `ExpectationSuite(**json)` reads), so GX tooling
reads them as they are. The platform adds two conventions, both inside GX's free-form
`meta` fields:

- the suite's `meta.toex` says what it validates: `asset` (the Dagster asset key),
  `table` (the warehouse relation), optionally `quarter_column` (the batch is that table
  filtered to the run's reporting quarter), `reads` (other assets its SQL reads: the check
  waits for them in a run) and `volume_band` (`min_ratio`/`max_ratio` of
  the previous delivery's row count, giving the `$PARAMETER`s `min_rows`/`max_rows`);
- every expectation's `meta` carries `name` (unique in the suite: what a failure names)
  and `severity`: `error` (blocking: stops the quarter) or `warn` (reported, published
  with the pack). GX's own `severity` field must agree (`critical` / `warning`).

Runtime parameters (`{"$PARAMETER": ...}` in kwargs) are supplied by the runner:
`as_of_date` (the current delivery's arrival date, or `TOEX_QUALITY_AS_OF`), `min_rows`,
`max_rows`.

Dagster definitions are built from this module alone, so `import great_expectations`
stays off the definitions' import path.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from dagster_project.settings import EXPECTATIONS_DIR

SEVERITIES = ("error", "warn")
GX_SEVERITY = {"error": "critical", "warn": "warning"}
RUNTIME_PARAMETERS = ("as_of_date", "min_rows", "max_rows")


class SuiteError(ValueError):
    """A suite file breaks the conventions above."""


@dataclass(frozen=True)
class ExpectationSpec:
    name: str
    type: str
    severity: str
    description: str
    parameters: tuple[str, ...]


@dataclass(frozen=True)
class VolumeBand:
    min_ratio: float
    max_ratio: float


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    asset: tuple[str, ...]
    table: str
    quarter_column: str | None
    volume_band: VolumeBand | None
    reads: tuple[tuple[str, ...], ...]
    expectations: tuple[ExpectationSpec, ...]
    notes: str

    @property
    def asset_path(self) -> str:
        return "/".join(self.asset)

    def of_severity(self, severity: str) -> list[ExpectationSpec]:
        return [e for e in self.expectations if e.severity == severity]

    @property
    def parameters(self) -> set[str]:
        return {p for e in self.expectations for p in e.parameters}

    def raw_json(self) -> dict:
        return json.loads(self.path.read_text())


def _parameters(value) -> list[str]:
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            return [value["$PARAMETER"]]
        return [p for v in value.values() for p in _parameters(v)]
    if isinstance(value, list):
        return [p for v in value for p in _parameters(v)]
    return []


def load_suite(path: Path) -> Suite:
    body = json.loads(path.read_text())
    name = body.get("name")
    if name != path.stem:
        raise SuiteError(f"{path.name}: suite name {name!r} must match the file name")
    toex = (body.get("meta") or {}).get("toex") or {}
    for key in ("asset", "table"):
        if not toex.get(key):
            raise SuiteError(f"{path.name}: meta.toex.{key} is required")
    specs, seen = [], set()
    for i, exp in enumerate(body.get("expectations", [])):
        meta = exp.get("meta") or {}
        where = f"{path.name} expectation {i + 1} ({exp.get('type')})"
        ename, severity = meta.get("name"), meta.get("severity")
        if not ename:
            raise SuiteError(f"{where}: meta.name is required")
        if ename in seen:
            raise SuiteError(f"{where}: meta.name {ename!r} is used twice")
        seen.add(ename)
        if severity not in SEVERITIES:
            raise SuiteError(
                f"{where}: meta.severity must be one of {SEVERITIES}, got {severity!r}"
            )
        if exp.get("severity", "critical") != GX_SEVERITY[severity]:
            raise SuiteError(
                f"{where}: GX severity {exp.get('severity')!r} disagrees with "
                f"meta.severity {severity!r}"
            )
        params = _parameters(exp.get("kwargs", {}))
        unknown = set(params) - set(RUNTIME_PARAMETERS)
        if unknown:
            raise SuiteError(
                f"{where}: unknown $PARAMETER {sorted(unknown)}; "
                f"the runner supplies {RUNTIME_PARAMETERS}"
            )
        specs.append(
            ExpectationSpec(
                ename, exp["type"], severity, exp.get("description") or "", tuple(params)
            )
        )
    if not specs:
        raise SuiteError(f"{path.name}: no expectations")
    band = toex.get("volume_band")
    suite = Suite(
        name=name,
        path=path,
        asset=tuple(toex["asset"]),
        table=toex["table"],
        quarter_column=toex.get("quarter_column"),
        volume_band=VolumeBand(float(band["min_ratio"]), float(band["max_ratio"]))
        if band
        else None,
        reads=tuple(tuple(k) for k in toex.get("reads", [])),
        expectations=tuple(specs),
        notes=body.get("notes") or "",
    )
    if {"min_rows", "max_rows"} & suite.parameters and not band:
        raise SuiteError(f"{path.name}: min_rows/max_rows need meta.toex.volume_band")
    return suite


@functools.cache
def load_suites(directory: Path = EXPECTATIONS_DIR) -> dict[str, Suite]:
    """Every suite, by name."""
    suites = [load_suite(p) for p in sorted(Path(directory).glob("*.json"))]
    assets = [s.asset for s in suites]
    dup = {a for a in assets if assets.count(a) > 1}
    if dup:
        raise SuiteError(f"more than one suite for asset(s) {sorted('/'.join(a) for a in dup)}")
    return {s.name: s for s in suites}

"""The extract contract as code: loads `contracts/*.yml` into typed objects.

One YAML file per extract (columns, types, required, code lists, keys, references,
personal columns); `code_lists.yml` holds the shared code lists. Everything that
validates, ingests or documents an extract reads it from here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CONTRACTS_DIR = Path(__file__).parent / "contracts"

TYPES = ("text", "date", "month", "bool", "integer", "number")
# Warehouse (DuckDB) type of each contract type; `month` is stored as the first day of the month.
SQL_TYPES = {
    "text": "VARCHAR",
    "date": "DATE",
    "month": "DATE",
    "bool": "BOOLEAN",
    "integer": "BIGINT",
    "number": "DOUBLE",
}
PERSONAL_ACTIONS = ("pseudonymise", "drop")
COLUMN_KEYS = {
    "type",
    "required",
    "code_list",
    "values",
    "pattern",
    "min",
    "max",
    "on_or_after",
    "required_when",
    "references",
    "personal",
    "free_text",
    "description",
}


class ContractError(ValueError):
    """A contract file itself is malformed."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    allowed: tuple[str, ...] | None = None  # canonical spellings, from `values` or `code_list`
    code_list: str | None = None
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    on_or_after: str | None = None
    required_when: tuple[str, str] | None = None  # (column, value)
    references: tuple[str, str] | None = None  # (extract, column)
    personal: str | None = None  # pseudonymise | drop
    free_text: bool = False
    description: str = ""

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.type]

    @property
    def stored(self) -> bool:
        """Whether the column reaches the warehouse at all (names never do)."""
        return self.personal != "drop"


@dataclass(frozen=True)
class Contract:
    extract: str
    title: str
    source_system: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    large: bool = False
    sheet: str | None = None  # xlsx: the sheet holding the data (default: the first visible one)
    path: Path = field(default=CONTRACTS_DIR, compare=False)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.extract} has no column {name!r}")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def stored_columns(self) -> list[Column]:
        return [c for c in self.columns if c.stored]

    @property
    def personal_columns(self) -> list[Column]:
        return [c for c in self.columns if c.personal]

    @property
    def references(self) -> dict[str, tuple[str, str]]:
        return {c.name: c.references for c in self.columns if c.references}


@functools.cache
def code_lists() -> dict[str, tuple[str, ...]]:
    raw = yaml.safe_load((CONTRACTS_DIR / "code_lists.yml").read_text())
    lists: dict[str, tuple[str, ...]] = {}
    force_team = raw.pop("force_team")
    lists["force"] = tuple(force_team)
    derived = {k: v for k, v in raw.items() if isinstance(v, dict)}
    lists.update({k: tuple(v) for k, v in raw.items() if not isinstance(v, dict)})
    for name, spec in derived.items():
        values: list[str] = []
        for part in spec.get("union_of", []):
            values.extend(lists[part])
        values.extend(spec.get("plus", []))
        lists[name] = tuple(values)
    return lists


@functools.cache
def force_team() -> dict[str, str | None]:
    """Each force's regional organised crime unit (its TOEX team), None for forces with none."""
    return yaml.safe_load((CONTRACTS_DIR / "code_lists.yml").read_text())["force_team"]


def _column(extract: str, name: str, spec: dict) -> Column:
    unknown = set(spec) - COLUMN_KEYS
    if unknown:
        raise ContractError(f"{extract}.{name}: unknown contract keys {sorted(unknown)}")
    if spec.get("type") not in TYPES:
        raise ContractError(
            f"{extract}.{name}: type must be one of {TYPES}, got {spec.get('type')!r}"
        )
    if spec.get("personal") not in (None, *PERSONAL_ACTIONS):
        raise ContractError(f"{extract}.{name}: personal must be one of {PERSONAL_ACTIONS}")
    allowed = None
    if "code_list" in spec:
        lists = code_lists()
        if spec["code_list"] not in lists:
            raise ContractError(f"{extract}.{name}: unknown code list {spec['code_list']!r}")
        allowed = lists[spec["code_list"]]
    if "values" in spec:
        allowed = tuple(str(v) for v in spec["values"])
    refs = None
    if "references" in spec:
        ref_extract, _, ref_col = spec["references"].partition(".")
        refs = (ref_extract, ref_col)
    rw = spec.get("required_when")
    return Column(
        name=name,
        type=spec["type"],
        required=bool(spec.get("required", False)),
        allowed=allowed,
        code_list=spec.get("code_list"),
        pattern=spec.get("pattern"),
        min=spec.get("min"),
        max=spec.get("max"),
        on_or_after=spec.get("on_or_after"),
        required_when=(rw["column"], str(rw["equals"])) if rw else None,
        references=refs,
        personal=spec.get("personal"),
        free_text=bool(spec.get("free_text", False)),
        description=spec.get("description", ""),
    )


def load_contract(path: Path) -> Contract:
    raw = yaml.safe_load(path.read_text())
    extract = raw["extract"]
    if extract != path.stem:
        raise ContractError(f"{path.name}: extract {extract!r} must match the file name")
    columns = tuple(_column(extract, n, s) for n, s in raw["columns"].items())
    names = {c.name for c in columns}
    for k in raw["key"]:
        if k not in names:
            raise ContractError(f"{extract}: key column {k!r} is not a column")
    for c in columns:
        for other in filter(None, [c.on_or_after, c.required_when and c.required_when[0]]):
            if other not in names:
                raise ContractError(f"{extract}.{c.name}: refers to unknown column {other!r}")
    return Contract(
        extract=extract,
        title=raw.get("title", extract),
        source_system=raw.get("source_system", ""),
        key=tuple(raw["key"]),
        columns=columns,
        large=bool(raw.get("large", False)),
        sheet=raw.get("sheet"),
        path=path,
    )


@functools.cache
def contracts() -> dict[str, Contract]:
    """All extract contracts by name, in dependency order (referenced extracts first)."""
    found = {
        p.stem: load_contract(p)
        for p in sorted(CONTRACTS_DIR.glob("*.yml"))
        if p.name != "code_lists.yml"
    }
    for c in found.values():
        for col, (ref_extract, ref_col) in c.references.items():
            if ref_extract not in found or ref_col not in found[ref_extract].names:
                raise ContractError(f"{c.extract}.{col}: reference {ref_extract}.{ref_col} unknown")
    ordered = sorted(found.values(), key=lambda c: (bool(c.references), c.extract))
    return {c.extract: c for c in ordered}


def raw_table_ddl(contract: Contract, schema: str = "raw") -> str:
    """DDL of the warehouse table an extract lands in (lineage columns first)."""
    cols = ["_delivery_id VARCHAR", "_row_number BIGINT"]
    cols += [f'"{c.name}" {c.sql_type}' for c in contract.stored_columns]
    return f'CREATE TABLE IF NOT EXISTS {schema}."{contract.extract}" ({", ".join(cols)})'

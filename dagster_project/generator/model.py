"""The in-memory world the domain modules build and share before anything is written."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from .names import People

FAR = date(9999, 12, 31)


@dataclass(eq=False)
class Job:
    op: Operation
    origin: str  # tasked | proactive
    alloc: date
    closed: date | None
    state: str  # ongoing | closed_q1 | closed_pre | july (allocated after the quarter)
    team: str = ""
    support: str = ""
    job_id: str = ""

    @property
    def status(self) -> str:
        return "ongoing" if self.closed is None else "closed"

    @property
    def end(self) -> date:
        return self.closed or FAR


@dataclass(eq=False)
class Operation:
    team: str
    owning_force: str
    opened: date
    closed: date | None
    soc_ml: bool
    group: str  # g1 open SOC exploitation, g2 closed SOC exploitation, g3 opened in July,
    #             g4 SOC other threats, g5 not on the SOC Master List
    threats: dict[str, list[str | None]]  # threat_type -> sub_threats (None = blank)
    role: str | None = None
    ref: str = ""
    number: int = 0
    jobs: list[Job] = field(default_factory=list)

    @property
    def support_start(self) -> date | None:
        return min((j.alloc for j in self.jobs), default=None)

    def toex_active(self, d: date) -> bool:
        """A TOEX job on the operation is active on `d` (allocated..closed inclusive)."""
        return any(j.alloc <= d <= j.end for j in self.jobs)

    def active_between(self, lo: date, hi: date) -> bool:
        return any(j.alloc <= hi and j.end >= lo for j in self.jobs)

    @property
    def open_at_quarter_end(self) -> bool:
        from .common import QUARTER_END

        return self.opened <= QUARTER_END and (self.closed is None or self.closed > QUARTER_END)


@dataclass
class World:
    seed: int
    rng: random.Random
    people: People
    ops: list[Operation] = field(default_factory=list)
    roles: dict[str, Operation] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)  # hr_staff people, reused by the survey
    onboarding: dict[str, list[tuple[str, date]]] = field(default_factory=dict)

    def op(self, role: str) -> Operation:
        return self.roles[role]

    def sub_rng(self, name: str) -> random.Random:
        """An independent stream per domain, so editing one domain leaves the others' data alone."""
        return random.Random(f"{self.seed}:{name}")

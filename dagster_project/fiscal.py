"""UK financial-year quarters: `2025-26 Q1` is 2025-04-01 to 2025-06-30."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_LABEL = re.compile(r"^(\d{4})-(\d{2})[ -]Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    fy_start_year: int  # 2025 for 2025-26
    q: int  # 1..4

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Accepts `2025-26 Q1` (the pack's label) and `2025-26-Q1` (the CLI's)."""
        m = _LABEL.match(text.strip())
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            raise ValueError(f"not a financial quarter: {text!r} (expected e.g. 2025-26-Q1)")
        return cls(int(m.group(1)), int(m.group(3)))

    @classmethod
    def containing(cls, d: date) -> Quarter:
        fy = d.year if d.month >= 4 else d.year - 1
        return cls(fy, (d.month - 4) % 12 // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.fy_start_year}-{(self.fy_start_year + 1) % 100:02d} Q{self.q}"

    @property
    def slug(self) -> str:
        """File-system and partition friendly form: `2025-26-Q1`."""
        return self.label.replace(" ", "-")

    @property
    def fy_label(self) -> str:
        return self.label[:7]

    @property
    def start(self) -> date:
        month = 4 + 3 * (self.q - 1)
        return date(self.fy_start_year + (month > 12), (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        return self.next().start - timedelta(days=1)

    @property
    def fy_start(self) -> date:
        return date(self.fy_start_year, 4, 1)

    def next(self) -> Quarter:
        return Quarter(self.fy_start_year + (self.q == 4), self.q % 4 + 1)

    def previous(self) -> Quarter:
        return Quarter(self.fy_start_year - (self.q == 1), (self.q - 2) % 4 + 1)

    def __str__(self) -> str:
        return self.label


def quarters_between(first: Quarter, last: Quarter) -> list[Quarter]:
    out, q = [], first
    while q <= last:
        out.append(q)
        q = q.next()
    return out

"""The pack's data-quality and revisions sections: what the checks found, what changed since
the last publication."""

from __future__ import annotations

from collections.abc import Sequence

from ..figures import format_value
from ..text import neutralise_urls
from .views import plain

# -- quality, revisions, provenance ------------------------------------------------------------


def quality_view(results: Sequence[dict]) -> dict:
    failed = [r for r in results if not r.get("passed", False)]
    rank = {"ERROR": 0, "WARN": 1}
    failed.sort(
        key=lambda r: (
            rank.get(str(r.get("severity", "")).upper(), 2),
            str(r.get("asset", "")),
            str(r.get("check", "")),
        )
    )
    return {
        "checks": len(results),
        "passed": len(results) - len(failed),
        "issues": [
            {
                "severity": str(r.get("severity", "WARN")).upper(),
                "check": str(r.get("check", "")),
                "asset": str(r.get("asset", "")),
                "message": neutralise_urls(str(r.get("message", ""))),
            }
            for r in failed
        ],
    }


def _pick(d: dict, *keys):
    for key in keys:
        if key in d and d[key] is not None:
            return d[key]
    return None


def _revision_detail(r: dict) -> str:
    parts = [str(_pick(r, "period_type") or "")]
    start = _pick(r, "period_start")
    if start is not None:
        parts.append(f"from {start.isoformat() if hasattr(start, 'isoformat') else start}")
    by, value = _pick(r, "breakdown"), _pick(r, "breakdown_value")
    if by and by != "all":
        parts.append(f"{by} = {value}")
    return plain(" ".join(p for p in parts if p))


def revisions_view(revisions: Sequence[dict] | None) -> list[dict]:
    out = []
    for r in revisions or []:
        old, new = _pick(r, "old_value", "old"), _pick(r, "new_value", "new")
        unit = str(_pick(r, "unit") or "count")

        def fmt(v, unit: str = unit) -> str:
            if v is None:
                return "removed"
            return format_value(float(v), unit) if isinstance(v, (int, float)) else plain(v)

        out.append(
            {
                "quarter": plain(_pick(r, "quarter", "reporting_quarter")),
                "kpi": plain(_pick(r, "kpi", "kpi_id")),
                "measure": plain(_pick(r, "measure")),
                "detail": _revision_detail(r),
                "old": fmt(old),
                "new": fmt(new),
                "delivery": plain(_pick(r, "delivery", "delivery_id")),
            }
        )
    return out

"""The shared specs beside the checkout (../shared/spec), for the tests that read them."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

SHARED_SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec"


def shared_spec(name: str) -> Path:
    """A file of ../shared/spec. CI always has it beside the checkout, so there a missing spec
    fails the test; a local checkout without it skips the test instead."""
    path = SHARED_SPEC / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path} is missing: CI lays ../shared/spec beside the checkout")
        pytest.skip(f"{path} is not beside this checkout")
    return path


# Backticked names in KPIS.md's "Measures" section that are breakdown values, periods, columns
# or extracts, not measures.
NOT_MEASURES = frozenset(
    {
        "toex",
        "non_toex",
        "tasked",
        "proactive",
        "answer",
        "threat_type",
        "impact",
        "involvement",
        "status",
        "wave",
        "channel",
        "stage",
        "org_type",
        "platform",
        "role",
        "category",
        "cost_centre",
        "tool",
        "origin",
        "leaving_reason",
        "idea",
        "deployed",
        "accepted",
        "onboarded",
        "all",
        "quarter",
        "as_at",
        "since_inception",
        "fy_to_date",
        "financial_year",
        "month",
        "CE",
        "DP",
        "survey_",
        "units",
        "closed_date",
        "hr_positions",
        "operation_ref",
        "toex_involved",
    }
)


def spec_measure_names() -> set[str]:
    """The measure names KPIS.md publishes (survey_{question}_… patterns left out)."""
    text = shared_spec("KPIS.md").read_text().split("## Measures", 1)[1]
    named = set(re.findall(r"`([a-z][a-z0-9_]+)`", text))
    return {m for m in named - NOT_MEASURES if not m.startswith("survey_")}

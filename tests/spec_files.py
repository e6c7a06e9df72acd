"""The shared specs beside the checkout (../shared/spec), for the tests that read them."""

from __future__ import annotations

import os
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

"""Security and faults through the whole pipeline (issue 12, cases 14 and 15): the modes of what
the demo run published, and a run killed while writing the analysts' Parquet copy."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _modes(root: Path) -> dict[str, int]:
    return {
        str(p.relative_to(root)): stat.S_IMODE(os.lstat(p).st_mode)
        for p in [root, *root.rglob("*")]
        if not p.is_symlink() and p.name != ".lock"
    }


def test_published_files_are_owner_and_group_only(demo_run):
    settings, outcome, _ = demo_run
    assert outcome.step_failures == [], outcome.step_failures
    published = settings.exports.parent / "published"
    assert (published / "parquet").is_symlink() and (
        published / "parquet" / "kpis" / "kpi_values.parquet"
    ).is_file()
    assert (published / "dbt_docs.html").is_file()
    modes = {
        **_modes(settings.exports / ".versions"),
        **{f"published/{k}": v for k, v in _modes(published).items()},
    }
    assert len(modes) > 20
    assert {m for name, m in modes.items() if not name.endswith("toex.duckdb")} == {0o640, 0o750}, (
        modes
    )
    assert modes["published/toex.duckdb"] == 0o440


def test_sigkill_during_the_analysts_parquet_copy(crash_sequence):
    """A run killed while the analysts' Parquet copy is staged (tests/crash_sequence.py, step 3)."""
    s = crash_sequence
    assert s.parquet_link_after_kill == s.parquet_link_before and s.parquet_table_after_kill, (
        "the previous copy is still served"
    )
    assert s.parquet_staging_after_kill, "the kill left a staging folder"
    assert s.final.returncode == 0, s.final.output
    assert s.parquet_link_after_final != s.parquet_link_before and s.parquet_table_after_final
    assert s.parquet_leftovers_after_final == [], "the next run removed what the killed one left"

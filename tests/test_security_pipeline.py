"""Security and faults through the whole pipeline (issue 12, cases 14 and 15): the modes of what
the demo run published, and a run killed while writing the analysts' Parquet copy."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from test_crash_safety import _complete_run, _kill_when, _start

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


def test_sigkill_during_the_analysts_parquet_copy(published_copy):
    root, env, delivery = published_copy
    published = root / "published"
    versions = published / ".parquet.versions"
    table = published / "parquet" / "kpis" / "kpi_values.parquet"
    before = os.readlink(published / "parquet")
    proc = _start(env, delivery)
    _kill_when(
        proc,
        lambda: (
            versions.is_dir() and any(p.name.startswith(".staging-") for p in versions.iterdir())
        ),
        timeout=1200,
    )  # the whole run comes first: minutes on a loaded machine
    assert os.readlink(published / "parquet") == before and table.is_file(), (
        "the previous copy is still served"
    )
    assert [p for p in versions.iterdir() if p.name.startswith(".staging-")], (
        "the kill left a staging folder"
    )
    _complete_run(env, delivery)
    assert os.readlink(published / "parquet") != before and table.is_file()
    left = [
        p.name
        for p in [*versions.iterdir(), *published.iterdir()]
        if ".staging-" in p.name or p.name.endswith(".tmp")
    ]
    assert left == [], "the next run removed what the killed one left"

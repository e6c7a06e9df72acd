"""Crash safety and overlap, with real processes: a run SIGKILLed in the middle of dbt or of
the export leaves the warehouse usable and the previous publication intact, and the runs after
it get through and complete; an analyst holding the published copy open keeps reading through a
run.

The runs are the `crash_sequence` fixture's (tests/crash_sequence.py), shared with the killed
Parquet copy and the dead-run tests."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_sigkill_during_dbt(crash_sequence):
    killed, final = crash_sequence.killed_in_dbt, crash_sequence.final
    assert killed.publication_after == killed.publication_before, (
        "the previous publication is untouched"
    )
    assert min(killed.warehouse_counts) > 0, "the warehouse is usable after the kill"
    # The next run got through ingestion, dbt and the checks from where the kill left the
    # warehouse: the sequence killed it in the export, which it reached after them (it fails
    # outright otherwise); nothing was published in between.
    assert crash_sequence.killed_in_export.publication_before == killed.publication_before
    assert crash_sequence.export_staging_after_kill, "the next run reached the export"
    assert final.returncode == 0, final.output
    assert final.publication_after[0] != killed.publication_before[0]


def test_sigkill_during_export(crash_sequence):
    killed, final = crash_sequence.killed_in_export, crash_sequence.final
    assert crash_sequence.export_staging_after_kill, "the kill left a staging folder"
    assert killed.publication_after == killed.publication_before
    assert min(killed.warehouse_counts) > 0, "the warehouse is usable after the kill"
    assert final.returncode == 0, final.output
    link, manifest = final.publication_after
    assert link != killed.publication_before[0] and manifest["quarter"]
    assert crash_sequence.export_staging_after_final == [], "stale staging cleaned"


def test_analyst_reads_published_copy_during_a_run(crash_sequence):
    s = crash_sequence
    assert s.final.returncode == 0, s.final.output
    assert len(s.analyst_reads) > 5
    assert set(s.analyst_reads) == {s.analyst_n}, "the analyst read the same figures throughout"
    assert s.analyst_disruptions
    assert s.analyst_fresh_n == s.analyst_n, "same delivery, same figures"

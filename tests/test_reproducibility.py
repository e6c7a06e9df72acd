"""Reproducibility, replay and revisions, through `toex run` on the data folder of five runs of
the demo delivery (tests/repeated_runs.py, shared with the disk and console-output tests):

- the same delivery again gives byte-identical kpi_values.csv and .parquet (run 2 against run 1),
  and leaves the dbt docs unbuilt;
- a later delivery that changes a past quarter (a disruption moderated late) records the
  revision of every previously published figure it moves, and the pack lists them;
- replaying the original delivery from the landing area reproduces the original figures.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dagster_project.ingest.delivery import write_demo_marker

pytestmark = [pytest.mark.slow, pytest.mark.runs(2)]

TOEX = str(Path(sys.executable).parent / "toex")
SLUG = "2025-26-Q1"


def _run(env, *args) -> str:
    p = subprocess.run(
        [TOEX, "run", "--quarter", SLUG, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert p.returncode == 0, p.stderr[-3000:]
    return p.stderr


def _exports(root: Path) -> tuple[bytes, bytes]:
    d = root / "exports" / SLUG
    return (d / "kpi_values.csv").read_bytes(), (d / "kpi_values.parquet").read_bytes()


def _moderate_one_awaiting_disruption(src: Path, dst: Path) -> str:
    """A later delivery: one TOEX disruption from before 2025-26 Q1, awaiting moderation, is now
    moderated."""
    shutil.copytree(src, dst)
    path = dst / "disruptions.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    h = {name: i for i, name in enumerate(rows[0])}
    for r in rows[1:]:
        if (
            r[h["moderation_status"]].strip().lower() == "awaiting"
            and r[h["disruption_date"]] < "2025-04-01"
            and r[h["toex_involved"]].strip().upper() in ("Y", "TRUE", "YES", "1")
        ):
            r[h["moderation_status"]], r[h["moderated_date"]] = "moderated", "2025-07-05"
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerows(rows)
            path.write_text(out.getvalue())
            write_demo_marker(dst)  # still synthetic: demo mode may use the public key for it
            return r[h["disruption_id"]]
    pytest.fail("the demo delivery has no awaiting TOEX disruption before 2025-26 Q1 to moderate")


def test_rerun_replay_and_revisions(repeated_runs, tmp_path):
    # The same delivery again: run 2 of `repeated_runs` (shared with tests/test_operations.py).
    root, env, delivery = repeated_runs.root, repeated_runs.env, repeated_runs.delivery
    first, again = repeated_runs.runs[0], repeated_runs.runs[1]
    original = first.exports

    assert again.exports == original, "same delivery, byte-identical kpi_values.csv and .parquet"
    # The docs site embeds the time dbt generated it: unchanged bytes mean it was not rebuilt, as
    # neither the project nor the warehouse's schema changed.
    assert again.docs == first.docs, "dbt docs rebuilt although nothing they show changed"
    assert _exports(root) == original  # as the sequence left it: runs 3 to 5 the same
    with duckdb.connect(str(root / "warehouse" / "toex.duckdb"), read_only=True) as con:
        (first_delivery,) = con.execute(
            "SELECT delivery_id FROM ingest.current_delivery"
        ).fetchone()

    later = tmp_path / "later_delivery"
    moderated = _moderate_one_awaiting_disruption(delivery, later)
    _run(env, "--extracts", str(later))
    assert _exports(root) != original
    con = duckdb.connect(str(root / "warehouse" / "toex.duckdb"), read_only=True)
    revised = con.execute(
        "SELECT reporting_quarter, kpi_id, measure, period_type, breakdown_value, "
        """old_value, new_value
        FROM ops.kpi_revisions WHERE reporting_quarter = '2025-26 Q1' ORDER BY ALL"""
    ).fetchall()
    con.close()
    assert (
        "2025-26 Q1",
        "Q1.3",
        "disruptions",
        "since_inception",
        "toex",
        982.0,
        983.0,
    ) in revised, (moderated, revised)
    pack = next((root / "exports" / SLUG).glob("evaluation_pack_*.html")).read_text()
    assert "Revisions" in pack and "983" in pack

    _run(env, "--replay", first_delivery)
    assert _exports(root) == original, (
        "replaying the first delivery reproduces its published figures"
    )

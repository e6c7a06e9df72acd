"""Deterministic, calibrated synthetic delivery of the 17 TOEX source extracts.

`generate(out_dir, seed, scale)` writes one delivery folder: one file per extract
(`costs` and `hr_positions` as Excel, the rest CSV) and the `SYNTHETIC_DEMO.json` marker
(every file's SHA-256: how demo mode recognises the unchanged synthetic delivery). With the default
seed the platform, run for 2025-26 Q1, reproduces the published figures of
`PUBLISHED_FIGURES.md`; the calibration is built by construction, so it holds for other
seeds too at scale 1 (asserted while generating). Everything runs from `random.Random`
streams derived from the seed, never the clock: same seed and scale, same bytes.

`scale=N` appends about N-1 times more rows of the large extracts (disruptions,
morile_assessments, identifications, toex_jobs, tool_usage) on extra operations,
streamed by DuckDB; the published figures only hold at scale 1. `tool_usage` is capped
by its key (month x tool x organisation: ~11k free combinations, reached near scale 5).

Domain modules: operations (operations, threats), jobs, assessments, disruptions,
identifications, people (HR, staff survey), feedback (client feedback, case studies),
capabilities (TDA, onboarding, platform users, tool usage), comms, finance; mess plants
the realistic defects listed in `PLANTED_MESS`; writer and scale write the files.
"""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path

from dagster_project.contract import contracts
from dagster_project.ingest.delivery import DEMO_MARKER, write_demo_marker

from . import (
    assessments,
    capabilities,
    comms,
    disruptions,
    feedback,
    finance,
    identifications,
    jobs,
    operations,
    people,
    tools,
)
from .common import Table
from .mess import DUPLICATE_ROWS, PLANTED_MESS, QUARANTINED_ROWS, Mess, apply_mess
from .model import World
from .names import People
from .scale import append_scaled
from .writer import write_table

__all__ = [
    "DEFAULT_SEED",
    "DUPLICATE_ROWS",
    "EXCEL_EXTRACTS",
    "LARGE_EXTRACTS",
    "PLANTED_MESS",
    "QUARANTINED_ROWS",
    "Mess",
    "generate",
]

log = logging.getLogger("toex.generator")
DEFAULT_SEED = 20250630
LARGE_EXTRACTS = ("disruptions", "morile_assessments", "identifications", "toex_jobs", "tool_usage")
EXCEL_EXTRACTS = ("costs", "hr_positions")


def build_tables(seed: int = DEFAULT_SEED) -> dict[str, Table]:
    """The scale-1 delivery as in-memory tables (mess included), keyed by extract."""
    w = World(seed=seed, rng=random.Random(seed), people=People(random.Random(f"{seed}:people")))
    operations.build_operations(w)
    jobs.build_jobs(w)
    assess = assessments.build_assessments(w)
    disr = disruptions.build_disruptions(w)
    idents = identifications.build_identifications(w, disr)
    people.build_staff(w)
    capabilities.build_onboarding(w)
    operations.assign_labels(w)  # labels last: the builders above move opening dates
    tables = [
        operations.operations_table(w),
        operations.operation_threats_table(w),
        jobs.jobs_table(w),
        assessments.assessments_table(assess),
        disruptions.disruptions_table(disr),
        identifications.identifications_table(idents),
        feedback.feedback_table(w),
        feedback.case_studies_table(w),
        people.staff_table(w),
        people.positions_table(w),
        people.survey_table(w),
        comms.comms_table(w),
        finance.costs_table(w),
        capabilities.capabilities_table(w),
        capabilities.onboarding_table(w),
        capabilities.platform_users_table(w),
        tools.tool_usage_table(w),
    ]
    by_name = {t.extract: t for t in tables}
    missing = set(contracts()) ^ set(by_name)
    assert not missing, f"extracts without a generator or contract: {sorted(missing)}"
    apply_mess(seed, by_name)
    return by_name


def generate(out_dir: Path, seed: int = DEFAULT_SEED, scale: int = 1) -> dict[str, int]:
    """Write one delivery folder; returns the data rows written per extract."""
    if scale < 1:
        raise ValueError("scale must be 1 or more")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ours = {f"{name}.{ext}" for name in contracts() for ext in ("csv", "xlsx")} | {DEMO_MARKER}
    strangers = sorted(p.name for p in out_dir.iterdir() if p.name not in ours)
    if strangers:
        raise FileExistsError(f"{out_dir} holds files that are not extracts: {strangers}")
    for p in out_dir.iterdir():
        p.unlink()  # a previous delivery of ours: replaced whole

    log.info("generating delivery seed=%d scale=%d into %s", seed, scale, out_dir)
    tables = build_tables(seed)
    counts: dict[str, int] = {}
    for name in contracts():
        t = tables[name]
        path = write_table(out_dir, t)
        counts[name] = len(t.rows)
        log.info("wrote %s (%d rows)", path.name, len(t.rows))
    if scale > 1:
        for name, n in append_scaled(out_dir, tables, seed, scale).items():
            counts[name] += n
            log.info("scaled %s: +%d rows", name, n)
    # Lets demo mode recognise this delivery, unchanged, as synthetic (ingest/pseudonym.py).
    write_demo_marker(out_dir, seed=seed, scale=scale)
    log.info(
        "delivery complete: %d rows in %d files (%.1fs)",
        sum(counts.values()),
        len(counts),
        time.perf_counter() - started,
    )
    return counts

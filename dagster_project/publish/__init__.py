"""Publishing a reporting quarter: the exports analysts and the evaluation pack read.

    from dagster_project.publish import publish_quarter
    published = publish_quarter(con, Quarter.parse("2025-26 Q1"), settings.exports,
                                run_id=..., code_version=..., delivery_hashes={...},
                                quality_results=[...])
    published.path      # exports/2025-26-Q1  (a symlink)
    published.manifest  # the manifest.json content

Files of `exports_root/<slug>/`
-------------------------------
- `kpi_values.csv`, `kpi_values.parquet`: the quarter's rows of `kpis.kpi_values` (with
  `period_label` and `population`), ordered by
  kpi_id, measure, period_type, period_start, breakdown, breakdown_value; byte-identical for the
  same input (CSV via the stdlib with `repr` floats, parquet via pyarrow: see `tabular`).
- `toex_kpis_<slug>.xlsx`: Contents, one sheet per research question, the quarterly series since
  inception, the risk-score and Top 10 detail, and the Definitions sheet (`workbook`).
- `evaluation_pack_<slug>.html`: the pack, one self-contained file, no external references
  (`pack`, `charts`, `templates/`).
- `manifest.json`: each file's SHA-256, size and row count (rows for csv/parquet, rows per
  sheet for xlsx, null for html), the quarter, delivery hashes, code version, run id, data
  quality summary and `published_at` (the only field that depends on the clock).

The directory name is `Quarter.slug` (`2025-26-Q1`): the label without its space, so it is a
safe file and URL name, it equals the CLI's `--quarter` spelling, and it sorts
chronologically. (The Dagster partition key is the label itself, `2025-26 Q1`.)

Atomic publication
------------------
A reader must never see a half-written quarter, and a failed run must leave the previous
publication intact. So nothing is written in place:

    exports_root/
      2025-26-Q1 -> .versions/2025-26-Q1/<run_id>      (relative symlink: what readers open)
      .versions/2025-26-Q1/
        .lock                                          (flock: one publisher per quarter)
        .staging-<run_id>-<random>/                    (only while a run writes)
        <run_id>/  <older run_id>/ ...                 (complete, verified, immutable)

1. Under the quarter's lock, stale `.staging-*` directories of crashed runs are removed.
2. Every file is written into a fresh `.staging-…` directory and fsynced; the manifest is
   written last; the directory is fsynced.
3. The files are re-read from disk and checked against the manifest's SHA-256 and sizes.
4. The staging directory is renamed to `<run_id>` (`<run_id>.2` … if that run id was
   published before): a version directory only ever exists complete.
5. A symlink to it is created under a temporary name and `os.replace`d over
   `exports_root/<slug>`; rename(2) is atomic, so a reader resolves the old or the new version,
   never a mix. The exports directory is fsynced.
6. Old versions beyond the newest `keep_versions` (default 3) are pruned, never the current
   one nor the one it replaced (kept for rollback: repoint the link to it).

Any exception before step 5 removes the staging/version directory and re-raises; the link
still points at the previous version. A reader holding files of a pruned version open keeps
reading them (POSIX unlink semantics). A pre-existing plain directory at `<slug>` (from an
older publisher) is moved into `.versions/` and replaced by the link.

Disclosure control (small-count suppression) is the `disclosure_threshold` keyword: only an
external release passes it (`disclosure.py`); the internal publication is never suppressed.
"""

from __future__ import annotations

from .atomic import PublishVerificationError
from .core import PublishedQuarter, file_names, publish_quarter, verify_publication
from .pack import UnsafePackError
from .sources import PublishInputError
from .text import neutralise_formula, neutralise_urls, render_markdown

__all__ = [
    "PublishInputError",
    "PublishVerificationError",
    "PublishedQuarter",
    "UnsafePackError",
    "file_names",
    "neutralise_formula",
    "neutralise_urls",
    "publish_quarter",
    "render_markdown",
    "verify_publication",
]

"""`publish_quarter`: write a quarter's exports and make them visible atomically."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from dagster_project.fiscal import Quarter

from . import atomic, disclosure, pack, permissions, sources, tabular, workbook

log = logging.getLogger("toex.publish")

MANIFEST_VERSION = 1
DEFAULT_KEEP_VERSIONS = 3


@dataclass(frozen=True)
class PublishedQuarter:
    """A finished publication.

    path         `exports_root/<slug>`: the stable path readers use (a symlink)
    version_dir  the immutable directory it points at, `exports_root/.versions/<slug>/<run_id>`
    manifest     the content of `manifest.json`
    """

    path: Path
    version_dir: Path
    manifest: dict

    def file(self, name: str) -> Path:
        return self.path / name


def file_names(quarter: Quarter) -> dict[str, str]:
    return {
        "csv": "kpi_values.csv",
        "parquet": "kpi_values.parquet",
        "xlsx": f"toex_kpis_{quarter.slug}.xlsx",
        "html": f"evaluation_pack_{quarter.slug}.html",
    }


def _entry(directory: Path, name: str, data: bytes, rows) -> dict:
    atomic.write_durable(directory / name, data)
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "rows": rows}


def publish_quarter(
    con: duckdb.DuckDBPyConnection,
    quarter: Quarter,
    exports_root: Path,
    *,
    run_id: str,
    code_version: str,
    delivery_hashes: dict[str, str],
    quality_results: Sequence[dict],
    revisions: Sequence[dict] | None = None,
    keep_versions: int = DEFAULT_KEEP_VERSIONS,
    disclosure_threshold: int | None = None,
) -> PublishedQuarter:
    """Publish `quarter` from the warehouse behind `con` into `exports_root/<quarter.slug>/`.

    Writes kpi_values.csv/.parquet, toex_kpis_<slug>.xlsx, evaluation_pack_<slug>.html and
    manifest.json into a fresh version directory, verifies them against the manifest, then
    swaps the `<slug>` symlink to it. On any failure the previous publication stays served
    and the unfinished directory is removed. `keep_versions` (at least 2) versions are kept.
    `disclosure_threshold` makes it an external release (see `disclosure`): small counts
    suppressed, record-level detail left out.
    """
    exports_root = Path(exports_root)
    keep_versions = max(int(keep_versions), 2)
    run_name = atomic.safe_name(run_id)
    versions_root = exports_root / atomic.VERSIONS / quarter.slug
    versions_root.mkdir(parents=True, exist_ok=True)
    for folder in (versions_root.parent, versions_root):  # every version lies under these
        permissions.set_dir(folder)
    link = exports_root / quarter.slug
    names = file_names(quarter)

    with atomic.slug_lock(versions_root):
        atomic.remove_stale_staging(versions_root)
        staging = atomic.new_staging_dir(versions_root, run_name)
        try:
            inputs = sources.read_inputs(con, quarter)
            withheld = None
            if disclosure_threshold is not None:
                inputs, withheld = disclosure.apply(inputs, disclosure_threshold)
            files: dict[str, dict] = {}
            files[names["csv"]] = _entry(
                staging, names["csv"], tabular.kpi_values_csv(inputs.rows), len(inputs.rows)
            )
            files[names["parquet"]] = _entry(
                staging, names["parquet"], tabular.kpi_values_parquet(inputs.rows), len(inputs.rows)
            )
            xlsx, sheet_rows = workbook.build_workbook(
                inputs.rows,
                quarter,
                run_id=run_id,
                code_version=code_version,
                history=inputs.history,
                risk_changes=inputs.risk_changes,
                top10=inputs.top10,
            )
            files[names["xlsx"]] = _entry(staging, names["xlsx"], xlsx, sheet_rows)
            context = pack.build_context(
                inputs,
                quarter,
                run_id=run_id,
                code_version=code_version,
                delivery_hashes=delivery_hashes,
                quality_results=quality_results,
                revisions=revisions,
            )
            files[names["html"]] = _entry(
                staging, names["html"], pack.render_pack(context).encode("utf-8"), None
            )

            quality = pack.quality_view(quality_results)
            manifest = {
                "manifest_version": MANIFEST_VERSION,
                "quarter": {
                    "label": quarter.label,
                    "slug": quarter.slug,
                    "start": quarter.start.isoformat(),
                    "end": quarter.end.isoformat(),
                },
                "run_id": run_id,
                "code_version": code_version,
                "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "delivery_hashes": dict(sorted(delivery_hashes.items())),
                "files": files,
                "quality": {
                    "checks": quality["checks"],
                    "warnings": sum(1 for i in quality["issues"] if i["severity"] != "ERROR"),
                    "errors": sum(1 for i in quality["issues"] if i["severity"] == "ERROR"),
                },
                "revisions": len(revisions or []),
                "disclosure_control": None
                if withheld is None
                else {"threshold": disclosure_threshold, "figures_withheld": withheld},
                "notes": inputs.notes,
            }
            atomic.write_durable(
                staging / atomic.MANIFEST,
                (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(
                    "utf-8"
                ),
            )
            atomic.fsync_dir(staging)
            atomic.verify_directory(staging)  # re-read from disk: what readers will get

            version_dir, previous = atomic.promote(staging, versions_root, link, run_name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

        removed = atomic.prune_versions(versions_root, keep_versions, {version_dir, previous})
        if removed:
            log.info("pruned %d old version(s) of %s", len(removed), quarter.slug)
    log.info("published %s to %s (version %s)", quarter.label, link, version_dir.name)
    return PublishedQuarter(path=link, version_dir=version_dir, manifest=manifest)


def verify_publication(path: Path) -> dict:
    """Check a publication (the `<slug>` link or a version directory) against its manifest."""
    return atomic.verify_directory(Path(path))

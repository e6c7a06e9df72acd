"""A published folder (the analysts' Parquet) swapped atomically, as the exports are.

    <published>/parquet -> .parquet.versions/<run_id>     (relative symlink: what readers open)
    <published>/.parquet.versions/
        .lock                                            (flock: one publisher at a time)
        .staging-<run_id>-<random>/                      (only while a run writes)
        <run_id>/  <previous run_id>/                    (complete versions)

The new version is written into a staging folder, renamed to its version name and the link is
`os.replace`d onto it (`atomic.swap_symlink`), so a reader finds the old folder or the new one,
never none. Under the lock, a publisher first removes what a killed run left: staging folders,
and temporary files and folders of the older scheme (`.parquet.<run>.tmp/`,
`.toex.duckdb.<run>.tmp`). The current and the previous version are kept (a reader that listed
the old one can still open its files); older versions are pruned. A plain folder left at the
link's place by the older scheme is moved into the versions once, then replaced by the link.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

from . import atomic, permissions

log = logging.getLogger("toex.publish")

KEEP_VERSIONS = 2  # the current one and the one it replaced
STALE_PATTERNS = (".parquet.*.tmp", ".toex.duckdb.*.tmp")  # names of the older, non-atomic scheme


def versions_root(link: Path) -> Path:
    return link.parent / f".{link.name}.versions"


def remove_stale_temp(folder: Path, keep: Path | None = None) -> list[Path]:
    """Temporary files and folders a killed run left in `folder` (the caller holds the lock)."""
    removed = []
    for pattern in STALE_PATTERNS:
        for path in folder.glob(pattern):
            if keep is not None and path == keep:
                continue
            log.warning("removing %s, left by an unfinished run", path)
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@contextlib.contextmanager
def publish_folder(link: Path, run_id: str, keep: Path | None = None) -> Iterator[Path]:
    """Yield an empty staging folder; when the block ends without error, its content becomes
    what `link` shows, in one atomic step. On error the link is left as it was. `keep` names a
    temporary file of this run that the stale-file sweep must leave alone."""
    link = Path(link)
    root = versions_root(link)
    root.mkdir(parents=True, exist_ok=True)
    permissions.set_dir(root)
    run_name = atomic.safe_name(run_id)
    with atomic.slug_lock(root):
        atomic.remove_stale_staging(root)
        remove_stale_temp(link.parent, keep)
        staging = atomic.new_staging_dir(root, run_name)
        try:
            yield staging
            permissions.set_tree(staging)
            version, previous = atomic.promote(staging, root, link, run_name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        atomic.prune_versions(root, KEEP_VERSIONS, {version, previous})

"""Versioned directories and an atomically swapped symlink (see the package docstring)."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from dagster_project.checksums import sha256_file

from . import permissions

log = logging.getLogger("toex.publish")

VERSIONS = ".versions"
STAGING_PREFIX = ".staging-"
MANIFEST = "manifest.json"


class PublishVerificationError(RuntimeError):
    """A written file does not match the manifest."""


def safe_name(text: str) -> str:
    """A run id as a directory name: letters, digits, `.`, `_`, `-`; never hidden, never empty."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", str(text)).lstrip(".")
    return name[:120] or "run"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durable(path: Path, data: bytes) -> None:
    """Create `path` (it must not exist) with the published files' mode, write, flush and fsync."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, permissions.file_mode())
    os.fchmod(fd, permissions.file_mode())  # whatever the umask
    with open(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def verify_directory(directory: Path) -> dict:
    """Check every file listed in `directory/manifest.json` against its SHA-256 and size.
    Returns the manifest; raises PublishVerificationError on any mismatch."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PublishVerificationError(f"{directory}: unreadable manifest ({exc})") from exc
    for name, entry in manifest.get("files", {}).items():
        path = directory / name
        if not path.is_file():
            raise PublishVerificationError(f"{path}: missing")
        actual = sha256_file(path)
        if actual != entry.get("sha256"):
            raise PublishVerificationError(
                f"{path}: sha256 {actual} != manifest {entry.get('sha256')}"
            )
        if "bytes" in entry and path.stat().st_size != entry["bytes"]:
            raise PublishVerificationError(f"{path}: size differs from the manifest")
    return manifest


@contextlib.contextmanager
def slug_lock(versions_root: Path) -> Iterator[None]:
    """One publisher per quarter at a time (advisory flock; released when the fd closes)."""
    fd = os.open(versions_root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remove_stale_staging(versions_root: Path) -> None:
    """Staging directories left by a crashed publisher (we hold the lock: nobody else writes)."""
    for entry in versions_root.iterdir():
        if entry.name.startswith(STAGING_PREFIX) and entry.is_dir() and not entry.is_symlink():
            log.warning("removing an unfinished publication %s", entry)
            shutil.rmtree(entry, ignore_errors=True)


def new_staging_dir(versions_root: Path, run_name: str) -> Path:
    path = versions_root / f"{STAGING_PREFIX}{run_name}-{uuid.uuid4().hex[:8]}"
    path.mkdir()
    permissions.set_dir(path)
    return path


def unique_version_dir(versions_root: Path, run_name: str) -> Path:
    """`<run_id>`, or `<run_id>.2`, `.3` ... when that run id was published before."""
    candidate, n = versions_root / run_name, 1
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = versions_root / f"{run_name}.{n}"
    return candidate


def current_target(link: Path) -> Path | None:
    """The version directory `link` points at (absolute), or None."""
    if link.is_symlink():
        return (link.parent / os.readlink(link)).resolve()
    return None


def promote(staging: Path, root: Path, link: Path, run_name: str) -> tuple[Path, Path | None]:
    """Make a complete `staging` folder a version under `root` and point `link` at it in one
    atomic step; returns (version, previous target). If that fails, the new version is removed
    unless the link already shows it (the caller removes its staging folder)."""
    version = unique_version_dir(root, run_name)
    try:
        staging.rename(version)
        fsync_dir(root)
        return version, swap_symlink(link, version, root)
    except BaseException:
        if current_target(link) != version.resolve():
            shutil.rmtree(version, ignore_errors=True)
        raise


def swap_symlink(link: Path, target: Path, versions_root: Path) -> Path | None:
    """Point `link` at `target` in one atomic step; return the previous target.

    A symlink to the new version is created under a temporary name beside `link` and renamed
    over it with `os.replace` (rename(2) is atomic: a reader resolves either the old or the new
    version, never nothing and never a mix). The link is relative, so the exports tree can be
    moved or mounted elsewhere.
    """
    previous = current_target(link)
    if link.exists() and not link.is_symlink():
        # A plain directory from an older publisher: move it aside into the versions area
        # (one rename); the link appears right after. It stays as the previous version.
        legacy = versions_root / f"legacy-{uuid.uuid4().hex[:8]}"
        os.rename(link, legacy)
        previous = legacy
    tmp = link.parent / f".{link.name}.tmp-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(target, link.parent), tmp)
    try:
        os.replace(tmp, link)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(link.parent)
    return previous


def _published_at(version: Path) -> str:
    try:
        return str(
            json.loads((version / MANIFEST).read_text(encoding="utf-8")).get("published_at", "")
        )
    except (OSError, ValueError):
        return ""


def prune_versions(versions_root: Path, keep: int, protect: set[Path]) -> list[Path]:
    """Delete all but the newest `keep` versions; never a protected one (current, previous)."""
    versions = [p for p in versions_root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    versions.sort(key=lambda p: (_published_at(p), p.stat().st_mtime, p.name), reverse=True)
    protected = {p.resolve() for p in protect if p is not None}
    removed = []
    for version in versions[keep:]:
        if version.resolve() in protected:
            continue
        try:
            shutil.rmtree(version)
            removed.append(version)
        except OSError as exc:  # pruning is housekeeping: never fail a publication for it
            if exc.errno != errno.ENOENT:
                log.warning("could not prune %s: %s", version, exc)
    return removed

"""A failed step's cause in one line of plain words.

Dagster wraps what a step raised in `DagsterExecutionStepExecutionError` ("Error occurred while
executing op …"); the reason an operator can act on (a full disk, a read-only folder, another
process holding the warehouse, a missing key) is further down the cause chain, and DuckDB's
messages run to twenty lines. `describe` walks the chain and names the cause.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator

from dagster._utils.error import SerializableErrorInfo

MAX_CHARS = 300
# Dagster's own wrappers: their messages say where, never why.
WRAPPERS = frozenset(
    {
        "DagsterExecutionStepExecutionError",
        "DagsterUserCodeExecutionError",
        "DagsterResourceFunctionError",
        "DagsterExecutionInterruptedError",
        "RetryRequestedFromPolicy",
    }
)
_PATH = r"""["']([^"']+)["']"""
_DISK_FULL = re.compile(rf"No space left on device|\[Errno {errno.ENOSPC}\]|disk is full", re.I)
_READ_ONLY = re.compile(rf"Read-only file system|\[Errno {errno.EROFS}\]", re.I)
_DENIED = re.compile(rf"Permission denied|\[Errno {errno.EACCES}\]", re.I)
_LOCK_PID = re.compile(r"Conflicting lock is held in (\S+) \(PID (\d+)\)")
_LOCK_FILE = re.compile(r"Could not set lock on file " + _PATH)
_DUCKDB_LINE = re.compile(r"CSV Error on Line: (\d+)")


def chain(error: SerializableErrorInfo | None) -> Iterator[SerializableErrorInfo]:
    """The error, then what caused it (`raise … from`), then the context it was raised in."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.cause or error.context


def describe(error: SerializableErrorInfo | None) -> str:
    """One line naming the cause of a failed step."""
    errors = [e for e in chain(error) if e.cls_name not in WRAPPERS] or list(chain(error))
    if not errors:
        return "failed (no error recorded)"
    for e in errors:  # the outermost match: it carries the most context (which file, which step)
        found = _known_cause(e.message or "")
        if found:
            return found
    first = errors[0]
    return one_line(first.message or first.cls_name or "failed", first.cls_name)


def _known_cause(message: str) -> str | None:
    where = _path_in(message)
    if _DISK_FULL.search(message):
        return f"disk full writing {where}" if where else "disk full"
    if _READ_ONLY.search(message):
        return f"read-only: {where}" if where else "read-only file system"
    lock = _LOCK_PID.search(message)
    if lock:
        held = _LOCK_FILE.search(message)
        what = f" ({held.group(1)})" if held else ""
        return (
            f"warehouse in use by process {lock.group(2)} ({lock.group(1)}){what}: "
            "wait for it or stop it"
        )
    if "TOEX_PSEUDONYM_KEY is not set" in message or message.startswith("no pseudonym key"):
        return (
            "no TOEX_PSEUDONYM_KEY set: personal columns cannot be pseudonymised; "
            "set the secret key (or TOEX_DEMO=1 for the synthetic demo delivery only)"
        )
    if _DENIED.search(message):
        return f"permission denied: {where}" if where else "permission denied"
    return None


def _path_in(message: str) -> str:
    found = (
        re.search(r"\[Errno \d+\] [^:]+: " + _PATH, message)
        or re.search(r"file " + _PATH, message)
        or re.search(_PATH, message)
    )
    return found.group(1) if found else ""


def one_line(message: str, cls_name: str | None = None) -> str:
    """The first meaningful line of `message`; for DuckDB's CSV errors, the line number and what
    was wrong, not the dump of options and possible fixes that follows."""
    lines = [ln.strip() for ln in message.strip().splitlines() if ln.strip()]
    if not lines:
        return cls_name or "failed"
    text = lines[0]
    csv_line = _DUCKDB_LINE.search(message)
    if csv_line and len(lines) > 1:
        reason = next(
            (
                ln
                for ln in lines[1:]
                if not ln.startswith(("Original Line", "Possible", "*", "file="))
                and "=" not in ln.split(" ")[0]
            ),
            "",
        )
        head = text[: text.find("(")].rstrip(" (") if "(" in text else text
        text = f"{head} (CSV line {csv_line.group(1)}{': ' + reason if reason else ''})"
    if cls_name:
        # Dagster records `module.Class: message`: the class's short name, or none for the
        # platform's own errors, whose messages already say what and where.
        text = re.sub(
            rf"^[\w.]*\b{re.escape(cls_name)}: ", "" if _is_own(cls_name) else f"{cls_name}: ", text
        )
        if cls_name not in text and not _is_own(cls_name):
            text = f"{cls_name}: {text}"
    if text.count("(") > text.count(")"):  # a message cut at its first line
        text = text.rstrip(" .") + "…)"
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"


def _is_own(cls_name: str) -> bool:
    """The platform's own errors already speak plainly; their class name adds nothing."""
    return cls_name in {
        "FileRejected",
        "DeliveryError",
        "WarehouseBusy",
        "MissingPseudonymKey",
        "Failure",
        "DagsterAssetCheckFailedError",
    }

"""Count a CSV file's records from its bytes, independently of the CSV parser.

The parser's own count cannot check the parser: a stray quote that makes DuckDB swallow the
rest of the file into one reject, or a record over its line limit that it drops, leave the
parser's figures self-consistent. This module finds the record boundaries itself, with the
RFC 4180 rules the reader uses (comma, `"` quoting, `""` escape, CRLF or LF, blank lines
skipped), so reconciliation can compare the parser's rows against the file's.

Speed: the file is memory-mapped and scanned in chunks with numpy for the positions of `"`
and LF only (both are single bytes in UTF-8 and Windows-1252, never part of a multi-byte
character). A file whose quotes are all well placed -- opening at a field start, closing
before a comma, line end or the end of the file -- is split by quote parity, fully
vectorised. Only a file with a misplaced quote walks its quotes one by one in Python (the
exact state machine), which is rare and costs one step per quote, not per byte.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QUOTE, COMMA, LF, CR = 0x22, 0x2C, 0x0A, 0x0D
CHUNK = 1 << 24


@dataclass(frozen=True)
class RecordCount:
    """Data records (the header excluded) and where each starts, by byte offset."""

    records: int
    starts: np.ndarray  # byte offset of each data record, in order (int64)
    ends: np.ndarray  # byte offset just past each data record's last byte (before its line end)
    misplaced_quote_row: int | None  # first data row holding a quote not where RFC 4180 puts one
    open_quote_row: int | None  # a quoted field opened in this row runs to the end of the file
    lines_in_open_record: int = 0

    def row_at(self, byte_offset: int) -> int | None:
        """The data row (1-based) that starts at `byte_offset`, None if no record starts there."""
        i = int(np.searchsorted(self.starts, byte_offset))
        return i + 1 if i < len(self.starts) and self.starts[i] == byte_offset else None

    def row_containing(self, byte_offset: int) -> int:
        """The data row (1-based) whose bytes include `byte_offset` (0 for the header)."""
        return int(np.searchsorted(self.starts, byte_offset, side="right"))

    def longest(self) -> tuple[int, int]:
        """(row, bytes) of the longest record; (0, 0) for a file without data rows."""
        if not self.records:
            return 0, 0
        lengths = self.ends - self.starts
        i = int(np.argmax(lengths))
        return i + 1, int(lengths[i])


def _positions(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    quotes, lfs = [], []
    for start in range(0, len(data), CHUNK):
        block = data[start : start + CHUNK]
        quotes.append(np.flatnonzero(block == QUOTE) + start)
        lfs.append(np.flatnonzero(block == LF) + start)
    return _joined(quotes), _joined(lfs)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, np.int64)


def _well_placed(data: np.ndarray, quotes: np.ndarray, first: int) -> np.ndarray:
    """Per quote: whether parity pairing is the true reading of it. An opening quote (even rank)
    follows a comma, a line start or the file start -- or closes-then-reopens as `""`; a closing
    one (odd rank) precedes a comma, a line end, another quote or the end of the file."""
    n = len(data)
    ok = np.ones(len(quotes), bool)
    opening = np.arange(len(quotes)) % 2 == 0
    prev = np.where(quotes > first, data[np.maximum(quotes - 1, 0)], LF)
    nxt = np.where(quotes + 1 < n, data[np.minimum(quotes + 1, n - 1)], LF)
    ok[opening] = np.isin(prev[opening], (COMMA, LF, QUOTE))
    ok[~opening] = np.isin(nxt[~opening], (COMMA, LF, CR, QUOTE))
    # `""` read as close-then-open is only an escape when the pair is adjacent.
    esc_open = opening & (prev == QUOTE)
    if esc_open.any():
        idx = np.flatnonzero(esc_open)
        ok[idx] &= (idx > 0) & (quotes[np.maximum(idx - 1, 0)] == quotes[idx] - 1)
    return ok


def _quoted_spans_by_walk(
    data: np.ndarray, quotes: np.ndarray, first: int
) -> list[tuple[int, int]]:
    """The exact reading, one quote at a time: a quote opens a field only at a field start
    (elsewhere it is a literal character, as DuckDB and Python's csv read it); inside a field
    `""` is a quote and a single `"` closes it. Returns [(open, close)] byte spans; an
    unclosed last span ends at len(data)."""
    n = len(data)
    spans: list[tuple[int, int]] = []
    qs = quotes.tolist()
    i = 0
    while i < len(qs):
        p = qs[i]
        at_field_start = p == first or data[p - 1] in (COMMA, LF)
        if not at_field_start:
            i += 1
            continue
        j = i + 1
        while j < len(qs):
            if j + 1 < len(qs) and qs[j + 1] == qs[j] + 1:
                j += 2  # an escaped quote
                continue
            break
        close = qs[j] if j < len(qs) else n
        spans.append((p, close))
        i = j + 1
    return spans


def count_records(path: Path) -> RecordCount:
    size = Path(path).stat().st_size
    if size == 0:
        return RecordCount(0, np.empty(0, np.int64), np.empty(0, np.int64), None, None)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        data = np.frombuffer(mm, dtype=np.uint8)
        try:
            return _count(data)
        finally:
            del data


def _count(data: np.ndarray) -> RecordCount:
    n = len(data)
    first = 3 if n >= 3 and bytes(data[:3]) == b"\xef\xbb\xbf" else 0
    quotes, lfs = _positions(data)
    ok = _well_placed(data, quotes, first)
    misplaced_at = None if ok.all() else int(quotes[int(np.argmin(ok))])
    if misplaced_at is None:
        inside = np.searchsorted(quotes, lfs) % 2 == 1 if len(quotes) else None
        open_at = int(quotes[-1]) if len(quotes) % 2 else None
    else:
        spans = _quoted_spans_by_walk(data, quotes, first)
        opens = np.array([s for s, _ in spans], np.int64)
        closes = np.array([e for _, e in spans], np.int64)
        k = np.searchsorted(opens, lfs, side="right") - 1
        inside = (
            (k >= 0) & (lfs < closes[np.maximum(k, 0)]) if len(spans) else np.zeros(len(lfs), bool)
        )
        open_at = int(opens[-1]) if len(spans) and closes[-1] >= n else None
    terminators = lfs if inside is None else lfs[~inside]  # no quote: every LF ends a record
    # Records: [first, t0), [t0 + 1, t1), ... and a last one with no line end. Built with as few
    # full-size temporaries as possible: at 8.5 M records each is ~70 MB of fresh pages, and the
    # page faults, not the arithmetic, were most of this count's time (docs/SCALE_LOG.md).
    m = len(terminators)
    starts = np.empty(m + 1, np.int64)
    starts[0] = first
    np.add(terminators, 1, out=starts[1:])
    ends = np.empty(m + 1, np.int64)
    ends[:m] = terminators
    ends[m] = n
    before_end = np.subtract(ends, 1)
    np.maximum(before_end, 0, out=before_end)
    cr = data[before_end] == CR
    del before_end
    cr &= ends > starts
    ends -= cr  # a CR before the LF is not part of the record
    keep = ends > starts  # blank lines are not records (the reader skips them)
    if not keep.all():
        starts, ends = starts[keep], ends[keep]
    if len(starts) == 0:
        return RecordCount(0, np.empty(0, np.int64), np.empty(0, np.int64), None, None)
    data_starts, data_ends = starts[1:], ends[1:]  # the first record is the header

    def row_of(offset: int) -> int:
        return int(np.searchsorted(data_starts, offset, side="right"))

    open_row = row_of(open_at) if open_at is not None else None
    lines_open = 0
    if open_row:
        lines_open = int(np.count_nonzero(lfs > open_at)) + (0 if data[-1] == LF else 1)
    return RecordCount(
        len(data_starts),
        data_starts,
        data_ends,
        row_of(misplaced_at) if misplaced_at is not None else None,
        open_row or None,
        lines_open,
    )

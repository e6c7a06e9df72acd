"""Inline SVG charts, generated in Python: no JavaScript, no fonts, no external references.

Every function returns `Markup` holding one `<figure>` with an `<svg>` (no `xmlns`
attribute: inline SVG in HTML needs none, and the pack must carry no `http` reference).
All text placed in the SVG is escaped and URL-neutralised. Coordinates are printed with
one decimal so that the same data always gives the same markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .text import neutralise_urls

PALETTE = ("#1f4e79", "#c55a11", "#548235", "#7f6000", "#7030a0", "#2e75b6", "#bf9000", "#7f7f7f")
NEGATIVE, POSITIVE, NEUTRAL = "#2e7d32", "#c62828", "#9e9e9e"
FONT = 'font-family="Arial, Helvetica, sans-serif"'


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str | None = None


def _t(text) -> str:
    return str(escape(neutralise_urls(str(text))))


def _n(value: float) -> str:
    return f"{value:.1f}"


def compact(value: float) -> str:
    """Axis and label numbers: 950, 1.2k, 16.3m; shares are formatted by the caller."""
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1_000_000:
        return f"{sign}{v / 1_000_000:.1f}m".replace(".0m", "m")
    if v >= 10_000:
        return f"{sign}{v / 1000:.0f}k"
    if v >= 1000:
        return f"{sign}{v / 1000:.1f}k".replace(".0k", "k")
    if float(v).is_integer():
        return f"{sign}{int(v)}"
    return f"{sign}{v:.1f}"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 5 x 10^k steps) covering lo..hi, including 0."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi == lo:
        hi = lo + 1
    raw = (hi - lo) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _fit(text, width_px: float, px_per_char: float = 6.4) -> str:
    """Shorten a label to about `width_px` (the full text stays in the element's <title>)."""
    text = str(text)
    limit = max(int(width_px / px_per_char), 6)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _figure(svg: str, title: str, note: str | None = None) -> Markup:
    caption = (
        f"<figcaption>{_t(title)}"
        + (f' <span class="muted">{_t(note)}</span>' if note else "")
        + "</figcaption>"
    )
    return Markup(f'<figure class="chart">\n{svg}\n{caption}\n</figure>')


def no_data(title: str) -> Markup:
    return Markup(f'<p class="na">Chart "{_t(title)}": no data available.</p>')


def _svg_open(width: int, height: int, title: str) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{_t(title)}" {FONT} font-size="11">\n<title>{_t(title)}</title>'
    )


def _legend(series: Sequence[Series], x: float, y: float) -> str:
    parts, cursor = [], x
    for i, s in enumerate(series):
        color = s.color or PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect x="{_n(cursor)}" y="{_n(y - 9)}" width="10" height="10" fill="{color}"/>'
        )
        parts.append(f'<text x="{_n(cursor + 14)}" y="{_n(y)}">{_t(s.name)}</text>')
        cursor += 24 + 6.5 * len(str(s.name))
    return "\n".join(parts)


def column_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool = False,
    value_fmt: Callable[[float], str] = compact,
    width: int = 860,
    height: int = 300,
    labels: bool | None = None,
) -> Markup:
    """Vertical bars per category: grouped (default) or stacked series."""
    values = [v for s in series for v in s.values if v is not None]
    if not categories or not values:
        return no_data(title)
    if stacked:
        sums = [sum(max(s.values[i] or 0, 0) for s in series) for i in range(len(categories))]
        negs = [sum(min(s.values[i] or 0, 0) for s in series) for i in range(len(categories))]
        lo, hi = min(negs), max(sums)
    else:
        lo, hi = min(values), max(values)
    ticks = nice_ticks(lo, hi)
    lo, hi = ticks[0], ticks[-1]
    crowded = len(categories) > 10
    left, right, top = 56, 12, 34 if len(series) > 1 else 18
    plot_w = width - left - right
    label_lines = 1 if crowded else max(len(_wrap(c, plot_w / len(categories))) for c in categories)
    bottom = 64 if crowded else 18 + 12 * label_lines
    plot_h = height - top - bottom

    def y(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    out = [_svg_open(width, height, title)]
    for t in ticks:
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_n(y(t))}" y2="{_n(y(t))}" '
            'stroke="#e0e0e0"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{_n(y(t) + 4)}" text-anchor="end" '
            f'fill="#555">{_t(value_fmt(t))}</text>'
        )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{_n(y(0))}" y2="{_n(y(0))}" stroke="#555"/>'
    )
    band = plot_w / len(categories)
    groups = 1 if stacked else len(series)
    bar_w = min(band * 0.75 / groups, 56.0)
    show_labels = labels if labels is not None else (len(categories) * groups <= 24)
    for i, category in enumerate(categories):
        x0 = left + band * i + (band - bar_w * groups) / 2
        up, down = 0.0, 0.0
        for j, s in enumerate(series):
            v = s.values[i] if i < len(s.values) else None
            if v is None:
                continue
            color = s.color or PALETTE[j % len(PALETTE)]
            if stacked:
                base = up if v >= 0 else down
                top_v = base + v
                if v >= 0:
                    up = top_v
                else:
                    down = top_v
                bx = x0
            else:
                base, top_v, bx = 0.0, v, x0 + bar_w * j
            y1, y2 = sorted((y(base), y(top_v)))
            out.append(
                f'<rect x="{_n(bx)}" y="{_n(y1)}" width="{_n(bar_w)}" '
                f'height="{_n(max(y2 - y1, 0.5))}" '
                f'fill="{color}">'
                f"<title>{_t(category)}, {_t(s.name)}: {_t(value_fmt(v))}</title></rect>"
            )
            if show_labels and not stacked:
                ly = y1 - 3 if v >= 0 else y2 + 11
                out.append(
                    f'<text x="{_n(bx + bar_w / 2)}" y="{_n(ly)}" '
                    f'text-anchor="middle">{_t(value_fmt(v))}</text>'
                )
        if stacked and show_labels:
            out.append(
                f'<text x="{_n(x0 + bar_w / 2)}" y="{_n(y(up) - 3)}" '
                f'text-anchor="middle">{_t(value_fmt(up + down))}</text>'
            )
        cx = left + band * (i + 0.5)
        if crowded:
            out.append(
                f'<text x="{_n(cx)}" y="{_n(height - bottom + 12)}" text-anchor="end" '
                f'transform="rotate(-45 {_n(cx)} {_n(height - bottom + 12)})">{_t(category)}</text>'
            )
        else:
            out.append(_wrapped_label(category, cx, height - bottom + 16, band))
    if len(series) > 1:
        out.append(_legend(series, left, 14))
    out.append("</svg>")
    return _figure("\n".join(out), title)


def _wrap(text: str, width_px: float, max_lines: int = 3) -> list[str]:
    """Split a label into lines that fit `width_px` (about 6 px per character at 11 px)."""
    limit = max(int(width_px / 6.0), 4)
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= limit:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines = lines[: max_lines - 1] + [" ".join(lines[max_lines - 1 :])]
    return lines or [""]


def _wrapped_label(text: str, x: float, y: float, width_px: float) -> str:
    lines = _wrap(text, width_px)
    spans = "".join(
        f'<tspan x="{_n(x)}" dy="{0 if i == 0 else 12}">{_t(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle">{spans}</text>'


def hbar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    value_fmt: Callable[[float], str] = compact,
    diverging: bool = False,
    color: str = PALETTE[0],
    width: int = 860,
) -> Markup:
    """Horizontal bars, one per label; `diverging` colours decreases green, increases red."""
    pairs = [(lab, v) for lab, v in zip(labels, values, strict=False) if v is not None]
    if not pairs:
        return no_data(title)
    row_h, top, bottom = 20, 8, 22
    label_w = min(280, max(80, 7.0 * max(len(str(lab)) for lab, _ in pairs)))
    left, right = label_w + 10, 56
    height = top + bottom + row_h * len(pairs)
    ticks = nice_ticks(min(v for _, v in pairs), max(v for _, v in pairs))
    lo, hi = ticks[0], ticks[-1]
    plot_w = width - left - right

    def x(v: float) -> float:
        return left + plot_w * (v - lo) / (hi - lo)

    out = [_svg_open(width, height, title)]
    for t in ticks:
        out.append(
            f'<line x1="{_n(x(t))}" x2="{_n(x(t))}" y1="{top}" y2="{height - bottom}" '
            'stroke="#e0e0e0"/>'
        )
        out.append(
            f'<text x="{_n(x(t))}" y="{height - 6}" text-anchor="middle" '
            f'fill="#555">{_t(value_fmt(t))}</text>'
        )
    out.append(
        f'<line x1="{_n(x(0))}" x2="{_n(x(0))}" y1="{top}" y2="{height - bottom}" stroke="#555"/>'
    )
    for i, (label, v) in enumerate(pairs):
        y0 = top + row_h * i
        x1, x2 = sorted((x(0), x(v)))
        fill = (NEGATIVE if v < 0 else POSITIVE if v > 0 else NEUTRAL) if diverging else color
        out.append(
            f'<text x="{_n(left - 6)}" y="{_n(y0 + 14)}" '
            f'text-anchor="end">{_t(_fit(label, label_w, 7.0))}'
            f"<title>{_t(label)}</title></text>"
        )
        out.append(
            f'<rect x="{_n(x1)}" y="{_n(y0 + 3)}" width="{_n(max(x2 - x1, 1.0))}" '
            f'height="{row_h - 6}" fill="{fill}">'
            f"<title>{_t(label)}: {_t(value_fmt(v))}</title></rect>"
        )
        lx, anchor = (x2 + 4, "start") if v >= 0 else (x1 - 4, "end")
        if v < 0 and x1 - 4 < left + 30:
            lx, anchor = x2 + 4, "start"
        out.append(
            f'<text x="{_n(lx)}" y="{_n(y0 + 14)}" text-anchor="{anchor}">{_t(value_fmt(v))}</text>'
        )
    out.append("</svg>")
    return _figure("\n".join(out), title)


def stacked_share_chart(
    title: str, labels: Sequence[str], segments: Sequence[Series], *, width: int = 860
) -> Markup:
    """100% horizontal stacked bars (e.g. Yes / Not Sure / No per survey question)."""
    if not labels or not any(v for s in segments for v in s.values if v):
        return no_data(title)
    row_h, top, bottom = 22, 30, 8
    label_w = min(360, max(80, 6.6 * max(len(str(lab)) for lab in labels)))
    left, right = label_w + 10, 10
    height = top + bottom + row_h * len(labels)
    plot_w = width - left - right
    out = [_svg_open(width, height, title), _legend(segments, left, 14)]
    for i, label in enumerate(labels):
        y0 = top + row_h * i
        total = sum((s.values[i] or 0) for s in segments) or 1.0
        cursor = float(left)
        out.append(
            f'<text x="{_n(left - 6)}" y="{_n(y0 + 15)}" '
            f'text-anchor="end">{_t(_fit(label, label_w, 6.6))}'
            f"<title>{_t(label)}</title></text>"
        )
        for j, s in enumerate(segments):
            v = s.values[i] or 0
            w = plot_w * v / total
            if w <= 0:
                continue
            color = s.color or PALETTE[j % len(PALETTE)]
            out.append(
                f'<rect x="{_n(cursor)}" y="{_n(y0 + 3)}" width="{_n(w)}" height="{row_h - 6}" '
                f'fill="{color}">'
                f"<title>{_t(label)}, {_t(s.name)}: {v / total * 100:.1f}%</title></rect>"
            )
            if w > 34:
                out.append(
                    f'<text x="{_n(cursor + w / 2)}" y="{_n(y0 + 15)}" text-anchor="middle" '
                    'fill="#fff">'
                    f"{v / total * 100:.0f}%</text>"
                )
            cursor += w
    out.append("</svg>")
    return _figure("\n".join(out), title)


def line_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    value_fmt: Callable[[float], str] = compact,
    width: int = 860,
    height: int = 300,
) -> Markup:
    """Lines over ordered categories (quarters); gaps where a value is missing."""
    values = [v for s in series for v in s.values if v is not None]
    if not categories or not values:
        return no_data(title)
    ticks = nice_ticks(min(values), max(values))
    lo, hi = ticks[0], ticks[-1]
    crowded = len(categories) > 10
    left, right, top, bottom = 56, 44, 34 if len(series) > 1 else 16, 64 if crowded else 30
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(categories) - 1, 1)

    def y(v: float) -> float:
        return top + plot_h * (hi - v) / (hi - lo)

    def x(i: int) -> float:
        return left + step * i if len(categories) > 1 else left + plot_w / 2

    out = [_svg_open(width, height, title)]
    for t in ticks:
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{_n(y(t))}" y2="{_n(y(t))}" '
            'stroke="#e0e0e0"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{_n(y(t) + 4)}" text-anchor="end" '
            f'fill="#555">{_t(value_fmt(t))}</text>'
        )
    for i, category in enumerate(categories):
        if crowded:
            out.append(
                f'<text x="{_n(x(i))}" y="{_n(height - bottom + 12)}" text-anchor="end" '
                f'transform="rotate(-45 {_n(x(i))} {_n(height - bottom + 12)})">'
                f"{_t(category)}</text>"
            )
        else:
            out.append(
                f'<text x="{_n(x(i))}" y="{_n(height - bottom + 16)}" '
                f'text-anchor="middle">{_t(category)}</text>'
            )
    for j, s in enumerate(series):
        color = s.color or PALETTE[j % len(PALETTE)]
        segment: list[str] = []
        paths: list[list[str]] = []
        for i, v in enumerate(s.values):
            if v is None:
                if segment:
                    paths.append(segment)
                segment = []
                continue
            segment.append(f"{_n(x(i))},{_n(y(v))}")
            out.append(
                f'<circle cx="{_n(x(i))}" cy="{_n(y(v))}" r="2.5" fill="{color}">'
                f"<title>{_t(categories[i])}, {_t(s.name)}: {_t(value_fmt(v))}</title></circle>"
            )
        if segment:
            paths.append(segment)
        for points in paths:
            out.append(
                f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" '
                'stroke-width="2"/>'
            )
    if len(series) > 1:
        out.append(_legend(series, left, 14))
    out.append("</svg>")
    return _figure("\n".join(out), title)

"""Text safety and wording helpers shared by the workbook and the HTML pack.

- `neutralise_formula`: the one helper against spreadsheet formula injection.
- `neutralise_urls`: strips URL schemes from text coming from data, so the self-contained
  HTML pack never carries an `http://` / `https://` reference (nor a link a reader could
  follow by accident).
- `render_markdown`: a deliberately tiny, escape-first markdown subset for case studies.
- `number_word`: "three instances", "Four proactively identified jobs" as the pack writes.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# Cells starting with these are interpreted as formulas (or DDE) by Excel/LibreOffice.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

# Characters that are illegal in XML 1.0 (openpyxl refuses them): control chars except \t \n \r.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise_formula(value: str) -> str:
    """Make a text cell inert in a spreadsheet: prefix `'` when it starts with a formula trigger.

    `=HYPERLINK("...")` becomes `'=HYPERLINK("...")`, which Excel and LibreOffice show as text.
    Characters illegal in XML are dropped so that writing never fails on odd source text.
    """
    text = _ILLEGAL_XML.sub("", str(value))
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


# Any scheme-qualified URL (http, https, ftp, file, ...) or protocol-relative `//host`.
_URL_SCHEME = re.compile(r"(?i)(?:https?|ftps?|file|wss?)\s*:\s*/+")
_PROTOCOL_RELATIVE = re.compile(r"(?<![:/\w])//(?=[\w.-]+\.[a-z]{2,})", re.IGNORECASE)


def neutralise_urls(text: str) -> str:
    """Drop URL schemes so that `https://host/path` is shown as the plain text `host/path`."""
    text, previous = str(text), None
    while text != previous:  # "hthttp://tp://" must not collapse into a new "http://"
        previous = text
        text = _PROTOCOL_RELATIVE.sub("", _URL_SCHEME.sub("", text))
    return text


def contains_url_reference(text: str) -> bool:
    lowered = text.lower()
    return "http://" in lowered or "https://" in lowered


_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_BULLET = re.compile(r"^\s*[-*\u2022]\s+(.*)$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
# Headings nest under the case study's own <h3> title: `#` and `##` -> h4, deeper -> h5.
_HEADING_TAG = {1: "h4", 2: "h4"}


def _inline(text: str) -> Markup:
    """Escape first, then turn `**bold**` into <strong>; nothing else is interpreted."""
    escaped = str(escape(neutralise_urls(text)))
    return Markup(_BOLD.sub(r"<strong>\1</strong>", escaped))


def render_markdown(source: str | None, drop_heading: str | None = None) -> Markup:
    """Render a tiny, safe markdown subset: paragraphs, `#` headings, `-`/`*` bullet lists and
    `**bold**`. A first heading equal to `drop_heading` (the title shown above) is left out.

    Every character of the source is HTML-escaped before any markup is added, so a
    `<script>` in a case study appears as text. Links, images and raw HTML are not supported
    (URL schemes are stripped from the text).
    """
    if not source:
        return Markup("")
    lines = str(source).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []

    def flush_paragraph() -> None:
        if paragraph:
            out.append("<p>" + "<br>\n".join(str(_inline(p)) for p in paragraph) + "</p>")
            paragraph.clear()

    def flush_items() -> None:
        if items:
            out.append("<ul>\n" + "\n".join(f"<li>{_inline(i)}</li>" for i in items) + "\n</ul>")
            items.clear()

    first_block = True
    for line in lines:
        heading = _HEADING.match(line)
        bullet = _BULLET.match(line)
        if heading:
            flush_paragraph()
            flush_items()
            text = heading.group(2)
            duplicate = (
                first_block
                and drop_heading is not None
                and text.strip().lower() == drop_heading.strip().lower()
            )
            if not duplicate:
                tag = _HEADING_TAG.get(len(heading.group(1)), "h5")
                out.append(f"<{tag}>{_inline(text)}</{tag}>")
        elif bullet:
            flush_paragraph()
            items.append(bullet.group(1).strip())
        elif not line.strip():
            flush_paragraph()
            flush_items()
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()  # continuation of a bullet
        else:
            flush_items()
            paragraph.append(line.strip())
        if line.strip():
            first_block = False
    flush_paragraph()
    flush_items()
    return Markup("\n".join(out))


_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def number_word(value: int, capitalise: bool = False) -> str:
    """0..10 as a word ("three"), larger numbers with thousands separators ("1,059")."""
    if 0 <= value < len(_WORDS):
        word = _WORDS[value]
        return word.capitalize() if capitalise else word
    return f"{value:,}"


def join_words(parts: list[str], conjunction: str = "and") -> str:
    """["a"] -> "a"; ["a", "b"] -> "a and b"; ["a", "b", "c"] -> "a, b and c"."""
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {conjunction} " + parts[-1]


def humanise(identifier: str) -> str:
    """`in_progress` -> `In progress`, `q1_referral_clear` -> `Q1 referral clear`."""
    text = str(identifier).replace("_", " ").strip()
    return text[:1].upper() + text[1:]

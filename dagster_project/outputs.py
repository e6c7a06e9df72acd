"""What an operator opens from the Dagster UI: the published outputs and links to them.

Browsers refuse `file://` links on an `http://` page, so the published folders are served
read-only over HTTP on 127.0.0.1 by `outputs_server` (started by `make dev` beside the
webserver) and the assets' metadata carries `http://` links into it.

TOEX_OUTPUTS_PORT  port of that server (default 3080)
TOEX_OUTPUTS_URL   base URL of the links, when served from elsewhere (default http://127.0.0.1:<port>)
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

import dagster as dg

DEFAULT_PORT = 3080
PUBLICATION_KEY = dg.AssetKey(
    ["exports", "quarter_exports"]
)  # the asset whose partitions are the publications


def port() -> int:
    return int(os.environ.get("TOEX_OUTPUTS_PORT", DEFAULT_PORT))


def base_url() -> str:
    return os.environ.get("TOEX_OUTPUTS_URL", f"http://127.0.0.1:{port()}").rstrip("/")


def output_roots(data_dir: Path, exports: Path | None = None) -> dict[str, Path]:
    """URL prefix → folder; only these are served. The analysts' copy and dbt docs
    (defs/exports.py) and the GX Data Docs (quality/gate.py) sit in the data folder."""
    from dagster_project.quality.gate import docs_dir

    data_dir = Path(data_dir)
    return {
        "exports": Path(exports) if exports else data_dir / "exports",
        "published": data_dir / "published",
        "gx_docs": docs_dir(data_dir),
    }


def url_for(path: str | Path, roots: dict[str, Path]) -> str | None:
    """The link to a file or folder under one of `roots`; None if it is outside them. Symlinks
    are kept as they are, so a link to `exports/<slug>/` follows the quarter's live version."""
    path = Path(os.path.abspath(path))
    for prefix, root in roots.items():
        root = Path(os.path.abspath(root))
        if path == root or root in path.parents:
            rel = path.relative_to(root).as_posix()
            return (
                f"{base_url()}/{prefix}/"
                + quote("" if rel == "." else rel)
                + ("/" if path.is_dir() else "")
            )
    return None


def link(path: str | Path, roots: dict[str, Path]) -> dg.MetadataValue:
    """A link that opens from the UI when the path is served, else the plain path."""
    url = url_for(path, roots)
    return dg.MetadataValue.url(url) if url else dg.MetadataValue.path(str(path))


def current_publication(exports: Path, quarter_slug: str) -> dict | None:
    """The manifest of the quarter's live publication (what readers of `exports/<slug>` get)."""
    manifest = Path(exports) / quarter_slug / "manifest.json"
    try:
        return json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def publication_summary(manifest: dict | None, quarter_label: str) -> str:
    """One line on what stays published, for a failed run's message."""
    if not manifest:
        return f"nothing has been published for {quarter_label} yet"
    return (
        f"{quarter_label} as published by run {manifest.get('run_id', '?')} at "
        f"{manifest.get('published_at', '?')} stays published"
    )

"""The README's analyst queries run as written, on the demo run's published copy (the analysts'
DuckDB file and its Parquet), and return rows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[1] / "README.md"


def analyst_blocks() -> list[str]:
    section = README.read_text().split("## For analysts", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_readme_has_duckdb_and_pandas_examples():
    blocks = analyst_blocks()
    assert len(blocks) == 2 and "duckdb.connect" in blocks[0] and "read_parquet" in blocks[1]


@pytest.mark.parametrize("index", [0, 1])
def test_readme_analyst_block_runs(demo_run, index):
    settings, outcome, _ = demo_run
    assert outcome.step_failures == []
    # The README's paths are the default data folder's; the demo run publishes into its own.
    code = analyst_blocks()[index].replace('"data/published/', f'"{settings.data_dir}/published/')
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README block {index + 1}", "exec"), {})
    text = out.getvalue()
    assert "Empty DataFrame" not in text and not re.search(r"(?<!\d)0 rows", text), text
    assert "2025-26 Q1" in text or index == 1

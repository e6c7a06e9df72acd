"""`toex` ends its process without Python's module teardown (cli.entry), and loses nothing."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import atexit, sys
from dagster_project import cli
atexit.register(lambda: print("atexit handler ran"))
print("buffered output, ", end="")
sys.argv = ["toex", "run", "--quarter", "not-a-quarter", "--extracts", "."]
cli.entry()
print("never printed")
"""


def test_entry_keeps_the_exit_code_runs_atexit_handlers_and_flushes_output():
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2, done.stderr  # EXIT_USAGE
    assert done.stdout == "buffered output, atexit handler ran\n"
    assert "toex: error: not a financial quarter: 'not-a-quarter'" in done.stderr


def test_the_console_script_and_python_m_use_entry():
    from pathlib import Path

    import dagster_project.cli as cli

    source = Path(cli.__file__).read_text()
    assert source.rstrip().endswith('if __name__ == "__main__":\n    entry()')
    pyproject = (Path(cli.__file__).parent.parent / "pyproject.toml").read_text()
    assert 'toex = "dagster_project.cli:entry"' in pyproject

"""The benchmark's own measurements: CPU of a command's whole process tree, and what a ratio
target leaves in CPU."""

import sys

import pytest

from benchmarks.procmon import run_measured
from benchmarks.scale import cpu_budget

# A parent that waits for a child which burns ~0.6 s of CPU: the tree's CPU must include it.
BUSY_CHILD = (
    "import subprocess, sys;"
    "subprocess.run([sys.executable, '-c',"
    " 'import time\\nt=time.process_time()\\nwhile time.process_time()-t<0.6: pass'], check=True)"
)


def test_run_measured_counts_the_cpu_of_descendants():
    m = run_measured([sys.executable, "-c", BUSY_CHILD])
    assert m.returncode == 0
    assert m.cpu_s >= 0.6
    assert m.cpu_s <= m.wall_s * 2 + 0.5
    # the samples see the child's CPU too (reaped into the parent's cutime/cstime), so a stretch
    # of the run has a CPU figure; one clock tick and one sample interval of slack each end
    sampled = m.cpu_between(m.started, m.ended)
    assert 0.4 <= sampled <= m.cpu_s + 0.05


def test_cpu_budget_is_the_cores_time_at_the_target_less_the_floors_cpu(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    text = cpu_budget({"cpu_s": 45.0}, {"wall_s": 13.5, "cpu_s": 26.5}, 1.5)
    # 2 cores x 1.5 x 13.5 s = 40.5 CPU s, less the floor's 26.5
    assert "at most 14.0 s beyond the floor's 26.5 s" in text
    assert "spent 18.5 s beyond it" in text


@pytest.mark.parametrize("missing", [{}, {"cpu_s": 0.0}])
def test_cpu_budget_is_silent_without_cpu_figures(missing):
    assert cpu_budget(missing, {"wall_s": 1.0, "cpu_s": 1.0}, 1.5) == ""


def test_targets_judge_the_floor_and_show_the_capped_floor_beside_it():
    from benchmarks.scale import targets

    run = {
        "scale": 1000,
        "pipeline": {"wall_s": 192.3, "peak_bytes": 1_792 * 2**20, "rows_read": 1},
        "floor": {"returncode": 0, "wall_s": 120.8, "peak_bytes": 5_310 * 2**20},
        "floor_capped": {
            "returncode": 0,
            "wall_s": 136.4,
            "peak_bytes": 1_500 * 2**20,
            "memory_limit": "1GB",
        },
    }
    text = targets([run])
    # judged against the floor as defined (80 % of RAM), not the capped one
    assert "192.3 s ÷ 120.8 s = 1.6×, **missed**" in text
    assert "memory cap (1GB, peak 1,500 MiB against 5,310): 192.3 s ÷ 136.4 s = 1.41×" in text

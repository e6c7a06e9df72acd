"""The processes that load the definitions do not import dbt-core (dbt_project.py: dagster-dbt
only reads the manifest and dbt's events there; ~1.3 CPU s of start-up, docs/SCALE_LOG.md "fixed6"),
and the definitions are the same as with dbt-core imported: every asset with its dependencies,
group, owners, description and metadata, every check, both jobs' steps."""

from __future__ import annotations

import json
import re
import subprocess
import sys

DESCRIBE = """
import json, re, sys
if sys.argv[1] == "with-dbt":
    import dbt.version  # noqa: F401  (imported first: dagster-dbt then uses dbt-core)
from dagster_project.definitions import build_definitions
from dagster_project.settings import Settings

defs = build_definitions(Settings.from_env())
graph = defs.resolve_asset_graph()
bare = lambda v: re.sub(r" at 0x[0-9a-f]+", "", repr(v))  # object addresses differ per process
mods = sys.modules.items()
out = {
    "dbt-core imported": any(v and (m == "dbt" or m.startswith("dbt.")) for m, v in mods),
    "jobs": {j: sorted(n.name for n in defs.resolve_job_def(j).graph.nodes)
             for j in ("toex_quarterly", "toex_publish")},
    "checks": sorted(k.to_user_string() for k in graph.asset_check_keys),
    "assets": {s.key.to_user_string(): bare((sorted(d.asset_key.to_user_string() for d in s.deps),
               s.group_name, s.owners, s.description, sorted(s.kinds),
               sorted((k, bare(v)) for k, v in s.metadata.items() if k != "dagster_dbt/manifest")))
               for s in defs.resolve_all_asset_specs()},
}
print(json.dumps(out))
"""


def _describe(mode: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", DESCRIBE, mode], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_definitions_load_without_dbt_core_and_equal_those_with_it():
    without, with_dbt = _describe("plain"), _describe("with-dbt")
    assert without.pop("dbt-core imported") is False
    assert with_dbt.pop("dbt-core imported") is True
    assert "toex_dbt_models" in without["jobs"]["toex_publish"]
    assert len(without["checks"]) > 30 and len(without["assets"]) > 90, without["checks"]
    assert without == with_dbt
    assert not any(re.search(r" at 0x", v) for v in without["assets"].values())

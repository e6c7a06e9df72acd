"""The contracts in YAML say what ../shared/spec/EXTRACTS.md says."""

from __future__ import annotations

import re

from spec_files import shared_spec

from dagster_project.contract import code_lists, contracts, force_team


def _spec_tables() -> dict[str, list[dict]]:
    """{extract: [{column, type, required}]} parsed from the spec's markdown tables."""
    tables: dict[str, list[dict]] = {}
    current = None
    for line in shared_spec("EXTRACTS.md").read_text().splitlines():
        m = re.match(r"^### (\w+)", line)
        if m:
            current = m.group(1)
            tables[current] = []
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if (
            current
            and line.startswith("|")
            and len(cells) >= 3
            and cells[0] not in ("column", "---")
        ):
            tables[current].append(
                {"column": cells[0], "type": cells[1], "required": cells[2] == "yes"}
            )
    return tables


def test_contracts_match_the_spec():
    spec = _spec_tables()
    assert set(spec) == set(contracts()), "one contract per extract of EXTRACTS.md"
    for extract, rows in spec.items():
        c = contracts()[extract]
        assert [r["column"] for r in rows] == c.names, extract
        for r in rows:
            col = c.column(r["column"])
            assert col.required == r["required"], f"{extract}.{col.name} required"
            spec_type = r["type"].split()[0]  # 'ref operations' -> 'ref'
            assert col.type == ("text" if spec_type == "ref" else spec_type), (
                f"{extract}.{col.name} type"
            )
            if spec_type == "ref":
                assert col.references == (r["type"].split()[1], "operation_ref")


def test_code_lists():
    lists = code_lists()
    assert len(lists["team"]) == 11
    assert len(lists["force"]) == 47
    assert sum(1 for t in force_team().values() if t) == 43, (
        "the 43 territorial forces each have a ROCU"
    )
    assert set(force_team().values()) - {None} == set(lists["team"]) - {"TOEX NT"}
    assert set(lists["organisation"]) == set(lists["force"]) | set(lists["team"])
    assert {"CE", "DP"} < set(lists["cost_centre"])


def test_personal_columns_are_declared():
    personal = {
        (c.extract, col.name): col.personal
        for c in contracts().values()
        for col in c.personal_columns
    }
    assert personal == {
        ("client_feedback", "respondent_email"): "pseudonymise",
        ("staff_survey", "respondent_id"): "pseudonymise",
        ("hr_staff", "staff_number"): "pseudonymise",
        ("hr_staff", "full_name"): "drop",
        ("platform_users", "user_id"): "pseudonymise",
    }


def test_keys_and_references_resolve():
    for c in contracts().values():
        assert set(c.key) <= set(c.names)
        for ref_extract, ref_col in c.references.values():
            assert ref_col in contracts()[ref_extract].key
    order = list(contracts())
    assert order.index("operations") < order.index("disruptions"), "referenced extracts load first"

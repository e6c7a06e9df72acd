"""Personal columns never reach the warehouse in clear."""

from __future__ import annotations

import duckdb
import pytest
from sample_data import OPERATIONS_OK, TEST_KEY

from dagster_project.ingest import pseudonym

FEEDBACK = (
    "response_id,submitted_date,operation_ref,respondent_email,q1_referral_clear\n"
    "R1,2025-05-01,TARIAN Op 49,Jane.Doe@south-wales.police.uk ,Strongly Agree\n"
    "R2,2025-05-02,TARIAN Op 49,jane.doe@south-wales.police.uk,Not a likert\n"
)
STAFF = (
    "staff_number,full_name,team,start_date,end_date,leaving_reason,promoted_date\n"
    "SN100234,Jane Doe,TARIAN,2022-01-10,,,\n"
    "SN100999,John Smith,TARIAN,2022-01-10,01/01/2020,,\n"
)


def test_sql_hmac_equals_python_hmac():
    con = duckdb.connect()
    values = ["a@b.uk", " Mixed.Case@Force.police.uk ", "SN0001", "ünïcödé"]

    def sql(v, key=TEST_KEY):
        return con.execute(
            f"SELECT {pseudonym.hmac_sql('v', key)} FROM (SELECT CAST(? AS VARCHAR) AS v)", [v]
        ).fetchone()[0]

    got = [sql(v) for v in values]
    assert got == [pseudonym.pseudonymise(v, TEST_KEY) for v in values]
    assert sql(None) is None
    long_key = b"k" * 100  # keys longer than the block are hashed first, as RFC 2104 says
    assert sql("x", long_key) == pseudonym.pseudonymise("x", long_key)


def test_same_person_same_pseudonym_and_key_matters():
    a = pseudonym.pseudonymise("Jane.Doe@x.uk ", TEST_KEY)
    assert a == pseudonym.pseudonymise("jane.doe@x.uk", TEST_KEY)
    assert a != pseudonym.pseudonymise("jane.doe@x.uk", b"another key")


def test_no_clear_personal_value_anywhere_in_the_warehouse(deliveries):
    got = deliveries.ingest(
        {"operations.csv": OPERATIONS_OK, "client_feedback.csv": FEEDBACK, "hr_staff.csv": STAFF}
    )
    con = got.con
    clear = ["jane.doe", "Jane Doe", "John Smith", "SN100234", "SN100999", "police.uk"]
    hits = []
    for schema, table, column in con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE data_type LIKE 'VARCHAR%' OR data_type LIKE '%[]'"
    ).fetchall():
        for needle in clear:
            n = con.execute(
                f'SELECT count(*) FROM "{schema}"."{table}" '
                f'WHERE contains(lower(CAST("{column}" AS VARCHAR)), lower(?))',
                [needle],
            ).fetchone()[0]
            if n:
                hits.append((schema, table, column, needle))
    assert hits == []
    emails = con.execute("SELECT DISTINCT respondent_email FROM raw.client_feedback").fetchall()
    assert emails == [(pseudonym.pseudonymise("jane.doe@south-wales.police.uk", TEST_KEY),)]
    assert "full_name" not in [r[0] for r in con.execute("DESCRIBE raw.hr_staff").fetchall()]
    assert (
        con.execute(
            "SELECT count(*) FROM ingest.quarantine "
            "WHERE extract IN ('client_feedback', 'hr_staff')"
        ).fetchone()[0]
        == 2
    )


def test_refuses_without_key_outside_demo_mode():
    with pytest.raises(pseudonym.MissingPseudonymKey, match="TOEX_PSEUDONYM_KEY"):
        pseudonym.resolve_key()


def test_demo_mode_uses_labelled_development_key(monkeypatch, caplog):
    monkeypatch.setenv("TOEX_DEMO", "1")
    assert pseudonym.resolve_key(synthetic_demo=True) == pseudonym.DEV_KEY.encode()
    assert "DEMO MODE" in caplog.text


def test_environment_key_wins(monkeypatch):
    monkeypatch.setenv("TOEX_DEMO", "1")
    monkeypatch.setenv("TOEX_PSEUDONYM_KEY", "s" * 32)
    assert pseudonym.resolve_key(synthetic_demo=True) == b"s" * 32

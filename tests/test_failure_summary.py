"""A failed run's last line names the cause in plain words (failure.describe), from real
exceptions as Dagster records them."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import time

import dagster as dg
import duckdb
import pytest
from dagster._core.errors import DagsterExecutionStepExecutionError
from dagster._utils.error import serializable_error_info_from_exc_info

from dagster_project import warehouse
from dagster_project.failure import describe, one_line
from dagster_project.ingest import pseudonym
from dagster_project.ingest.reader import FileRejected, read_csv


def _as_dagster_records_it(exc: BaseException):
    """`exc` raised inside a step: Dagster wraps it, and keeps the chain serialised."""
    try:
        try:
            raise exc
        except BaseException as inner:
            raise DagsterExecutionStepExecutionError(
                'Error occurred while executing op "exports__quarter_exports":',
                user_exception=inner,
                original_exc_info=sys.exc_info(),
                step_key="exports__quarter_exports",
                op_name="exports__quarter_exports",
                op_def_name="exports__quarter_exports",
            ) from inner
    except DagsterExecutionStepExecutionError:
        return serializable_error_info_from_exc_info(sys.exc_info())


def test_disk_full_names_the_file():
    err = OSError(
        errno.ENOSPC, os.strerror(errno.ENOSPC), "/data/exports/.versions/x/kpi_values.parquet"
    )
    assert (
        describe(_as_dagster_records_it(err))
        == "disk full writing /data/exports/.versions/x/kpi_values.parquet"
    )


def test_read_only_folder_names_the_folder():
    err = OSError(errno.EROFS, os.strerror(errno.EROFS), "/data/published/.toex.duckdb.tmp")
    assert describe(_as_dagster_records_it(err)) == "read-only: /data/published/.toex.duckdb.tmp"


def test_disk_full_below_a_wrapping_error_is_still_found():
    try:
        try:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/w/toex.duckdb.wal")
        except OSError as exc:
            raise RuntimeError("publication failed") from exc
    except RuntimeError as wrapped:
        assert describe(_as_dagster_records_it(wrapped)) == "disk full writing /w/toex.duckdb.wal"


def test_missing_pseudonym_key(monkeypatch):
    monkeypatch.delenv("TOEX_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("TOEX_DEMO", raising=False)
    with pytest.raises(pseudonym.MissingPseudonymKey) as caught:
        pseudonym.resolve_key()
    line = describe(_as_dagster_records_it(caught.value))
    assert line.startswith("no TOEX_PSEUDONYM_KEY set")


def test_held_warehouse_names_the_process(tmp_path):
    db = tmp_path / "toex.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with (
            pytest.raises(warehouse.WarehouseBusy) as caught,
            warehouse.connect(db, wait_seconds=0),
        ):
            pass
        line = describe(_as_dagster_records_it(caught.value))
        assert line.startswith(f"warehouse in use by process {holder.pid} "), line
        assert str(db) in line
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize(
    "body",
    [
        b"sep=,\nid,name\n1,a\n2,b,c,d\n",
        b'id,name\r\n1,a\n2,b\r3,c\r\n4,"d\re"\n5,e,f\n',
    ],
)
def test_csv_errors_are_one_line_naming_the_file(tmp_path, body):
    path = tmp_path / "disruptions.csv"
    path.write_bytes(body)
    con = duckdb.connect()
    try:
        read_csv(con, path, "t", "disruptions.csv")
    except FileRejected as exc:
        line = one_line(str(exc), type(exc).__name__)
        assert "\n" not in line and line.startswith("disruptions.csv"), line
        assert len(line) <= 300
    # read without error: the ingest rules account for every row (not this test's subject)


def test_a_plain_error_keeps_its_class_and_first_line():
    line = describe(_as_dagster_records_it(KeyError("kpi_values")))
    assert line == "KeyError: 'kpi_values'"


def test_a_real_step_failure_from_a_job():
    @dg.op
    def write_export():
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/x/exports/q.csv")

    @dg.job
    def job():
        write_export()

    started = time.monotonic()
    result = job.execute_in_process(raise_on_error=False, instance=dg.DagsterInstance.ephemeral())
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE)
    assert failure.step_failure_data.error.cls_name == "DagsterExecutionStepExecutionError"
    assert describe(failure.step_failure_data.error) == "disk full writing /x/exports/q.csv"
    assert time.monotonic() - started < 60


@pytest.mark.slow
@pytest.mark.runs(0.2)
def test_cli_run_against_a_held_warehouse_says_who_holds_it(tmp_path):
    """End to end: another process holds the DuckDB file; `toex run`'s last lines name it."""
    data = tmp_path / "data"
    db = data / "warehouse" / "toex.duckdb"
    db.parent.mkdir(parents=True)
    delivery = tmp_path / "delivery"
    delivery.mkdir()
    (delivery / "capabilities.csv").write_text("capability_id,name\n1,x\n")
    env = {
        **os.environ,
        "TOEX_DATA_DIR": str(data),
        "TOEX_HOME": str(tmp_path),
        "TOEX_DEMO": "1",
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "TOEX_WAREHOUSE_WAIT": "2",  # it gives up as after the default 30 s, only sooner
    }
    for k in ("TOEX_WAREHOUSE", "TOEX_LANDING", "TOEX_EXPORTS", "TOEX_INBOX"):
        env.pop(k, None)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
            "print('held', flush=True); time.sleep(600)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "dagster_project.cli",
                "run",
                "--extracts",
                str(delivery),
                "--quarter",
                "2025-26-Q1",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [ln for ln in done.stderr.splitlines() if ln.startswith("toex: step failed:")]
    assert failed and f"warehouse in use by process {holder.pid}" in failed[0], done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert len((done.stdout + done.stderr).splitlines()) <= 20, done.stdout + done.stderr


def test_the_platforms_own_errors_lose_their_module_path():
    err = FileRejected(
        "disruptions.csv: the CSV reader could not read the file (Invalid Input Error: state.\n"
        "Possible fixes:\n* Disable the parser's strict mode\n  file = x.csv\n"
    )
    line = describe(_as_dagster_records_it(err))
    assert (
        line
        == "disruptions.csv: the CSV reader could not read the file (Invalid Input Error: state…)"
    ), line

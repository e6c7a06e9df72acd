"""Security and faults (issue 12, cases 11-15): replay ids, hard links, the pseudonym key and
demo mode, published files' modes, and the analysts' Parquet folder swapped atomically.
Fast: no pipeline run (docs/RELIABILITY.md, "Security and faults")."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import duckdb
import pytest
from sample_data import OPERATIONS_OK

from dagster_project import cli
from dagster_project.ingest import delivery as deliveries
from dagster_project.ingest import load, pseudonym
from dagster_project.publish import folders, permissions

STRONG_KEY = "k" * pseudonym.MIN_KEY_BYTES
# content is not read before the key check
FEEDBACK = "feedback_id,respondent_email\n1,jane.doe@example.org\n"
EVIL = "../../../../evil/evil"


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _folder(root: Path, files: dict[str, str], name: str = "delivery") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    for file_name, body in files.items():
        (folder / file_name).write_text(body)
    return folder


def _nothing_landed(landing: Path) -> bool:
    return not any(p.is_file() for p in landing.rglob("*")) if landing.exists() else True


def _nothing_registered(warehouse: Path) -> bool:
    """No delivery registered and no raw table loaded (the step may open the warehouse to choose
    the delivery; the key is checked before anything is written to it)."""
    if not warehouse.exists():
        return True
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT schema_name || '.' || table_name FROM duckdb_tables()"
            ).fetchall()
        }
        registered = (
            con.execute("SELECT count(*) FROM ingest.deliveries").fetchone()[0]
            if "ingest.deliveries" in tables
            else 0
        )
        return registered == 0 and not any(t.startswith("raw.") for t in tables)
    finally:
        con.close()


@pytest.fixture
def data_env(tmp_path, monkeypatch):
    """`toex` pointed at a scratch data folder."""
    data = tmp_path / "data"
    for name, value in {
        "TOEX_HOME": tmp_path,
        "TOEX_DATA_DIR": data,
        "TOEX_LANDING": data / "landing",
        "TOEX_WAREHOUSE": data / "warehouse" / "toex.duckdb",
        "TOEX_EXPORTS": data / "exports",
        "TOEX_INBOX": data / "inbox",
        "DAGSTER_HOME": tmp_path / "dagster_home",
    }.items():
        monkeypatch.setenv(name, str(value))
    return data


# --- 11: replay ids -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        EVIL,
        "x",
        "",
        "20250630T120000Z-1a2b3c4d/../../x",
        "20250630T120000Z-1A2B3C4D",
        "/etc/passwd",
        "20250630T120000Z-1a2b3c4d.json",
        "20250630T120000Z-1a2b3c4d\n",
    ],
)
def test_a_replay_id_must_have_the_landed_form(bad):
    with pytest.raises(deliveries.InvalidDeliveryId, match="is not a delivery id"):
        deliveries.check_delivery_id(bad)


def test_the_ids_land_gives_are_valid_and_replay(tmp_path):
    d = deliveries.land(_folder(tmp_path, {"operations.csv": OPERATIONS_OK}), tmp_path / "landing")
    assert deliveries.check_delivery_id(d.delivery_id) == d.delivery_id
    assert deliveries.load_manifest(tmp_path / "landing", d.delivery_id) == d


def _evil_setup(tmp_path: Path) -> tuple[Path, Path]:
    """The issue's attack: a manifest and a file outside the landing area, reached by `..`."""
    landing = tmp_path / "a" / "b" / "c" / "landing"
    (landing / "deliveries").mkdir(parents=True)
    evil = tmp_path / "a" / "evil"
    evil.mkdir(parents=True)
    outside = evil / "operations.csv"
    outside.write_text(OPERATIONS_OK)
    sha = deliveries.sha256_file(outside)
    manifest = {
        "delivery_id": EVIL,
        "source_dir": str(evil),
        "arrived_at": "2025-06-30T12:00:00Z",
        "unexpected": [],
        "files": {
            "operations": {
                "extract": "operations",
                "file_name": "operations.csv",
                "sha256": sha,
                "bytes": 1,
                "landed_path": str(outside),
            }
        },
    }
    (evil / "evil.json").write_text(json.dumps(manifest))
    return landing, evil


def test_replay_never_reads_outside_the_landing_area(tmp_path):
    landing, _ = _evil_setup(tmp_path)
    assert (landing / "deliveries" / f"{EVIL}.json").resolve().exists(), (
        "the path the old code read"
    )
    with pytest.raises(deliveries.InvalidDeliveryId):
        deliveries.load_manifest(landing, EVIL)


def test_a_manifest_naming_an_object_outside_objects_is_refused(tmp_path):
    landing = tmp_path / "landing"
    d = deliveries.land(_folder(tmp_path, {"operations.csv": OPERATIONS_OK}), landing)
    path = landing / "deliveries" / f"{d.delivery_id}.json"
    body = json.loads(path.read_text())
    outside = tmp_path / "outside.csv"
    outside.write_text(OPERATIONS_OK + "EVIL Op 1,EVIL,Nowhere,2023-01-01,,Y\n")
    # An altered landed_path is never followed: objects are found by hash under this landing area.
    body["files"]["operations"]["landed_path"] = str(outside)
    os.chmod(path, 0o600)
    path.write_text(json.dumps(body))
    assert deliveries.load_manifest(landing, d.delivery_id).files["operations"].landed_path == str(
        landing / "objects" / d.files["operations"].sha256
    )
    # A hash that is a path, or names no object of ours, is refused.
    for sha in ("../../outside.csv", deliveries.sha256_file(outside)):
        body["files"]["operations"]["sha256"] = sha
        path.write_text(json.dumps(body))
        with pytest.raises(deliveries.DeliveryError, match="not a landed extract file|is not in"):
            deliveries.load_manifest(landing, d.delivery_id)
    # A manifest that is a symlink out of landing/deliveries, or claims another id, is refused.
    path.unlink()
    (tmp_path / "elsewhere.json").write_text(json.dumps({**body, "delivery_id": d.delivery_id}))
    path.symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(deliveries.DeliveryError, match="no landed delivery"):
        deliveries.load_manifest(landing, d.delivery_id)


def test_validated_parquet_is_never_written_outside_landing(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw; CREATE TABLE raw.operations AS SELECT 1 AS x")
    with pytest.raises(deliveries.InvalidDeliveryId):
        load.export_validated(con, "operations", tmp_path / "landing", EVIL)
    assert not (tmp_path / "evil").exists()


def test_cli_replay_of_a_path_is_a_usage_error_and_touches_nothing(tmp_path, data_env, capsys):
    _, evil = _evil_setup(tmp_path)
    before = sorted(p.name for p in evil.iterdir())
    code = cli.main(["run", "--replay", EVIL, "--quarter", "2025-26-Q1"])
    assert code == cli.EXIT_USAGE
    assert "is not a delivery id" in capsys.readouterr().err
    assert sorted(p.name for p in evil.iterdir()) == before, (
        "nothing written outside the landing area"
    )
    assert not (data_env / "warehouse").exists(), "refused before the run started"


def test_cli_replay_of_an_unknown_id_is_a_usage_error(data_env, capsys):
    assert (
        cli.main(["run", "--replay", "20250630T120000Z-1a2b3c4d", "--quarter", "2025-26-Q1"])
        == cli.EXIT_USAGE
    )
    assert "no landed delivery" in capsys.readouterr().err


def _materialise_delivery(tmp_path: Path, config: dict):
    import dagster as dg

    from dagster_project.defs.ingest import delivery
    from dagster_project.fiscal import Quarter
    from dagster_project.partitions import ensure_quarter_partitions
    from dagster_project.resources import PlatformPaths, WarehouseResource

    paths = PlatformPaths(
        inbox=str(tmp_path / "inbox"),
        landing=str(tmp_path / "landing"),
        exports=str(tmp_path / "exports"),
    )
    quarter = Quarter.parse("2025-26-Q1")
    with dg.DagsterInstance.ephemeral() as instance:
        ensure_quarter_partitions(instance, quarter)
        return dg.materialize(
            [delivery],
            resources={
                "warehouse": WarehouseResource(path=str(tmp_path / "w.duckdb")),
                "paths": paths,
            },
            run_config={"ops": {"ingest__delivery": {"config": config}}},
            raise_on_error=False,
            instance=instance,
            partition_key=quarter.label,  # the delivery is ingested for a quarter
        )


def _failure_message(result) -> str:
    """The step failure's message and its causes' (Dagster wraps the exception raised)."""
    failures = [e for e in result.all_events if e.is_step_failure]
    error, parts = failures[0].step_failure_data.error if failures else None, []
    while error is not None:
        parts.append(error.message)
        error = error.cause
    return " | ".join(parts)


def test_dagster_config_replay_of_a_path_fails_with_the_reason(tmp_path):
    result = _materialise_delivery(tmp_path, {"replay_delivery_id": EVIL})
    assert not result.success
    assert "is not a delivery id" in _failure_message(result)


# --- 12: hard links -------------------------------------------------------------------------


def test_a_hard_link_is_ignored_like_a_symlink(tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text(OPERATIONS_OK)
    folder = _folder(tmp_path, {"costs.csv": "x"})
    (folder / "costs.csv").unlink()
    os.link(outside, folder / "operations.csv")  # gets round "symlinks are ignored" in the old code
    os.symlink(outside, folder / "costs.csv")
    files, unexpected = deliveries.scan(folder)
    assert files == {}
    assert any("'operations.csv': a hard link" in note for note in unexpected), unexpected
    assert any("'costs.csv': not a regular file" in note for note in unexpected), unexpected
    with pytest.raises(
        deliveries.DeliveryError, match="holds no extract file"
    ):  # nothing readable: refused
        deliveries.land(folder, tmp_path / "landing")
    # A file with a single link is read as before.
    os.unlink(outside)
    assert set(deliveries.land(folder, tmp_path / "landing").files) == {"operations"}


# --- 13: the pseudonym key, demo mode -------------------------------------------------------


def test_a_short_key_is_refused(monkeypatch):
    monkeypatch.setenv("TOEX_PSEUDONYM_KEY", "k" * (pseudonym.MIN_KEY_BYTES - 1))
    with pytest.raises(pseudonym.WeakPseudonymKey, match="31 bytes: at least 32"):
        pseudonym.resolve_key()
    monkeypatch.setenv("TOEX_PSEUDONYM_KEY", "s")
    with pytest.raises(pseudonym.WeakPseudonymKey):
        pseudonym.resolve_key(synthetic_demo=True)
    monkeypatch.setenv("TOEX_PSEUDONYM_KEY", STRONG_KEY)
    assert pseudonym.resolve_key() == STRONG_KEY.encode()


def test_demo_mode_gives_the_public_key_to_the_synthetic_demo_delivery_only(monkeypatch):
    monkeypatch.setenv("TOEX_DEMO", "1")
    assert pseudonym.resolve_key(synthetic_demo=True) == pseudonym.DEV_KEY.encode()
    with pytest.raises(
        pseudonym.MissingPseudonymKey, match="not the unchanged synthetic demo delivery"
    ):
        pseudonym.resolve_key(synthetic_demo=False)
    monkeypatch.delenv("TOEX_DEMO")
    with pytest.raises(pseudonym.MissingPseudonymKey, match="is not set"):
        pseudonym.resolve_key(synthetic_demo=True)


def test_no_key_needed_without_personal_columns():
    assert pseudonym.key_for(["operations"]) is None
    with pytest.raises(pseudonym.MissingPseudonymKey):
        pseudonym.key_for(["operations", "client_feedback"])


def test_the_demo_marker_recognises_the_unchanged_delivery_only(tmp_path):
    folder = _folder(tmp_path, {"operations.csv": OPERATIONS_OK, "client_feedback.csv": FEEDBACK})
    deliveries.write_demo_marker(folder, seed=1, scale=1)
    landing = tmp_path / "landing"
    d = deliveries.land(folder, landing)
    assert d.synthetic_demo and d.unexpected == [], "the marker is not an unexpected entry"
    assert deliveries.load_manifest(landing, d.delivery_id).synthetic_demo
    (folder / "client_feedback.csv").write_text(
        FEEDBACK + "2,real.person@police.uk\n"
    )  # real data added
    assert not deliveries.land(folder, landing).synthetic_demo
    deliveries.write_demo_marker(folder)
    (folder / "hr_staff.csv").write_text("staff_number\n1\n")  # an extra, unlisted file
    assert not deliveries.land(folder, landing).synthetic_demo


def test_no_key_refuses_before_anything_is_landed(tmp_path, monkeypatch):
    monkeypatch.setenv("TOEX_DEMO", "1")  # `make dev`'s setting: not enough for real data
    folder = _folder(tmp_path, {"operations.csv": OPERATIONS_OK, "client_feedback.csv": FEEDBACK})
    landing = tmp_path / "landing"
    with pytest.raises(pseudonym.MissingPseudonymKey):
        deliveries.land(folder, landing, before_landing=pseudonym.key_for)
    assert _nothing_landed(landing)
    deliveries.write_demo_marker(folder)  # the synthetic demo delivery: the public key is allowed
    assert deliveries.land(folder, landing, before_landing=pseudonym.key_for).synthetic_demo


def test_the_delivery_asset_checks_the_key_first(tmp_path, monkeypatch):
    """The UI's inbox under `make dev` (TOEX_DEMO=1): a real delivery without a key is refused
    by the first step, so no extract is loaded and nothing is landed."""
    monkeypatch.setenv("TOEX_DEMO", "1")
    folder = _folder(
        tmp_path / "inbox", {"operations.csv": OPERATIONS_OK, "client_feedback.csv": FEEDBACK}
    )
    result = _materialise_delivery(tmp_path, {"delivery_dir": str(folder)})
    assert not result.success
    assert "TOEX_PSEUDONYM_KEY is not set" in _failure_message(result)
    assert _nothing_landed(tmp_path / "landing")
    assert _nothing_registered(tmp_path / "w.duckdb"), "nothing registered or loaded"


def test_cli_without_key_is_refused_before_the_run(tmp_path, data_env, capsys, monkeypatch):
    folder = _folder(tmp_path, {"operations.csv": OPERATIONS_OK, "client_feedback.csv": FEEDBACK})
    assert cli.main(["run", "--extracts", str(folder), "--quarter", "2025-26-Q1"]) == cli.EXIT_USAGE
    assert "TOEX_PSEUDONYM_KEY is not set" in capsys.readouterr().err
    monkeypatch.setenv("TOEX_PSEUDONYM_KEY", "short")
    assert cli.main(["run", "--extracts", str(folder), "--quarter", "2025-26-Q1"]) == cli.EXIT_USAGE
    assert "at least 32" in capsys.readouterr().err
    assert _nothing_landed(data_env / "landing") and not (data_env / "warehouse").exists()


# --- 14: modes of what is published ---------------------------------------------------------


def test_publish_mode_setting(monkeypatch):
    assert (permissions.file_mode(), permissions.dir_mode(), permissions.read_only_mode()) == (
        0o640,
        0o750,
        0o440,
    )
    monkeypatch.setenv(permissions.ENV, "0600")
    assert (permissions.file_mode(), permissions.dir_mode()) == (0o600, 0o700)
    monkeypatch.setenv(permissions.ENV, "644")
    assert (permissions.file_mode(), permissions.dir_mode()) == (0o644, 0o755)
    for bad in ("0777", "rw-r-----", "0040", "4640"):
        monkeypatch.setenv(permissions.ENV, bad)
        with pytest.raises(ValueError, match=permissions.ENV):
            permissions.file_mode()


def test_cli_refuses_an_unusable_publish_mode(tmp_path, data_env, capsys, monkeypatch):
    monkeypatch.setenv(permissions.ENV, "0777")
    folder = _folder(tmp_path, {"operations.csv": OPERATIONS_OK})
    assert cli.main(["run", "--extracts", str(folder), "--quarter", "2025-26-Q1"]) == cli.EXIT_USAGE
    assert permissions.ENV in capsys.readouterr().err


def _modes(root: Path) -> set[tuple[str, int]]:
    return {
        ("dir" if p.is_dir() else "file", _mode(p))
        for p in [root, *root.rglob("*")]
        if not p.is_symlink() and p.name != ".lock"
    }


def test_published_exports_are_owner_and_group_only(tmp_path, monkeypatch):
    from test_publish import _build_warehouse, _publish

    old = os.umask(0o022)  # the usual umask, which gave 0644 / 0755
    try:
        warehouse = _build_warehouse(tmp_path / "warehouse.duckdb")
        published = _publish(warehouse, tmp_path / "exports")
        assert _modes(tmp_path / "exports" / ".versions") == {("dir", 0o750), ("file", 0o640)}
        monkeypatch.setenv(permissions.ENV, "0600")
        _publish(warehouse, tmp_path / "exports", run_id="run-2")
        assert _modes(tmp_path / "exports" / ".versions" / published.path.name / "run-2") == {
            ("dir", 0o700),
            ("file", 0o600),
        }
    finally:
        os.umask(old)


def test_dagster_home_is_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME")  # restored at teardown, whatever _dagster_home sets
    old = os.umask(0o022)
    try:
        home = cli._dagster_home(tmp_path)
    finally:
        os.umask(old)
    assert _mode(home) == 0o700


# --- 15: the analysts' Parquet folder, swapped atomically -----------------------------------


def _publish_parquet(published: Path, run_id: str, rows: int = 3) -> None:
    with folders.publish_folder(published / "parquet", run_id) as staging:
        (staging / "kpis").mkdir()
        con = duckdb.connect()
        con.execute(
            f"COPY (SELECT range AS n FROM range({rows})) "
            f"TO '{staging / 'kpis' / 'kpi_values.parquet'}' (FORMAT parquet)"
        )
        con.close()


def test_a_reader_never_finds_the_parquet_folder_missing(tmp_path):
    published = tmp_path / "published"
    published.mkdir()
    _publish_parquet(published, "run-0")
    stop, misses, reads = threading.Event(), [], [0]

    def reader():
        while not stop.is_set():
            path = published / "parquet" / "kpis" / "kpi_values.parquet"
            try:
                with open(path, "rb") as fh:
                    assert fh.read(4) == b"PAR1"
                reads[0] += 1
            except OSError as exc:
                misses.append(repr(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for n in range(1, 25):
            _publish_parquet(published, f"run-{n}", rows=n)
    finally:
        stop.set()
        thread.join()
    assert reads[0] > 0 and misses == []
    assert (published / "parquet").is_symlink()
    versions = [
        p.name
        for p in folders.versions_root(published / "parquet").iterdir()
        if not p.name.startswith(".")
    ]
    assert sorted(versions) == ["run-23", "run-24"], "the current and the previous version are kept"
    assert _modes(published / ".parquet.versions") == {("dir", 0o750), ("file", 0o640)}


def test_stale_temporary_folders_are_removed_by_the_next_run(tmp_path):
    published = tmp_path / "published"
    (published / ".parquet.deadbeef.tmp" / "kpis").mkdir(
        parents=True
    )  # a run killed during the copy (old scheme)
    (published / ".parquet.deadbeef.tmp" / "kpis" / "x.parquet").write_bytes(b"partial")
    (published / ".toex.duckdb.deadbeef.tmp").write_bytes(b"partial")
    (published / "parquet" / "kpis").mkdir(parents=True)  # the old scheme's plain folder
    _publish_parquet(published, "run-1")
    staging = folders.versions_root(published / "parquet") / ".staging-run-2-0badc0de"
    staging.mkdir()  # a run killed while writing (this scheme)
    _publish_parquet(published, "run-2")
    assert sorted(p.name for p in published.iterdir()) == [".parquet.versions", "parquet"]
    assert not staging.exists()
    assert (published / "parquet" / "kpis" / "kpi_values.parquet").is_file()


def test_a_failed_fill_leaves_the_published_folder_as_it_was(tmp_path):
    published = tmp_path / "published"
    published.mkdir()
    _publish_parquet(published, "run-1")
    before = os.readlink(published / "parquet")
    with (
        pytest.raises(RuntimeError, match="disk full"),
        folders.publish_folder(published / "parquet", "run-2") as s,
    ):
        (s / "half.parquet").write_bytes(b"x")
        raise RuntimeError("disk full")
    assert os.readlink(published / "parquet") == before
    assert [
        p.name for p in folders.versions_root(published / "parquet").iterdir() if p.name != ".lock"
    ] == ["run-1"]

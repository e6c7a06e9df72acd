"""Ingestion domain: land a delivery, then one raw asset per extract (from one factory),
each with its reconciliation and acceptance checks, and a sensor watching the inbox."""


import logging
import time
from pathlib import Path

import dagster as dg

from dagster_project.contract import Contract, contracts
from dagster_project.ingest import delivery as deliveries
from dagster_project.ingest import load, pseudonym
from dagster_project.ingest.reader import FileRejected
from dagster_project.partitions import default_reporting_quarter, ensure_quarter_partitions
from dagster_project.resources import PlatformPaths, WarehouseResource

GROUP = "ingest"
DELIVERY_KEY = dg.AssetKey(["ingest", "delivery"])
OWNERS = ["team:toex-data-engineering"]
SETTLE_SECONDS = 10  # a delivery folder untouched this long is complete


def raw_key(extract: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", extract])


class DeliveryConfig(dg.Config):
    delivery_dir: str = ""
    replay_delivery_id: str = ""


def _newest_inbox_folder(inbox: Path) -> Path:
    folders = [p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")] if inbox.is_dir() else []
    if not folders:
        raise dg.Failure(f"no delivery given and the inbox {inbox} holds no delivery folder")
    return max(folders, key=lambda p: (p.stat().st_mtime, p.name))


@dg.asset(
    key=DELIVERY_KEY, group_name=GROUP, owners=OWNERS, kinds={"duckdb", "file"},
    description="Lands a delivery folder unchanged in the immutable landing area (content hash, "
    "arrival time) and makes it the current delivery. `replay_delivery_id` re-activates a past one.",
)
def delivery(context: dg.AssetExecutionContext, config: DeliveryConfig,
             warehouse: WarehouseResource, paths: PlatformPaths) -> dg.MaterializeResult:
    landing = Path(paths.landing)
    # The pseudonym key is checked before anything is landed or becomes current.
    if config.replay_delivery_id:
        d = deliveries.load_manifest(landing, config.replay_delivery_id)
        pseudonym.key_for(d.files, d.synthetic_demo)
        context.log.info(f"replaying landed delivery {d.delivery_id} (arrived {d.arrived_at})")
    else:
        folder = Path(config.delivery_dir) if config.delivery_dir else _newest_inbox_folder(Path(paths.inbox))
        d = deliveries.land(folder, landing, before_landing=pseudonym.key_for)
    with warehouse.connect() as con:
        load.register_delivery(con, d)
        con.execute("DELETE FROM ingest.current_delivery")
        con.execute("INSERT INTO ingest.current_delivery VALUES (?, current_timestamp)", [d.delivery_id])
    for note in d.unexpected:
        context.log.warning(note)
    files = {e: f"{f.file_name} sha256:{f.sha256[:12]}… {f.bytes:,} B" for e, f in sorted(d.files.items())}
    return dg.MaterializeResult(metadata={
        "delivery_id": d.delivery_id,
        "source_dir": d.source_dir,
        "arrived_at": d.arrived_at,
        "files": dg.MetadataValue.json(files),
        "extracts_absent": dg.MetadataValue.json(sorted(set(contracts()) - set(d.files))),
        "unexpected_entries": dg.MetadataValue.json(d.unexpected),
    })


def current_delivery(warehouse: WarehouseResource, landing: Path) -> deliveries.Delivery:
    with warehouse.connect() as con:
        load.ensure_meta(con)
        row = con.execute("SELECT delivery_id FROM ingest.current_delivery").fetchone()
    if not row:
        raise dg.Failure("no current delivery: materialise ingest/delivery first")
    return deliveries.load_manifest(landing, row[0])


def _previous_version(con, contract: Contract) -> tuple[str | None, int, str]:
    delivery_id, rows = con.execute(f'SELECT any_value(_delivery_id), count(*) FROM raw."{contract.extract}"').fetchone()
    text = f"the version from delivery {delivery_id} ({rows} rows)" if delivery_id else "an empty table (no earlier version)"
    return delivery_id, rows, text


def build_raw_asset(contract: Contract) -> dg.AssetsDefinition:
    key = raw_key(contract.extract)
    deps = [DELIVERY_KEY] + sorted({raw_key(ref[0]) for ref in contract.references.values()})
    checks = [
        dg.AssetCheckSpec("file_accepted", asset=key, description="The delivery's file for this extract was usable "
                          "(not rejected whole); if rejected, the previous good version stays in use.", blocking=True),
        dg.AssetCheckSpec("rows_reconcile", asset=key, description="rows read = accepted + quarantined + collapsed",
                          blocking=True),
        dg.AssetCheckSpec("no_quarantined_rows", asset=key, description="Rows breaking a contract rule are "
                          "quarantined with the rule and row number (warning)."),
    ]
    columns = dg.TableSchema(columns=[
        dg.TableColumn(c.name, c.sql_type.lower(), description=(c.description or "")
                       + (" [personal: keyed pseudonym]" if c.personal == "pseudonymise" else ""))
        for c in contract.stored_columns
    ])

    @dg.asset(
        key=key, deps=deps, group_name=GROUP, owners=OWNERS, kinds={"duckdb"}, check_specs=checks,
        description=f"{contract.title} ({contract.source_system}). Contract: "
        f"dagster_project/contracts/{contract.extract}.yml; key ({', '.join(contract.key)}).",
        metadata={"dagster/column_schema": columns, "contract": f"dagster_project/contracts/{contract.extract}.yml"},
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource, paths: PlatformPaths):
        d = current_delivery(warehouse, Path(paths.landing))
        landed = d.files.get(contract.extract)
        with warehouse.connect() as con:
            yield from _ingest(context, con, d, landed)
            load.export_validated(con, contract.extract, Path(paths.landing), d.delivery_id)

    def _ingest(context, con, d: deliveries.Delivery, landed: deliveries.LandedFile | None):
        """Load the delivery's file into raw.<extract>, or keep the previous version; yield the result."""
        load.ensure_raw_table(con, contract)
        if landed is None:
            prev = _previous_version(con, contract)
            context.log.warning(f"{contract.extract} is not in delivery {d.delivery_id}: keeping {prev[2]}")
            yield dg.MaterializeResult(
                metadata={"status": "absent from delivery: previous version kept", "kept_delivery": str(prev[0]),
                          "dagster/row_count": prev[1]},
                check_results=[dg.AssetCheckResult(check_name=n, passed=True, metadata={"note": "extract absent"})
                               for n in ("file_accepted", "rows_reconcile", "no_quarantined_rows")],
            )
            return
        key_bytes = pseudonym.key_for([contract.extract], d.synthetic_demo)
        try:
            r = load.ingest_file(con, contract, landed, d.delivery_id, key_bytes)
        except FileRejected as exc:
            prev = _previous_version(con, contract)
            context.log.error(f"{exc}; raw.{contract.extract} keeps {prev[2]}")
            yield dg.MaterializeResult(
                metadata={"status": "rejected: previous version kept", "message": str(exc),
                          "kept_delivery": str(prev[0]), "dagster/row_count": prev[1]},
                check_results=[
                    dg.AssetCheckResult(check_name="file_accepted", passed=False, severity=dg.AssetCheckSeverity.ERROR,
                                        description=str(exc), metadata={"file": landed.file_name}),
                    dg.AssetCheckResult(check_name="rows_reconcile", passed=True, metadata={"note": "file rejected whole"}),
                    dg.AssetCheckResult(check_name="no_quarantined_rows", passed=True, metadata={"note": "file rejected whole"}),
                ],
            )
            return
        sample = con.execute(
            "SELECT row_number, reason FROM ingest.quarantine WHERE load_id = ? ORDER BY row_number LIMIT 10",
            [f"{d.delivery_id}/{contract.extract}"]).fetchall()
        recon = {"rows_read": r.rows_read, "rows_accepted": r.rows_accepted,
             "rows_quarantined": r.rows_quarantined, "rows_collapsed": r.rows_collapsed}
        yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": r.rows_accepted, **recon,
            "file": landed.file_name, "sha256": landed.sha256, "delivery_id": d.delivery_id,
            "encoding": r.encoding, "unknown_columns": dg.MetadataValue.json(r.unknown_columns),
            "quarantine_reasons": dg.MetadataValue.json(r.reasons), "seconds": round(r.seconds, 3),
        },
        check_results=[
            dg.AssetCheckResult(check_name="file_accepted", passed=True, metadata={"file": landed.file_name}),
            dg.AssetCheckResult(check_name="rows_reconcile", passed=r.reconciles, severity=dg.AssetCheckSeverity.ERROR,
                                metadata=recon),
            dg.AssetCheckResult(
                check_name="no_quarantined_rows", passed=r.rows_quarantined == 0, severity=dg.AssetCheckSeverity.WARN,
                description=f"{r.rows_quarantined} row(s) quarantined" if r.rows_quarantined else "none",
                metadata={"rows_quarantined": r.rows_quarantined,
                          "first_rows": dg.MetadataValue.md("\n".join(f"- row {n}: {why}" for n, why in sample) or "none")},
            ),
        ],
        )

    return _raw


raw_assets = [build_raw_asset(c) for c in contracts().values()]


def _settled(folder: Path, now: float) -> bool:
    latest = max((p.stat().st_mtime for p in folder.iterdir()), default=folder.stat().st_mtime)
    return now - latest >= SETTLE_SECONDS


def build_delivery_sensor(job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name="delivery_sensor", job_name=job_name, minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Starts ingestion (and everything downstream) when a new delivery folder in the inbox "
        f"has been still for {SETTLE_SECONDS}s.",
    )
    def delivery_sensor(context: dg.SensorEvaluationContext, paths: PlatformPaths):
        inbox = Path(paths.inbox)
        if not inbox.is_dir():
            return dg.SkipReason(f"inbox {inbox} does not exist")
        seen = set(filter(None, (context.cursor or "").split("\n")))
        now = time.time()
        quarter = default_reporting_quarter()
        requests = []
        for folder in sorted(p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")):
            stamp = f"{folder.name}@{int(max((p.stat().st_mtime for p in folder.iterdir()), default=0))}"
            if stamp in seen or not _settled(folder, now):
                continue
            seen.add(stamp)
            ensure_quarter_partitions(context.instance, quarter)
            requests.append(dg.RunRequest(
                run_key=stamp, partition_key=quarter.label,
                run_config={"ops": {"ingest__delivery": {"config": {"delivery_dir": str(folder)}}}},
                tags={"toex/delivery_folder": folder.name},
            ))
        context.update_cursor("\n".join(sorted(seen)))
        return requests or dg.SkipReason("no new settled delivery folder")

    return delivery_sensor


logging.getLogger("toex").setLevel(logging.INFO)

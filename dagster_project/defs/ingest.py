"""Ingestion domain: land a delivery, then one raw asset per extract (from one factory),
each with its reconciliation and acceptance checks, and a sensor watching the inbox."""

import time
from pathlib import Path

import dagster as dg
from pydantic import Field

from dagster_project import engine, outputs
from dagster_project.contract import Contract, contracts
from dagster_project.ingest import delivery as deliveries
from dagster_project.ingest import load, pseudonym, rejections
from dagster_project.ingest.reader import FileRejected
from dagster_project.partitions import (
    fiscal_quarters,
    run_quarter_of,
    tag_run_with_quarter,
)
from dagster_project.resources import PlatformPaths, WarehouseResource

GROUP = "ingest"
DELIVERY_KEY = dg.AssetKey(["ingest", "delivery"])
OWNERS = ["team:toex-data-engineering"]
SETTLE_SECONDS = 10  # a delivery folder untouched this long is complete


def raw_key(extract: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", extract])


class DeliveryConfig(dg.Config):
    """Which delivery to ingest. Leave both empty for the default: the newest complete, not yet
    rejected delivery folder in the inbox, else the current landed delivery again."""

    delivery_dir: str = Field(
        default="",
        description=(
            "A delivery folder to land and ingest (absolute path, e.g. data/inbox/2025-07-08). "
            f"Empty: the newest inbox folder untouched for {SETTLE_SECONDS}s whose ingestion "
            "was not refused; with none, the current landed delivery is re-used."
        ),
    )
    replay_delivery_id: str = Field(
        default="",
        description=(
            "Re-activate a delivery already landed, by id (e.g. 20250708T060000Z-1a2b3c4d; "
            "listed in the delivery asset's metadata and under the landing area's deliveries/). "
            "Overrides delivery_dir."
        ),
    )


def _default_delivery(context, inbox: Path, con) -> Path | None:
    """The newest inbox folder that is complete (settled) and not yet rejected, else None."""
    folders = (
        [p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")]
        if inbox.is_dir()
        else []
    )
    now = time.time()
    for folder in sorted(folders, key=lambda p: (rejections.folder_stamp(p), p.name), reverse=True):
        if not _settled(folder, now):
            context.log.info(
                f"inbox folder {folder.name} changed less than {SETTLE_SECONDS}s ago: "
                "still arriving"
            )
        elif reason := rejections.rejection_of(con, folder):
            context.log.info(
                f"inbox folder {folder.name} skipped: its ingestion was refused ({reason})"
            )
        else:
            return folder
    return None


def _chosen_delivery(
    context, config: DeliveryConfig, con, paths: PlatformPaths
) -> deliveries.Delivery:
    """The pseudonym key is checked before anything is landed or becomes current."""
    landing = Path(paths.landing)
    if config.replay_delivery_id:
        d = deliveries.load_manifest(landing, config.replay_delivery_id)
        pseudonym.key_for(d.files, d.synthetic_demo)
        context.log.info(f"replaying landed delivery {d.delivery_id} (arrived {d.arrived_at})")
        return d
    folder = (
        Path(config.delivery_dir)
        if config.delivery_dir
        else _default_delivery(context, Path(paths.inbox), con)
    )
    if folder is None:
        load.ensure_meta(con)
        reuse = rejections.reusable_delivery(con)
        if not reuse:
            raise dg.Failure(
                f"no delivery given, no complete and unrejected delivery folder in the inbox "
                f"{paths.inbox}, and no accepted delivery landed yet: put a delivery folder there "
                "or set delivery_dir"
            )
        context.log.warning(
            f"no new delivery in the inbox {paths.inbox}: re-using the landed delivery {reuse}"
        )
        d = deliveries.load_manifest(landing, reuse)
        pseudonym.key_for(d.files, d.synthetic_demo)
        return d
    try:
        return deliveries.land(folder, landing, before_landing=pseudonym.key_for)
    except deliveries.DeliveryError as exc:
        rejections.record(con, folder, str(exc))
        raise


@dg.asset(
    key=DELIVERY_KEY,
    # Per quarter: which delivery each quarter's publication was ingested from, and a rejected
    # delivery fails that quarter's ingest (the launch the UI, sensor and schedule make).
    partitions_def=fiscal_quarters,
    group_name=GROUP,
    owners=OWNERS,
    kinds={"duckdb", "file"},
    description="Lands a delivery folder unchanged in the immutable landing area (content hash, "
    "arrival time) and makes it the current delivery. Launched with no config it takes "
    "the newest complete, not yet rejected inbox folder, else re-uses the current delivery; "
    "`replay_delivery_id` re-activates a past one. One partition per reporting quarter: the "
    "delivery that quarter was ingested from.",
)
def delivery(
    context: dg.AssetExecutionContext,
    config: DeliveryConfig,
    warehouse: WarehouseResource,
    paths: PlatformPaths,
) -> dg.MaterializeResult:
    tag_run_with_quarter(context)
    with warehouse.connect() as con:
        d = _chosen_delivery(context, config, con, paths)
        load.register_delivery(con, d)
        con.execute("DELETE FROM ingest.current_delivery")
        con.execute(
            "INSERT INTO ingest.current_delivery VALUES (?, current_timestamp)", [d.delivery_id]
        )
    for note in d.unexpected:
        context.log.warning(note)
    files = {
        e: f"{f.file_name} sha256:{f.sha256[:12]}… {f.bytes:,} B"
        for e, f in sorted(d.files.items())
    }
    return dg.MaterializeResult(
        metadata={
            "delivery_id": d.delivery_id,
            "source_dir": d.source_dir,
            "arrived_at": d.arrived_at,
            "files": dg.MetadataValue.json(files),
            "extracts_absent": dg.MetadataValue.json(sorted(set(contracts()) - set(d.files))),
            "unexpected_entries": dg.MetadataValue.json(d.unexpected),
        }
    )


def current_delivery(con, landing: Path) -> deliveries.Delivery:
    load.ensure_meta(con)
    row = con.execute("SELECT delivery_id FROM ingest.current_delivery").fetchone()
    if not row:
        raise dg.Failure("no current delivery: materialise ingest/delivery first")
    return deliveries.load_manifest(landing, row[0])


def _previous_version(con, contract: Contract) -> tuple[str | None, int, str]:
    delivery_id, rows = con.execute(
        f'SELECT any_value(_delivery_id), count(*) FROM raw."{contract.extract}"'
    ).fetchone()
    text = (
        f"the version from delivery {delivery_id} ({rows} rows)"
        if delivery_id
        else "an empty table (no earlier version)"
    )
    return delivery_id, rows, text


CHECKS = ("file_accepted", "rows_reconcile", "contract_columns_present", "no_quarantined_rows")


def _titled(contract: Contract) -> str:
    """The title, naming the source system unless the title already does."""
    named = all(part.strip() in contract.title for part in contract.source_system.split("/"))
    return contract.title if named else f"{contract.title}. Source: {contract.source_system}"


def _rejected(
    context,
    con,
    contract: Contract,
    landed: deliveries.LandedFile,
    exc: FileRejected,
    exports: Path,
) -> tuple[list, dg.Failure]:
    """A file rejected whole: its checks say so, the raw table keeps its previous version, and the
    step fails with one line naming the file, the rule and what stays published. No materialisation,
    so the ingest shows as failed; the row checks are "not evaluated" rather than passed."""
    _, prev_rows, prev_text = _previous_version(con, contract)
    quarter = run_quarter_of(context)
    still = (
        outputs.publication_summary(
            outputs.current_publication(exports, quarter.slug), quarter.label
        )
        if quarter
        else "the published quarters are unchanged"
    )
    message = f"{exc}; raw.{contract.extract} keeps {prev_text}; {still}"
    not_evaluated = f"not evaluated: {landed.file_name} was rejected whole (see file_accepted)"
    # On the publication's own page, beside the run's failure: the quarter as published is
    # unchanged.
    unchanged = (
        [
            dg.AssetObservation(
                asset_key=outputs.PUBLICATION_KEY,
                partition=quarter.label,
                metadata={"publication": f"unchanged: {still}", "rejected": str(exc)},
            )
        ]
        if quarter
        else []
    )
    events = [
        *unchanged,
        dg.AssetObservation(
            asset_key=raw_key(contract.extract),
            metadata={
                "status": "rejected: previous version kept",
                "message": str(exc),
                "kept": prev_text,
                "dagster/row_count": prev_rows,
            },
        ),
        dg.AssetCheckResult(
            check_name="file_accepted",
            passed=False,
            severity=dg.AssetCheckSeverity.ERROR,
            description=str(exc),
            metadata={"file": landed.file_name},
        ),
        *(
            dg.AssetCheckResult(
                check_name=n,
                passed=False,
                severity=dg.AssetCheckSeverity.WARN,
                description=not_evaluated,
            )
            for n in CHECKS
            if n != "file_accepted"
        ),
    ]
    failure = dg.Failure(
        description=message,
        allow_retries=False,
        metadata={
            "file": landed.file_name,
            "rule": str(exc),
            "kept": prev_text,
            "published": still,
        },
    )
    return events, failure


def build_raw_asset(contract: Contract) -> dg.AssetsDefinition:
    key = raw_key(contract.extract)
    deps = [DELIVERY_KEY] + sorted({raw_key(ref[0]) for ref in contract.references.values()})
    checks = [
        dg.AssetCheckSpec(
            "file_accepted",
            asset=key,
            description="The delivery's file for this extract was usable "
            "(not rejected whole); if rejected, the previous good version stays in use.",
            blocking=True,
        ),
        dg.AssetCheckSpec(
            "rows_reconcile",
            asset=key,
            description="the file's rows, counted independently of the "
            "reader (CSV: a quote-aware count of its bytes; xlsx: the sheet's rows) = rows read = "
            "accepted + quarantined + collapsed",
            blocking=True,
        ),
        dg.AssetCheckSpec(
            "contract_columns_present",
            asset=key,
            description="Every column of the contract is in "
            "the file's header (warning: a missing optional column is NULL in every row).",
        ),
        dg.AssetCheckSpec(
            "no_quarantined_rows",
            asset=key,
            description="Rows breaking a contract rule are "
            "quarantined with the rule and row number (warning).",
        ),
    ]
    columns = dg.TableSchema(
        columns=[
            dg.TableColumn(
                c.name,
                c.sql_type.lower(),
                description=(c.description or "")
                + (" [personal: keyed pseudonym]" if c.personal == "pseudonymise" else ""),
            )
            for c in contract.stored_columns
        ]
    )

    @dg.asset(
        key=key,
        deps=deps,
        group_name=GROUP,
        owners=OWNERS,
        kinds={"duckdb"},
        check_specs=checks,
        description=f"{_titled(contract)}. Contract: "
        f"dagster_project/contracts/{contract.extract}.yml; key ({', '.join(contract.key)}).",
        metadata={
            "dagster/column_schema": columns,
            "contract": f"dagster_project/contracts/{contract.extract}.yml",
        },
    )
    def _raw(context: dg.AssetExecutionContext, warehouse: WarehouseResource, paths: PlatformPaths):
        # One connection a step: opening the warehouse costs ~20 ms of CPU (docs/SCALE_LOG.md).
        with warehouse.connect() as con:
            d = current_delivery(con, Path(paths.landing))
            landed = d.files.get(contract.extract)
            try:
                yield from _ingest(context, con, d, landed, Path(paths.exports))
            except dg.Failure:  # rejected: the kept version is still this delivery's validated copy
                _hand_over(con, contract.extract, Path(paths.landing), d.delivery_id)
                raise
            _hand_over(con, contract.extract, Path(paths.landing), d.delivery_id)

    def _ingest(
        context, con, d: deliveries.Delivery, landed: deliveries.LandedFile | None, exports: Path
    ):
        """Load the delivery's file into raw.<extract>, or keep the previous version; yield the
        result."""
        load.ensure_raw_table(con, contract)
        if landed is None:
            prev = _previous_version(con, contract)
            context.log.warning(
                f"{contract.extract} is not in delivery {d.delivery_id}: keeping {prev[2]}"
            )
            yield dg.MaterializeResult(
                metadata={
                    "status": "absent from delivery: previous version kept",
                    "kept_delivery": str(prev[0]),
                    "dagster/row_count": prev[1],
                },
                check_results=[
                    dg.AssetCheckResult(
                        check_name=n, passed=True, metadata={"note": "extract absent"}
                    )
                    for n in CHECKS
                ],
            )
            return
        key_bytes = pseudonym.key_for([contract.extract], d.synthetic_demo)
        try:
            r = load.ingest_file(con, contract, landed, d.delivery_id, key_bytes)
        except FileRejected as exc:
            load.block_current_delivery(con, f"raw/{contract.extract}:file_accepted", str(exc))
            rejections.record(con, d.source_dir, str(exc), d.delivery_id)
            events, failure = _rejected(context, con, contract, landed, exc, exports)
            context.log.error(failure.description)
            yield from events
            raise failure from None
        sample = con.execute(
            "SELECT row_number, reason FROM ingest.quarantine WHERE load_id = ? "
            "ORDER BY row_number LIMIT 10",
            [f"{d.delivery_id}/{contract.extract}"],
        ).fetchall()
        if not r.reconciles:
            load.block_current_delivery(
                con,
                f"raw/{contract.extract}:rows_reconcile",
                f"{landed.file_name} does not reconcile",
            )
        recon = {
            "rows_in_file": r.rows_counted,
            "rows_read": r.rows_read,
            "rows_accepted": r.rows_accepted,
            "rows_quarantined": r.rows_quarantined,
            "rows_collapsed": r.rows_collapsed,
        }
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": r.rows_accepted,
                **recon,
                "file": landed.file_name,
                "sha256": landed.sha256,
                "delivery_id": d.delivery_id,
                "encoding": r.encoding,
                "unknown_columns": dg.MetadataValue.json(r.unknown_columns),
                "missing_columns": dg.MetadataValue.json(r.missing_columns),
                "quarantine_reasons": dg.MetadataValue.json(r.reasons),
                "seconds": round(r.seconds, 3),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="file_accepted", passed=True, metadata={"file": landed.file_name}
                ),
                dg.AssetCheckResult(
                    check_name="rows_reconcile",
                    passed=r.reconciles,
                    severity=dg.AssetCheckSeverity.ERROR,
                    metadata=recon,
                ),
                dg.AssetCheckResult(
                    check_name="contract_columns_present",
                    passed=not r.missing_columns,
                    severity=dg.AssetCheckSeverity.WARN,
                    description=(
                        f"{landed.file_name}: contract column(s) "
                        f"{', '.join(r.missing_columns)} missing from the "
                        "header: NULL in every row"
                    )
                    if r.missing_columns
                    else "all contract columns present",
                    metadata={"missing_columns": dg.MetadataValue.json(r.missing_columns)},
                ),
                dg.AssetCheckResult(
                    check_name="no_quarantined_rows",
                    passed=r.rows_quarantined == 0,
                    severity=dg.AssetCheckSeverity.WARN,
                    description=f"{r.rows_quarantined} row(s) quarantined"
                    if r.rows_quarantined
                    else "none",
                    metadata={
                        "rows_quarantined": r.rows_quarantined,
                        "first_rows": dg.MetadataValue.md(
                            "\n".join(f"- row {n}: {why}" for n, why in sample) or "none"
                        ),
                    },
                ),
            ],
        )

    return _raw


def _hand_over(con, extract: str, landing: Path, delivery_id: str) -> None:
    """The validated Parquet is the Spark engine's input (its dbt sources, raw suites and
    exports): written on that engine as each extract is loaded. On the DuckDB engine nothing
    reads it, so none is written (the Spark engine writes it from the warehouse should it
    publish a delivery ingested here: `engines/spark.py`, `dbt_build`)."""
    if engine.is_spark():
        load.export_validated(con, extract, landing, delivery_id)
    else:
        load.drop_validated(landing, extract)


raw_assets = [build_raw_asset(c) for c in contracts().values()]


def _settled(folder: Path, now: float) -> bool:
    return now - rejections.folder_stamp(folder) >= SETTLE_SECONDS

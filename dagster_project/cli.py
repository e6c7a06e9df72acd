"""`toex`: the platform's command line.

  toex generate --out DIR [--seed N] [--scale N]     write a synthetic demo delivery
  toex run --extracts DIR --quarter 2025-26-Q1 --out DIR [--warehouse PATH]
                                                      ingest + materialise a quarter via Dagster
  toex run --replay DELIVERY_ID --quarter Q            the same from a landed (past) delivery
  toex demo                                           generate the demo delivery and run it
  toex backfill --to 2025-26-Q1 [--from Q] [--extracts DIR] publish every quarter of a range
  toex prepare                                        build the dbt manifest (once, at setup)
  toex run ... --engine spark                         dbt, quality and exports on Spark
                                                      (TOEX_ENGINE)
  toex spark up|down|status                           the local Spark cluster (master + worker)

Exit codes of `run`: 0 all well, 1 a blocking check or step failed (reason on stderr),
2 usage or configuration error found before the run starts, nothing landed or loaded (e.g. an
unknown quarter, a replay id that is not a landed delivery's, no or a short pseudonym key).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from dagster_project.fiscal import Quarter
from dagster_project.process_exit import exit_now
from dagster_project.settings import Settings

log = logging.getLogger("toex.cli")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEMO_SEED = 20250630


def _setup_logging(verbose: bool) -> None:
    """Python logging to stderr, which a run sends to its log file (runlog.captured). Records a
    Dagster logger already printed (its console logger writes every event line) are dropped here,
    or each Dagster line appears twice."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(lambda record: not hasattr(record, "dagster_meta"))
    # Third-party INFO that tells an operator nothing: WARNING on the console; a run lets it
    # into its log file (runlog.chatter_to_log).
    from dagster_project.runlog import CHATTY_LIBRARIES

    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)


INSTANCE_CONFIG_HEADER = (
    "# Written by toex (cli.py::_dagster_home); rewritten while this line is here."
)
# The one instance config for `toex`, `make dev` and the tests' servers. One run at a time: DuckDB
# allows one writer. Run monitoring fails runs stuck starting or canceling; runs whose process died
# are failed by run_owner.py (the default run launcher offers no worker health check). The scheduler
# is Dagster's default, loaded from instance_sync.py so that every process opening the instance (the
# UI's webserver and daemon too) applies TOEX_DAGSTER_SQLITE_SYNC to its SQLite files. Dagster's
# first-visit dialog (a newsletter sign-up asking for an e-mail address) is off: operators of police
# data have nothing to send Dagster, and it covers the page a moment after it loads.
INSTANCE_CONFIG = (
    INSTANCE_CONFIG_HEADER
    + """
scheduler:
  module: dagster_project.instance_sync
  class: SyncedDaemonScheduler
concurrency:
  runs:
    max_concurrent_runs: 1
run_monitoring:
  enabled: true
  start_timeout_seconds: 180
  cancel_timeout_seconds: 180
  poll_interval_seconds: 60
telemetry:
  enabled: false
nux:
  enabled: false
"""
)


def _dagster_home(data_dir: Path) -> Path:
    """A persistent Dagster instance beside the data, so CLI runs show in the UI's run history.
    A dagster.yaml toex wrote is kept current; one written by hand is left alone."""
    home = Path(os.environ.get("DAGSTER_HOME") or data_dir / "dagster_home").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o700)  # run history and event logs: the owner's only
    cfg = home / "dagster.yaml"
    current = cfg.read_text() if cfg.exists() else None
    if current is None or (current.startswith("# Written by toex") and current != INSTANCE_CONFIG):
        cfg.write_text(INSTANCE_CONFIG)
    os.environ["DAGSTER_HOME"] = str(home)
    from dagster_project import instance_sync

    instance_sync.apply_from_env()  # TOEX_DAGSTER_SQLITE_SYNC, before the instance opens
    return home


def cmd_generate(args) -> int:
    from dagster_project.generator import generate

    started = time.monotonic()
    counts = generate(Path(args.out), seed=args.seed, scale=args.scale)
    log.info(
        "wrote %d extracts, %d rows, to %s in %.1fs",
        len(counts),
        sum(counts.values()),
        args.out,
        time.monotonic() - started,
    )
    return EXIT_OK


def _quarter(text: str) -> Quarter:
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


class UsageError(Exception):
    pass


def _locked(args, work) -> int:
    """Validate, take the warehouse's run lock, then import Dagster and run `work(settings)`.
    Cheap failures (usage, a busy warehouse) answer before the heavy imports."""
    from dagster_project import warehouse as wh
    from dagster_project.settings import Settings

    # --out moves the exports only: everything else stays in the data folder (TOEX_DATA_DIR).
    settings = Settings.from_env(
        warehouse=Path(args.warehouse) if args.warehouse else None,
        exports=Path(args.out) if args.out else None,
    )
    _dagster_home(settings.data_dir)
    try:
        with wh.run_lock(settings.warehouse, wait_seconds=args.wait):
            _fail_dead_runs()
            return work(settings)
    except wh.WarehouseBusy as exc:
        print(f"toex: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _fail_dead_runs() -> None:
    """Runs left STARTED by a killed `toex` or run worker would block the UI's queue for good."""
    import dagster as dg

    from dagster_project.run_owner import fail_dead_runs

    with dg.DagsterInstance.get() as instance:
        for run_id in fail_dead_runs(instance):
            log.warning(
                "run %s was left unfinished by a process that is gone: marked failed", run_id
            )


def _preflight(args, extracts: Path | None) -> None:
    """Refuse before anything is landed or loaded: a replay id that is not a landed delivery's,
    no (or a short) pseudonym key, an unusable TOEX_PUBLISH_MODE. The run re-checks the key when
    it lands the delivery (the demo marker's hashes are verified there)."""
    from dagster_project.ingest import delivery as deliveries
    from dagster_project.ingest import pseudonym
    from dagster_project.publish import permissions
    from dagster_project.settings import Settings

    try:
        permissions.file_mode()
        if getattr(args, "replay", None):
            landing = Settings.from_env(
                warehouse=Path(args.warehouse) if args.warehouse else None
            ).landing
            d = deliveries.load_manifest(landing, args.replay)
            pseudonym.key_for(d.files, d.synthetic_demo)
        elif extracts is not None:
            try:
                files, _ = deliveries.scan(extracts)
            except deliveries.DeliveryError:
                return  # a bad delivery: the run refuses it with the reason
            pseudonym.key_for(files, deliveries.has_demo_marker(extracts))
    except (deliveries.DeliveryError, pseudonym.MissingPseudonymKey, ValueError) as exc:
        raise UsageError(str(exc)) from None


def cmd_run(args) -> int:
    quarter = _quarter(args.quarter)
    if bool(args.extracts) == bool(args.replay):
        raise UsageError(
            "give exactly one of --extracts DIR (a new delivery) "
            "or --replay DELIVERY_ID (a landed one)"
        )
    extracts = Path(args.extracts) if args.extracts else None
    if extracts and not extracts.is_dir():
        raise UsageError(f"--extracts {extracts}: not a folder")
    _preflight(args, extracts)

    _select_engine(args)

    def work(settings):
        from dagster_project.pipeline import run_quarter

        return run_quarter(
            quarter,
            extracts,
            settings,
            replay_delivery_id=args.replay or "",
            external_threshold=args.threshold if args.external_release else None,
            verbose=args.verbose,
        )

    return _locked(args, work)


def _select_engine(args) -> None:
    """`--engine` is TOEX_ENGINE for this process (engine.py): the one place the engine is read."""
    from dagster_project import engine

    if getattr(args, "engine", None):
        os.environ[engine.ENGINE_ENV] = args.engine
    try:
        if engine.current() == "spark":  # before ingesting anything: no cluster, no run
            from dagster_project.engines.spark import master_url

            master_url()
    except engine.EngineError as exc:
        raise UsageError(str(exc)) from None


def cmd_spark(args) -> int:
    from dagster_project.engines.spark import spark_dir
    from dagster_project.spark_cluster import command

    return command(args.action, spark_dir())


def cmd_demo(args) -> int:
    os.environ.setdefault("TOEX_DEMO", "1")
    from dagster_project.ingest.delivery import has_demo_marker

    delivery = Settings.from_env().data_dir / "source" / "demo_delivery"
    if (
        not delivery.exists() or args.regenerate or not has_demo_marker(delivery)
    ):  # older ones lack the marker
        from dagster_project.generator import generate

        # Its per-file lines are for `toex generate`; the demo prints one.
        logging.getLogger("toex.generator").setLevel(
            logging.INFO if args.verbose else logging.WARNING
        )
        counts = generate(delivery, seed=DEMO_SEED, scale=1)
        print(
            f"toex: generated the synthetic demo delivery in {delivery}: {len(counts)} extracts, "
            f"{sum(counts.values()):,} rows"
        )
    args.extracts, args.replay, args.warehouse = str(delivery), None, None
    args.external_release, args.threshold = False, 5
    return cmd_run(args)


def cmd_prepare(args) -> int:
    import dagster as dg

    from dagster_project.dbt_project import prepare
    from dagster_project.partitions import default_reporting_quarter, ensure_quarter_partitions
    from dagster_project.settings import Settings

    settings = Settings.from_env(warehouse=Path(args.warehouse) if args.warehouse else None)
    log.info(
        "dbt manifest: %s (parsed for warehouse %s)",
        prepare(settings.warehouse),
        settings.warehouse,
    )
    _dagster_home(settings.data_dir)
    with dg.DagsterInstance.get() as instance:
        added = ensure_quarter_partitions(instance, default_reporting_quarter())
    log.info("fiscal-quarter partitions: %d added", len(added))
    return EXIT_OK


def cmd_backfill(args) -> int:
    from dagster_project.fiscal import quarters_between
    from dagster_project.settings import Settings

    first = (
        _quarter(args.first) if args.first else Quarter.containing(Settings.from_env().inception)
    )
    last = _quarter(args.last)
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}")
    extracts = Path(args.extracts) if args.extracts else None
    _preflight(args, extracts)

    def work(settings):
        from dagster_project.pipeline import backfill

        return backfill(quarters_between(first, last), extracts, settings, verbose=args.verbose)

    return _locked(args, work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="toex", description="TOEX KPI data platform")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print everything (Dagster, dbt, Great Expectations); by default it goes to "
        "the run's log file, <data>/logs/<run_id>.log",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("generate", help="write a synthetic, calibrated demo delivery")
    g.add_argument("--out", required=True, help="delivery folder to write")
    g.add_argument("--seed", type=int, default=DEMO_SEED)
    g.add_argument("--scale", type=int, default=1, help="multiply the large extracts' volume")
    g.set_defaults(func=cmd_generate)

    r = sub.add_parser("run", help="ingest a delivery and materialise a quarter through Dagster")
    r.add_argument("--extracts", help="delivery folder to land and ingest")
    r.add_argument(
        "--replay", metavar="DELIVERY_ID", help="re-run from a delivery already in the landing area"
    )
    r.add_argument("--quarter", required=True, help="e.g. 2025-26-Q1")
    r.add_argument("--out", help="also publish the quarter's exports here")
    r.add_argument(
        "--warehouse", help="DuckDB file (default $TOEX_WAREHOUSE or data/warehouse/toex.duckdb)"
    )
    r.add_argument(
        "--wait", type=float, default=0.0, help="seconds to wait for another run to finish"
    )
    r.add_argument(
        "--external-release",
        action="store_true",
        help=(
            "also publish <out>/external/<quarter>/ with disclosure control "
            "(small counts suppressed)"
        ),
    )
    r.add_argument(
        "--threshold",
        type=int,
        default=5,
        help="disclosure-control threshold: counts below it are suppressed",
    )
    r.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        help="where dbt, the quality suites and the exports run "
        "(default $TOEX_ENGINE or duckdb; spark needs `toex spark up`)",
    )
    r.set_defaults(func=cmd_run)

    s = sub.add_parser(
        "spark", help="start, stop or show the local Spark cluster (master + worker, 127.0.0.1)"
    )
    s.add_argument("action", choices=("up", "down", "status"))
    s.set_defaults(func=cmd_spark)

    d = sub.add_parser(
        "demo", help="generate the demo delivery (if absent) and run it (TOEX_DEMO=1)"
    )
    d.add_argument("--quarter", default="2025-26-Q1")
    d.add_argument("--out", default=None)
    d.add_argument("--wait", type=float, default=0.0)
    d.add_argument("--regenerate", action="store_true")
    d.add_argument("--engine", choices=("duckdb", "spark"), help="as for `toex run`")
    d.set_defaults(func=cmd_demo)

    b = sub.add_parser(
        "backfill", help="publish every quarter in a range (default: inception to --to)"
    )
    b.add_argument("--extracts", help="ingest this delivery first (default: use the current one)")
    b.add_argument("--from", dest="first", help="first quarter (default: the inception quarter)")
    b.add_argument("--to", dest="last", required=True)
    b.add_argument("--out")
    b.add_argument("--warehouse")
    b.add_argument("--wait", type=float, default=0.0)
    b.set_defaults(func=cmd_backfill)

    p = sub.add_parser("prepare", help="prepare the dbt manifest (setup time, not import time)")
    p.add_argument(
        "--warehouse",
        help="the warehouse runs will use (default $TOEX_WAREHOUSE or data/warehouse/toex.duckdb)",
    )
    p.set_defaults(func=cmd_prepare)

    for command in (r, d, b):  # `toex run -v …` as well as `toex -v run …`
        command.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help="print everything, not only the stage lines, warnings and summary",
        )
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"toex: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (
        RuntimeError
    ) as exc:  # e.g. the Spark engine without a cluster: one line, not a traceback
        if type(exc).__name__ != "SparkEngineError":
            raise
        print(f"toex: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def entry() -> None:
    """The `toex` command: `main`, then the end of the process without Python's own shutdown
    (process_exit.py). An exception ends the process as usual."""
    exit_now(main())


if __name__ == "__main__":
    entry()

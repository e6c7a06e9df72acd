"""The delivery sensor: starts the quarterly job when a new delivery folder in the inbox has
settled and was not landed since it last changed (read from the landing manifests)."""

import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from dagster_project.defs.ingest import SETTLE_SECONDS, _settled
from dagster_project.ingest import delivery as deliveries
from dagster_project.ingest import rejections
from dagster_project.partitions import default_reporting_quarter, ensure_quarter_partitions
from dagster_project.resources import PlatformPaths


def _landed_since_change(landing: Path) -> dict[str, float]:
    """Source folder → when it was last landed (epoch seconds), from the landing manifests: files,
    so the sensor never has to open the warehouse a run may be writing."""
    landed: dict[str, float] = {}
    for manifest in (landing / "deliveries").glob("*.json"):
        d = deliveries.Delivery.from_json(manifest.read_text())
        arrived = (
            datetime.strptime(d.arrived_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        )
        landed[d.source_dir] = max(arrived, landed.get(d.source_dir, 0.0))
    return landed


def build_delivery_sensor(job_name: str) -> dg.SensorDefinition:
    @dg.sensor(
        name="delivery_sensor",
        job_name=job_name,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description="Starts ingestion (and everything downstream) when a new delivery folder "
        f"in the inbox has been still for {SETTLE_SECONDS}s and was not landed since it last "
        "changed.",
    )
    def delivery_sensor(context: dg.SensorEvaluationContext, paths: PlatformPaths):
        inbox = Path(paths.inbox)
        if not inbox.is_dir():
            return dg.SkipReason(f"inbox {inbox} does not exist")
        seen = set(filter(None, (context.cursor or "").split("\n")))
        landed = _landed_since_change(Path(paths.landing))
        now = time.time()
        quarter = default_reporting_quarter()
        requests = []
        for folder in sorted(
            p for p in inbox.iterdir() if p.is_dir() and not p.name.startswith(".")
        ):
            changed = int(rejections.folder_stamp(folder))
            stamp = f"{folder.name}@{changed}"
            if stamp in seen or not _settled(folder, now):
                continue
            if landed.get(str(folder.resolve()), 0.0) >= changed:
                seen.add(stamp)  # already landed (by a launch or toex run) since it last changed
                continue
            seen.add(stamp)
            ensure_quarter_partitions(context.instance, quarter)
            requests.append(
                dg.RunRequest(
                    run_key=stamp,
                    partition_key=quarter.label,
                    run_config={
                        "ops": {"ingest__delivery": {"config": {"delivery_dir": str(folder)}}}
                    },
                    tags={"toex/delivery_folder": folder.name},
                )
            )
        context.update_cursor("\n".join(sorted(seen)))
        return requests or dg.SkipReason("no new settled delivery folder")

    return delivery_sensor

"""Deliveries: find an extract's file in a delivery folder and keep it, unchanged, in the
immutable landing area.

Landing is content-addressed: `landing/objects/<sha256>` (read-only, written once) plus one
JSON manifest per delivery, `landing/deliveries/<delivery_id>.json`, recording each file's
original name, extract, hash, size and arrival time. Any past delivery can be replayed
from its manifest; an unchanged file in a later full-snapshot delivery costs no space.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.checksums import sha256_file
from dagster_project.contract import contracts

log = logging.getLogger("toex.ingest")

FORMATS = (".csv", ".xlsx")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


class DeliveryError(ValueError):
    pass


@dataclass(frozen=True)
class LandedFile:
    extract: str
    file_name: str
    sha256: str
    bytes: int
    landed_path: str

    @property
    def format(self) -> str:
        return Path(self.file_name).suffix.lower().lstrip(".")


@dataclass
class Delivery:
    delivery_id: str
    source_dir: str
    arrived_at: str
    files: dict[str, LandedFile] = field(default_factory=dict)
    unexpected: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        body = asdict(self)
        return json.dumps(body, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Delivery:
        body = json.loads(text)
        body["files"] = {k: LandedFile(**v) for k, v in body["files"].items()}
        return cls(**body)


def scan(delivery_dir: Path) -> tuple[dict[str, Path], list[str]]:
    """Match the folder's files to extracts. Returns ({extract: path}, [unexpected entries])."""
    delivery_dir = Path(delivery_dir)
    if not delivery_dir.is_dir():
        raise DeliveryError(f"delivery folder {delivery_dir} does not exist or is not a folder")
    known = contracts()
    found: dict[str, Path] = {}
    unexpected: list[str] = []
    for entry in sorted(delivery_dir.iterdir()):
        name = entry.name
        stem, suffix = Path(name).stem.strip().lower(), Path(name).suffix.lower()
        if entry.is_symlink() or not entry.is_file() or not _SAFE_NAME.match(name):
            unexpected.append(f"{name!r}: not a regular file with a safe name; ignored")
        elif stem not in known or suffix not in FORMATS:
            unexpected.append(f"{name!r}: not an extract of the contract (<extract>.csv|.xlsx); ignored")
        elif stem in found:
            raise DeliveryError(
                f"delivery {delivery_dir} holds two files for extract {stem!r}: "
                f"{found[stem].name} and {name}; keep one"
            )
        else:
            found[stem] = entry
    return found, unexpected


def land(delivery_dir: Path, landing_root: Path, now: datetime | None = None) -> Delivery:
    """Copy a delivery into the landing area (write-once objects) and write its manifest."""
    files, unexpected = scan(delivery_dir)
    if not files:
        # Landing nothing would make a delivery that brings nothing current, and the run would
        # republish the quarter from the previous data under its name.
        found = f"; it holds only {', '.join(u.split(':')[0] for u in unexpected[:5])}" if unexpected else ", it is empty"
        raise DeliveryError(f"delivery folder {delivery_dir} holds no extract file (<extract>.csv|.xlsx){found}; "
                            "nothing landed or published")
    arrived = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    objects = landing_root / "objects"
    manifests = landing_root / "deliveries"
    for d in (landing_root, objects, manifests):
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o700)
    landed: dict[str, LandedFile] = {}
    for extract, path in files.items():
        digest = sha256_file(path)
        target = objects / digest
        if not target.exists():
            tmp = objects / f".{digest}.tmp{os.getpid()}"
            shutil.copyfile(path, tmp)
            if sha256_file(tmp) != digest:
                tmp.unlink()
                raise DeliveryError(f"{path}: changed while being copied; deliver it again")
            os.chmod(tmp, 0o400)
            os.replace(tmp, target)
        landed[extract] = LandedFile(extract, path.name, digest, path.stat().st_size, str(target))
    combined = hashlib.sha256("".join(f"{k}:{v.sha256};" for k, v in sorted(landed.items())).encode())
    delivery_id = f"{arrived.replace('-', '').replace(':', '')}-{combined.hexdigest()[:8]}"
    delivery = Delivery(delivery_id, str(Path(delivery_dir).resolve()), arrived, landed, unexpected)
    manifest = manifests / f"{delivery_id}.json"
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(delivery.to_json())
    os.chmod(tmp, 0o400)
    os.replace(tmp, manifest)
    log.info("landed delivery %s from %s: %d extract files, %d unexpected entries",
             delivery_id, delivery_dir, len(landed), len(unexpected))
    for note in unexpected:
        log.warning("delivery %s: %s", delivery_id, note)
    return delivery


def load_manifest(landing_root: Path, delivery_id: str) -> Delivery:
    path = landing_root / "deliveries" / f"{delivery_id}.json"
    if not path.exists():
        raise DeliveryError(f"no landed delivery {delivery_id!r} under {landing_root}")
    return Delivery.from_json(path.read_text())

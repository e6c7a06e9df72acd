"""Deliveries: find an extract's file in a delivery folder and keep it, unchanged, in the
immutable landing area.

Landing is content-addressed: `landing/objects/<sha256>` (read-only, written once) plus one
JSON manifest per delivery, `landing/deliveries/<delivery_id>.json`, recording each file's
original name, extract, hash, size and arrival time. Any past delivery can be replayed
from its manifest; an unchanged file in a later full-snapshot delivery costs no space.

Only regular files with one link are read from a delivery folder: a symlink or a hard link
can point at a file outside it (another delivery, a system file), so both are reported and
ignored. A replay id must have the shape `land` gives it, and a manifest can only name
objects inside `landing/objects/`.

The synthetic demo delivery carries a marker, `SYNTHETIC_DEMO.json`, written by the
generator with the SHA-256 of every file: a delivery is the demo one only if every extract
file matches it (`Delivery.synthetic_demo`), and only then may demo mode use the public
development pseudonym key (see `pseudonym.resolve_key`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.checksums import sha256_file
from dagster_project.contract import contracts

log = logging.getLogger("toex.ingest")

FORMATS = (".csv", ".xlsx")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# `<arrival, compact UTC>-<first 8 hex of the files' combined hash>`, as `land` writes it.
DELIVERY_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
DEMO_MARKER = "SYNTHETIC_DEMO.json"


class DeliveryError(ValueError):
    pass


class InvalidDeliveryId(DeliveryError):
    """A replay id that is not of the form `land` gives (e.g. a path)."""


def check_delivery_id(delivery_id: str) -> str:
    if not isinstance(delivery_id, str) or not DELIVERY_ID.fullmatch(delivery_id):
        raise InvalidDeliveryId(
            f"{delivery_id!r} is not a delivery id: expected the form 20250630T120000Z-1a2b3c4d "
            "(the id `toex run` logs when it lands a delivery; see landing/deliveries/)"
        )
    return delivery_id


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
    synthetic_demo: bool = False  # every file matches the generator's marker

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
        if name == DEMO_MARKER:
            continue
        if entry.is_symlink() or not entry.is_file() or not _SAFE_NAME.match(name):
            unexpected.append(f"{name!r}: not a regular file with a safe name; ignored")
        elif entry.lstat().st_nlink > 1:
            unexpected.append(
                f"{name!r}: a hard link (it may be a file outside the delivery); ignored, "
                "deliver a copy"
            )
        elif stem not in known or suffix not in FORMATS:
            unexpected.append(
                f"{name!r}: not an extract of the contract (<extract>.csv|.xlsx); ignored"
            )
        elif stem in found:
            raise DeliveryError(
                f"delivery {delivery_dir} holds two files for extract {stem!r}: "
                f"{found[stem].name} and {name}; keep one"
            )
        else:
            found[stem] = entry
    return found, unexpected


def has_demo_marker(delivery_dir: Path) -> bool:
    return (Path(delivery_dir) / DEMO_MARKER).is_file()


def write_demo_marker(delivery_dir: Path, **about) -> Path:
    """The generator's marker: the SHA-256 of every extract file it wrote."""
    files, _ = scan(delivery_dir)
    body = {
        "generator": "toex generate",
        **about,
        "files": {p.name: sha256_file(p) for p in sorted(files.values())},
    }
    marker = Path(delivery_dir) / DEMO_MARKER
    marker.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    return marker


def _matches_demo_marker(delivery_dir: Path, digests: dict[str, str]) -> bool:
    """Every extract file (name -> sha256) is one the generator wrote, unchanged, and none is
    missing."""
    try:
        listed = json.loads((Path(delivery_dir) / DEMO_MARKER).read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return bool(digests) and listed == digests


def land(
    delivery_dir: Path,
    landing_root: Path,
    now: datetime | None = None,
    before_landing: Callable[[dict[str, Path], bool], object] | None = None,
) -> Delivery:
    """Copy a delivery into the landing area (write-once objects) and write its manifest.
    `before_landing(files, synthetic_demo)` runs once every file is hashed and before anything
    is written: raising there refuses the delivery with nothing landed (e.g. no pseudonym key)."""
    files, unexpected = scan(delivery_dir)
    if not files:
        # Landing nothing would make a delivery that brings nothing current, and the run would
        # republish the quarter from the previous data under its name.
        found = (
            f"; it holds only {', '.join(u.split(':')[0] for u in unexpected[:5])}"
            if unexpected
            else ", it is empty"
        )
        raise DeliveryError(
            f"delivery folder {delivery_dir} holds no extract file (<extract>.csv|.xlsx){found}; "
            "nothing landed or published"
        )
    digests = dict(zip(files, _on_every_core(sha256_file, list(files.values())), strict=True))
    synthetic = has_demo_marker(delivery_dir) and _matches_demo_marker(
        delivery_dir, {files[e].name: d for e, d in digests.items()}
    )
    if before_landing is not None:
        before_landing(files, synthetic)
    arrived = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    objects = landing_root / "objects"
    manifests = landing_root / "deliveries"
    for d in (landing_root, objects, manifests):
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o700)
    # One copy per distinct content: two extract files with the same bytes share an object.
    first = {digests[extract]: extract for extract in reversed(files)}
    _on_every_core(
        lambda extract: _land_object(files[extract], digests[extract], objects),
        list(first.values()),
        size=lambda extract: files[extract].stat().st_size,
    )
    landed: dict[str, LandedFile] = {}
    for extract, path in files.items():
        digest = digests[extract]
        landed[extract] = LandedFile(
            extract, path.name, digest, path.stat().st_size, str(objects / digest)
        )
    combined = hashlib.sha256(
        "".join(f"{k}:{v.sha256};" for k, v in sorted(landed.items())).encode()
    )
    delivery_id = f"{arrived.replace('-', '').replace(':', '')}-{combined.hexdigest()[:8]}"
    delivery = Delivery(
        delivery_id, str(Path(delivery_dir).resolve()), arrived, landed, unexpected, synthetic
    )
    manifest = manifests / f"{delivery_id}.json"
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(delivery.to_json())
    os.chmod(tmp, 0o400)
    os.replace(tmp, manifest)
    log.info(
        "landed delivery %s from %s: %d extract files, %d unexpected entries",
        delivery_id,
        delivery_dir,
        len(landed),
        len(unexpected),
    )
    for note in unexpected:
        log.warning("delivery %s: %s", delivery_id, note)
    return delivery


def _land_object(path: Path, digest: str, objects: Path) -> None:
    """`objects/<digest>`: a read-only copy of `path`, written once, checked against its hash."""
    target = objects / digest
    if target.exists():
        return
    tmp = objects / f".{digest}.tmp{os.getpid()}"
    shutil.copyfile(path, tmp)
    if sha256_file(tmp) != digest:
        tmp.unlink()
        raise DeliveryError(f"{path}: changed while being copied; deliver it again")
    os.chmod(tmp, 0o400)
    os.replace(tmp, target)


def _on_every_core(
    work: Callable, items: list, size: Callable = lambda p: p.stat().st_size
) -> list:
    """`[work(item) for item in items]`, the largest files first, on as many threads as cores:
    hashing (hashlib) and copying (the kernel's `sendfile`) release the GIL, so landing a large
    delivery is no longer one core's work (1.1 GB at scale 1000: docs/SCALE_LOG.md, "big4"). Every
    item is finished before the first error (in `items`' order) is raised."""
    workers = min(len(items), os.cpu_count() or 1)
    if workers <= 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {
            i: pool.submit(work, items[i])
            for i in sorted(range(len(items)), key=lambda i: size(items[i]), reverse=True)
        }
    return [futures[i].result() for i in range(len(items))]


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().parent == folder.resolve()


def load_manifest(landing_root: Path, delivery_id: str) -> Delivery:
    """A landed delivery by id. The id must have `land`'s form, the manifest must be a file of
    `landing/deliveries/`, and every object it names a file of `landing/objects/`: a replay
    never reads anything outside the landing area."""
    check_delivery_id(delivery_id)
    landing_root = Path(landing_root)
    manifests, objects = landing_root / "deliveries", landing_root / "objects"
    path = manifests / f"{delivery_id}.json"
    if not path.is_file() or not _inside(path, manifests):
        raise DeliveryError(f"no landed delivery {delivery_id!r} under {landing_root}")
    try:
        delivery = Delivery.from_json(path.read_text())
    except (ValueError, TypeError, KeyError) as exc:
        raise DeliveryError(f"{path}: unreadable delivery manifest ({exc})") from None
    if delivery.delivery_id != delivery_id:
        raise DeliveryError(f"{path}: names delivery {delivery.delivery_id!r}, not {delivery_id!r}")
    known = contracts()
    for extract, f in delivery.files.items():
        if extract not in known or f.extract != extract or not _SHA256.fullmatch(f.sha256):
            raise DeliveryError(f"{path}: entry {extract!r} is not a landed extract file")
        obj = objects / f.sha256
        if not obj.is_file() or not _inside(obj, objects):
            raise DeliveryError(
                f"{path}: {f.file_name} (sha256 {f.sha256[:12]}…) is not in {objects}"
            )
    # The objects are found by hash under this landing area, never by the path recorded at
    # landing (which may point elsewhere once the landing area moves or a manifest is altered).
    delivery.files = {
        e: replace(f, landed_path=str(objects / f.sha256)) for e, f in delivery.files.items()
    }
    return delivery

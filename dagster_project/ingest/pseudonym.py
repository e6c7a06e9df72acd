"""Keyed pseudonyms for personal columns: HMAC-SHA256, computed inside DuckDB.

The key comes from `TOEX_PSEUDONYM_KEY`. Demo runs (`TOEX_DEMO=1`) may fall back to a
clearly-labelled development key; anything else refuses to ingest personal columns
without a key. Values are normalised (trimmed, lower-cased) first so the same e-mail
address always maps to the same pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os

log = logging.getLogger("toex.ingest")

DEV_KEY = "toex-development-key-NOT-FOR-REAL-DATA"
PREFIX = "p_"
LENGTH = 20  # hex characters kept: 80 bits, collision-free at any realistic population


class MissingPseudonymKey(RuntimeError):
    pass


def demo_mode() -> bool:
    return os.environ.get("TOEX_DEMO", "").lower() in ("1", "true", "yes")


def resolve_key() -> bytes:
    key = os.environ.get("TOEX_PSEUDONYM_KEY", "")
    if key:
        return key.encode()
    if demo_mode():
        log.warning(
            "TOEX_PSEUDONYM_KEY is not set: DEMO MODE uses the public development key %r. "
            "Never use it for real data.", DEV_KEY,
        )
        return DEV_KEY.encode()
    raise MissingPseudonymKey(
        "TOEX_PSEUDONYM_KEY is not set: refusing to ingest personal columns. Set the secret key "
        "(outside the repository), or TOEX_DEMO=1 for synthetic demo data only."
    )


def pseudonymise(value: str, key: bytes) -> str:
    """Reference implementation (tests compare the SQL with it)."""
    digest = hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:LENGTH]


def hmac_sql(expr: str, key: bytes) -> str:
    """SQL expression giving the pseudonym of text `expr` (NULL stays NULL)."""
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    inner = f"unhex(sha256(unhex('{ipad}') || encode(lower(trim({expr})))))"
    return f"CASE WHEN {expr} IS NULL THEN NULL ELSE '{PREFIX}' || left(sha256(unhex('{opad}') || {inner}), {LENGTH}) END"

"""Keyed pseudonyms for personal columns: HMAC-SHA256, computed inside DuckDB.

The key comes from `TOEX_PSEUDONYM_KEY` and must be at least 32 bytes: a short key is
recovered from one pseudonym and a list of candidate e-mail addresses by trying keys.
Demo mode (`TOEX_DEMO=1`) may fall back to a clearly-labelled public development key, but
only for the unchanged synthetic demo delivery (`Delivery.synthetic_demo`: every file
matches the generator's marker); any other delivery without a key is refused. Callers
check the key before anything of a delivery is landed or loaded (`key_for`). Values are
normalised (trimmed, lower-cased) first so the same e-mail address always maps to the same
pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from collections.abc import Iterable

from dagster_project.contract import contracts

log = logging.getLogger("toex.ingest")

DEV_KEY = "toex-development-key-NOT-FOR-REAL-DATA"
PREFIX = "p_"
LENGTH = 20  # hex characters kept: 80 bits, collision-free at any realistic population
MIN_KEY_BYTES = 32  # 256 bits, HMAC-SHA256's own strength


class MissingPseudonymKey(RuntimeError):
    pass


class WeakPseudonymKey(MissingPseudonymKey):
    pass


def demo_mode() -> bool:
    return os.environ.get("TOEX_DEMO", "").lower() in ("1", "true", "yes")


def resolve_key(synthetic_demo: bool = False) -> bytes:
    """The pseudonym key; the public development key only in demo mode for the synthetic
    demo delivery. Raises MissingPseudonymKey (or WeakPseudonymKey) with the fix in words."""
    key = os.environ.get("TOEX_PSEUDONYM_KEY", "")
    if key:
        if len(key.encode()) < MIN_KEY_BYTES:
            raise WeakPseudonymKey(
                f"TOEX_PSEUDONYM_KEY is {len(key.encode())} bytes: "
                f"at least {MIN_KEY_BYTES} are required "
                "(a short key can be recovered from one pseudonym); generate one with "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        return key.encode()
    if demo_mode() and synthetic_demo:
        log.warning(
            "TOEX_PSEUDONYM_KEY is not set: DEMO MODE uses the public development key %r "
            "for the synthetic demo delivery. Never use it for real data.",
            DEV_KEY,
        )
        return DEV_KEY.encode()
    if demo_mode():
        raise MissingPseudonymKey(
            "TOEX_PSEUDONYM_KEY is not set and this is not the unchanged synthetic demo delivery "
            "(no SYNTHETIC_DEMO.json marker matching every file): TOEX_DEMO=1 allows the public "
            "development key for that delivery only. Set TOEX_PSEUDONYM_KEY (outside the "
            "repository) for any other data."
        )
    raise MissingPseudonymKey(
        "TOEX_PSEUDONYM_KEY is not set: refusing to ingest personal columns. Set the secret key "
        "(outside the repository), or TOEX_DEMO=1 for the synthetic demo delivery only."
    )


def needs_key(extracts: Iterable[str]) -> bool:
    """Whether any of these extracts has a column to pseudonymise."""
    known = contracts()
    return any(
        c.personal == "pseudonymise" for e in extracts if e in known for c in known[e].columns
    )


def key_for(extracts: Iterable[str], synthetic_demo: bool = False) -> bytes | None:
    """Check the key for a delivery of these extracts before any of it is landed or loaded:
    the key (None when no extract has a personal column), or MissingPseudonymKey."""
    return resolve_key(synthetic_demo) if needs_key(extracts) else None


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
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL ELSE '{PREFIX}' || "
        f"left(sha256(unhex('{opad}') || {inner}), {LENGTH}) END"
    )

"""The contract's row rules as SQL expressions over a table of text columns.

For each contract column this builds: the cleaned text, the typed value, and the
reasons a row breaks a rule (NULL when it does not). Everything is vectorised SQL run
by DuckDB; no Python touches a row.
"""

from __future__ import annotations

from dagster_project.contract import Column, Contract

WS_CODES = (32, 9, 10, 13)  # what cleaning trims: space, tab, line feed, carriage return
WS = " || ".join(f"chr({c})" for c in WS_CODES)
MAX_TEXT = 1_000
# Dates outside this window are typos (2205 for 2025, 0025 ...) in every extract of the programme.
EARLIEST, LATEST = "1990-01-01", "2100-01-01"
MAX_FREE_TEXT = 100_000
TRUE_WORDS = ("y", "yes", "true", "1")
FALSE_WORDS = ("n", "no", "false", "0")
# Numbers as plain digits only: no thousands separators, currency signs, hex, NaN or infinity
# (docs/RELIABILITY.md, "Strict types", lists each decision). An integer is a whole number; a
# zero fraction ("12.0", as exports of a float column write it) is still that whole number.
INTEGER_TEXT = r"[+-]?[0-9]+(\.0+)?"
NUMBER_TEXT = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?"


def sql_literal(text: str) -> str:
    """SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    """SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def clean(source: str | None) -> str:
    """Trimmed text, blank -> NULL. `source` is the file's column or None when absent.

    `trim` with a character list costs ~160 ns a value in DuckDB 2.0 (the rules' pass over
    morile_assessments at scale 1000, 51 M values: 17.8 CPU s on average, 14.6 with this;
    docs/SCALE_LOG.md "big3"), so it runs only on values whose first or last character (code point)
    is one it removes: it would return every other value unchanged."""
    if source is None:
        return "CAST(NULL AS VARCHAR)"
    codes = ", ".join(str(c) for c in WS_CODES)
    edge = f"ascii({source}) IN ({codes}) OR ascii(right({source}, 1)) IN ({codes})"
    return f"NULLIF(CASE WHEN {edge} THEN trim({source}, {WS}) ELSE {source} END, '')"


def typed(col: Column, v: str) -> str:
    """Typed value of cleaned text `v` (NULL when blank or invalid)."""
    if col.allowed is not None:
        cases = " ".join(
            f"WHEN {sql_literal(a.lower())} THEN {sql_literal(a)}" for a in col.allowed
        )
        return f"(CASE lower({v}) {cases} END)"
    if col.type == "date":
        return (
            f"CAST(COALESCE(try_strptime({v}, '%Y-%m-%d'), try_strptime({v}, '%d/%m/%Y')) AS DATE)"
        )
    if col.type == "month":
        full = f"COALESCE(try_strptime({v}, '%Y-%m-%d'), try_strptime({v}, '%d/%m/%Y'))"
        return (
            f"CAST(COALESCE(try_strptime({v}, '%Y-%m'), try_strptime({v}, '%m/%Y'), "
            f"CASE WHEN day({full}) = 1 THEN {full} END) AS DATE)"
        )
    if col.type == "bool":
        t = ", ".join(sql_literal(w) for w in TRUE_WORDS)
        f = ", ".join(sql_literal(w) for w in FALSE_WORDS)
        return f"(CASE WHEN lower({v}) IN ({t}) THEN true WHEN lower({v}) IN ({f}) THEN false END)"
    if col.type == "integer":
        # The zero fraction is cut only where there is one: a copy of every value otherwise.
        whole = f"CASE WHEN contains({v}, '.') THEN regexp_replace({v}, '\\.0+$', '') ELSE {v} END"
        return (
            f"CASE WHEN regexp_full_match({v}, {sql_literal(INTEGER_TEXT)}) "
            f"THEN try_cast({whole} AS BIGINT) END"
        )
    if col.type == "number":
        d = f"try_cast({v} AS DOUBLE)"
        return (
            f"CASE WHEN regexp_full_match({v}, {sql_literal(NUMBER_TEXT)}) "
            f"AND isfinite({d}) THEN {d} END"
        )
    return v


def _shown(col: Column, v: str) -> str:
    """A short rendering of the offending value for the reason (never for personal columns)."""
    if col.personal:
        return "'<personal value withheld>'"
    return f"'''' || left({v}, 40) || CASE WHEN length({v}) > 40 THEN '…' ELSE '' END || ''''"


def reasons(contract: Contract, refs_available: set[str]) -> list[str]:
    """SQL expressions over `v_<col>` (clean) and `t_<col>` (typed), each a reason or NULL."""
    out: list[str] = []
    for col in contract.columns:
        v, t = quote_identifier(f"v_{col.name}"), quote_identifier(f"t_{col.name}")
        n = col.name
        if col.required:
            out.append(
                f"CASE WHEN {v} IS NULL THEN {sql_literal(n + ': required value missing')} END"
            )
        limit = MAX_FREE_TEXT if col.free_text else MAX_TEXT
        out.append(
            f"CASE WHEN length({v}) > {limit} "
            f"THEN {sql_literal(f'{n}: longer than {limit} characters (')} || "
            f"length({v}) || ')' END"
        )
        if col.allowed is not None:
            what = (
                f"code list {col.code_list}"
                if col.code_list
                else "allowed values " + "/".join(col.allowed)
            )
            out.append(
                f"CASE WHEN {v} IS NOT NULL AND {t} IS NULL "
                f"THEN {sql_literal(n + ': ')} || {_shown(col, v)} || "
                f"{sql_literal(' not in ' + what)} END"
            )
        elif col.type != "text":
            out.append(
                f"CASE WHEN {v} IS NOT NULL AND {t} IS NULL "
                f"THEN {sql_literal(n + ': ')} || {_shown(col, v)} || "
                f"{sql_literal(' is not a valid ' + col.type)} END"
            )
        if col.pattern:
            out.append(
                f"CASE WHEN {v} IS NOT NULL "
                f"AND NOT regexp_full_match({v}, {sql_literal(col.pattern)}) "
                f"THEN {sql_literal(n + ': ')} || {_shown(col, v)} || "
                f"{sql_literal(' does not match ' + col.pattern)} END"
            )
        if col.type in ("date", "month"):
            out.append(
                f"CASE WHEN {t} < DATE '{EARLIEST}' OR {t} >= DATE '{LATEST}' "
                f"THEN {sql_literal(n + ': ')} || {t} || "
                f"{sql_literal(f' outside the plausible range {EARLIEST} to {LATEST}')} END"
            )
        if col.min is not None:
            out.append(
                f"CASE WHEN {t} < {col.min} THEN {sql_literal(n + ': ')} || {t} || "
                f"{sql_literal(f' below the minimum {col.min}')} END"
            )
        if col.max is not None:
            out.append(
                f"CASE WHEN {t} > {col.max} THEN {sql_literal(n + ': ')} || {t} || "
                f"{sql_literal(f' above the maximum {col.max}')} END"
            )
        if col.on_or_after:
            o = quote_identifier(f"t_{col.on_or_after}")
            out.append(
                f"CASE WHEN {t} < {o} THEN {sql_literal(f'{n}: before {col.on_or_after} (')} || "
                f"{t} || ' < ' || {o} || ')' END"
            )
        if col.required_when:
            other, value = col.required_when
            out.append(
                f"CASE WHEN {t} IS NULL "
                f"AND {quote_identifier('t_' + other)} = {sql_literal(value)} "
                f"THEN {sql_literal(f'{n}: required when {other} is {value}')} END"
            )
        if col.references and col.references[0] in refs_available:
            ref_extract, ref_col = col.references
            out.append(
                f"CASE WHEN {_unknown_reference(col)} "
                f"THEN {sql_literal(n + ': ')} || {_shown(col, v)} || "
                f"{sql_literal(f' not found in {ref_extract}.{ref_col}')} END"
            )
    return out


def _unknown_reference(col: Column) -> str:
    """True where `t_<col>` is not among the referenced extract's values (a subquery)."""
    t = quote_identifier(f"t_{col.name}")
    ref_extract, ref_col = col.references
    return (
        f"{t} IS NOT NULL AND {t} NOT IN "
        f"(SELECT {quote_identifier(ref_col)} FROM raw.{quote_identifier(ref_extract)})"
    )


def unknown_references(contract: Contract, refs_available: set[str]) -> str | None:
    """SQL true for a row holding a value its referenced extract lacks; None when the contract
    has no reference to check (none, or the referenced extract not loaded)."""
    checks = [
        f"({_unknown_reference(c)})"
        for c in contract.columns
        if c.references and c.references[0] in refs_available
    ]
    return " OR ".join(checks) or None

"""Scale benchmark of the TOEX pipeline against the DuckDB floor (see docs/SCALE.md)."""

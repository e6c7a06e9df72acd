"""Engine implementations other than the default DuckDB; imported only when selected (see
engine.py)."""

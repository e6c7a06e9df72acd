"""Dagster definitions, one module per domain; `dagster_project.definitions` merges them."""

"""KPI domain (dbt): placeholder until the dbt project lands."""
assets: list = []
asset_checks: list = []


def run_config(quarter) -> dict:
    return {}

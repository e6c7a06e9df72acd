"""Great Expectations' ephemeral context for a step's suites (stores on disk when asked, the
Data Docs site with the cached views of docs_views.py) and the Data Docs pages of a run:
shared by the DuckDB runner (runner.py) and the Spark one (engines/spark_quality.py)."""

from __future__ import annotations

import logging
from pathlib import Path

from dagster_project.quality.suites import Suite

log = logging.getLogger("toex.quality")

DOCS_SITE = "toex_gx_docs"


def gx_context(store_dir: Path | None, docs_dir: Path | None):
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults()
    stores = dict(defaults.stores)
    if (
        store_dir is not None
    ):  # keep suites and results on disk: the docs index then shows every run
        for name, sub in (
            (defaults.expectations_store_name, "expectations"),
            (defaults.validation_results_store_name, "validations"),
        ):
            stores[name] = {
                **stores[name],
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(store_dir / sub),
                },
            }
    sites = {}
    if docs_dir is not None:
        from dagster_project.quality.docs_views import site_config

        sites[DOCS_SITE] = site_config(str(docs_dir))
    config = DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def build_docs(
    context, suites: list[Suite], run_id: str | None
) -> tuple[str | None, dict[str, str]]:
    """Build the Data Docs pages of `suites` and their validations in this run, and the index,
    in one `build_data_docs` call: (index path, {suite name: validation page path}).

    One call per step, not per suite: GX rebuilds the index (every validation in the run's
    store) on every call, so building per suite rendered the index once per suite."""
    if not suites:
        return None, {}
    try:
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        names = {s.name for s in suites}
        latest: dict[str, object] = {}
        for k in context.validation_results_store.list_keys():
            name = k.expectation_suite_identifier.name
            if name not in names or k.run_id.run_name != (run_id or "adhoc"):
                continue
            if name not in latest or k.run_id.run_time > latest[name].run_id.run_time:
                latest[name] = k
        ids = [ExpectationSuiteIdentifier(name=s.name) for s in suites] + list(latest.values())
        index = context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=ids).get(
            DOCS_SITE
        )
        pages = {}
        for name, key in latest.items():
            urls = context.get_docs_sites_urls(resource_identifier=key, site_name=DOCS_SITE)
            page = _file_path(urls[0].get("site_url")) if urls else None
            if page:
                pages[name] = page
        return _file_path(index), pages
    except Exception:  # docs are a convenience: never fail a gate because they could not be built
        log.exception(
            "could not build Data Docs for suite(s) %s", ", ".join(s.name for s in suites)
        )
        return None, {}


def _file_path(url: str | None) -> str | None:
    if url and url.startswith("file://"):
        return url[len("file://") :]
    return url

"""Great Expectations' ephemeral context for one suite run (stores on disk when asked, the
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


def build_docs(context, suite: Suite, run_id: str | None) -> tuple[str | None, str | None]:
    try:
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
        )

        keys = [
            k
            for k in context.validation_results_store.list_keys()
            if k.expectation_suite_identifier.name == suite.name
            and k.run_id.run_name == (run_id or "adhoc")
        ]
        key = max(keys, key=lambda k: k.run_id.run_time) if keys else None
        ids = [ExpectationSuiteIdentifier(name=suite.name)] + ([key] if key else [])
        index = context.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=ids).get(
            DOCS_SITE
        )
        page = None
        if key is not None:
            urls = context.get_docs_sites_urls(resource_identifier=key, site_name=DOCS_SITE)
            page = urls[0].get("site_url") if urls else None
        return _file_path(index), _file_path(page)
    except Exception:  # docs are a convenience: never fail a gate because they could not be built
        log.exception("could not build Data Docs for suite %s", suite.name)
        return None, None


def _file_path(url: str | None) -> str | None:
    if url and url.startswith("file://"):
        return url[len("file://") :]
    return url

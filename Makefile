# Two entry points for a newcomer: `make demo` and `make test`.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
DEMO    := data/source/demo_delivery
export TOEX_HOME ?= $(CURDIR)

.PHONY: setup demo test test-fast test-spark lint dev manifest clean bench

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv==0.13.9'
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --compile-bytecode requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/toex prepare
	touch $(STAMP)

setup: $(STAMP)

manifest: $(STAMP)
	$(BIN)/toex prepare

demo: $(STAMP)
	$(BIN)/toex demo --quarter 2025-26-Q1

# Every test but the Spark engine's parity run, which alone takes ~6 min on 2 cores: `make test-spark`,
# its own CI step (.ci/run runs both).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup --no-loadscope-reorder --durations=40 -m "not spark"

# The whole job on a local Spark cluster against the DuckDB engine (needs Java 17).
test-spark: $(STAMP)
	$(BIN)/python -m pytest -m spark --durations=5

# As `make test`'s scheduling: a module's shared build (tests/conftest.py) runs on one worker, once.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup --no-loadscope-reorder -m "not slow"

# Style, enforced in CI: ruff (rules and line length in pyproject.toml), ruff's formatter, sqlfluff
# for the dbt SQL (dbt/.sqlfluff), and the generated dbt files (seeds, sources, docs) up to date.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python dbt/scripts/build_seeds.py --check
	$(BIN)/python dbt/scripts/build_docs.py --check
	@# Two processes halve the wall time; their pool's shared-memory cleanup warns harmlessly.
	cd dbt && PYTHONWARNINGS=ignore:resource_tracker:UserWarning \
	  ../$(BIN)/sqlfluff lint --processes 2 models macros tests

# Scale benchmark (not part of the tests): pipeline vs the DuckDB floor at each scale, results in
# data/bench/results.md (docs/SCALE.md). All four scales: ~20 min on 2 cores, ~10 GB of disk at scale 1000.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.scale --scales $${SCALES:-1 10 100 1000}

# The UI on 127.0.0.1 only, sharing run history and instance config with `toex` (data/dagster_home,
# dagster.yaml written by `toex prepare`). Demo defaults: synthetic data (TOEX_DEMO=1) and the demo's
# quarter; override either in the environment. Stops on Ctrl-C or SIGTERM: make passes SIGTERM to
# the recipe's shell, which is replaced (exec) by `dagster dev` with SIGINT's default restored (a
# backgrounded shell ignores SIGINT, and dagster dev handles SIGTERM as SIGINT). Beside it, the published
# outputs read-only on TOEX_OUTPUTS_PORT (3080), so the UI's links open; it stops when dagster dev does.
# TOEX_DEMO=1 lets the public development key pseudonymise the unchanged synthetic demo delivery
# only (its SYNTHETIC_DEMO.json marker); any other delivery in the inbox needs TOEX_PSEUDONYM_KEY.
dev: $(STAMP)
	export DAGSTER_HOME=$${DAGSTER_HOME:-$${TOEX_DATA_DIR:-$(CURDIR)/data}/dagster_home} \
	  TOEX_DEMO=$${TOEX_DEMO:-1} TOEX_REPORTING_QUARTER=$${TOEX_REPORTING_QUARTER:-2025-26-Q1}; \
	$(BIN)/toex prepare && \
	{ $(BIN)/python -m dagster_project.outputs_server & } && \
	exec $(BIN)/python -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); \
	  os.execv(sys.argv[1], sys.argv[1:])' $(BIN)/dagster dev -h 127.0.0.1 -p $${PORT:-3000} -w workspace.yaml

clean:
	rm -rf $(VENV) data/warehouse data/landing data/exports data/source/demo_delivery dbt/target

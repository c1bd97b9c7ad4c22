# crypto-sma: `make demo` runs the pipeline on this machine, `make test` checks everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export UV_PYTHON := 3.11

# uv comes from PyPI when the machine lacks it; everything else comes through uv and the lock.
UV ?= $(shell command -v uv 2>/dev/null || { python3 -m pip install --quiet uv >/dev/null 2>&1 && \
	python3 -c 'import uv; print(uv.find_uv_bin())'; })
PY_SOURCES := libs services infra/src bench tests

.PHONY: help setup lint typecheck pytest test demo bench soak clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock libs/sma/pyproject.toml services/glue_job/pyproject.toml services/api/pyproject.toml infra/pyproject.toml
	$(UV) sync --locked --all-packages --all-extras
	@touch $@

setup: .venv/.synced ## install uv and every Python package (locked)

lint: setup ## ruff lint and format check
	$(UV) run --no-sync ruff check $(wildcard $(PY_SOURCES))
	$(UV) run --no-sync ruff format --check $(wildcard $(PY_SOURCES))

typecheck: setup ## mypy on the library, the services, the benchmarks and the test helpers
	$(UV) run --no-sync mypy libs/sma/src services/glue_job/src services/api/src infra/src bench tests/support

pytest: setup ## the pytest suite
	$(UV) run --no-sync pytest

test: lint typecheck pytest ## lint, type-check and run every test

demo: setup ## the whole pipeline locally: DynamoDB endpoint, Spark job, lake, API
	$(UV) run --no-sync python -m sma_etl.local.demo $(DEMO_ARGS)

soak: setup ## 10,000 API requests at 64 concurrency over real HTTP; fails on any error
	$(UV) run --no-sync python -m bench.soak

bench: setup ## every benchmark of BENCHMARKS.md at full size (BENCH_ARGS=--quick for small sizes)
	$(UV) run --no-sync python -m bench $(BENCH_ARGS)

clean: ## remove local run artefacts
	rm -rf .demo lake spark-warehouse .pytest_cache .mypy_cache .ruff_cache infra/cdk.out

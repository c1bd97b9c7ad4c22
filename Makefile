# crypto-sma: `make demo` runs the pipeline on this machine, `make test` checks everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export UV_PYTHON := 3.11

# uv: the one on PATH, else a pinned copy bootstrapped from PyPI into a project-local virtual
# environment (.tools/), which PEP 668 allows where the system Python refuses `pip install`.
# Everything else comes through uv and the lock.
UV_VERSION := 0.13.9
BOOTSTRAP_PYTHON ?= python3
UV_LOCAL := .tools/bin/uv
UV ?= $(or $(shell command -v uv 2>/dev/null),$(UV_LOCAL))
PY_SOURCES := libs services infra/src bench tests

# The uv that `make setup` would use (the bootstrap test reads it).
uv-path: | $(filter $(UV_LOCAL),$(UV))
	@echo $(UV)

.PHONY: help uv-path setup lint typecheck pytest test demo bench soak clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV_LOCAL):
	@$(BOOTSTRAP_PYTHON) -m venv .tools >/dev/null 2>.tools.log && \
	  .tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)" >>.tools.log 2>&1 \
	  && rm -f .tools.log \
	  || { rm -rf .tools; echo "make: cannot bootstrap uv with $(BOOTSTRAP_PYTHON) (see .tools.log); install uv $(UV_VERSION) or python3-venv and re-run" >&2; exit 1; }

.venv/.synced: pyproject.toml uv.lock libs/sma/pyproject.toml services/glue_job/pyproject.toml services/api/pyproject.toml infra/pyproject.toml | $(filter $(UV_LOCAL),$(UV))
	$(UV) sync --locked --all-packages --all-extras
	@touch $@

setup: .venv/.synced ## install uv and every Python package (locked)

lint: setup ## ruff lint and format check
	$(UV) run --no-sync ruff check $(wildcard $(PY_SOURCES))
	$(UV) run --no-sync ruff format --check $(wildcard $(PY_SOURCES))

typecheck: setup ## mypy on the library and services
	$(UV) run --no-sync mypy libs/sma/src services/glue_job/src services/api/src infra/src bench

pytest: setup ## the pytest suite
	$(UV) run --no-sync pytest

test: lint typecheck pytest ## lint, type-check and run every test

demo: setup ## the whole pipeline locally: DynamoDB endpoint, Spark job, lake, API
	$(UV) run --no-sync python -m sma_etl.local.demo $(DEMO_ARGS)

soak: setup ## 10,000 API requests at 64 concurrency over real HTTP; fails on any error
	$(UV) run --no-sync python bench/soak.py

bench: setup ## every benchmark of BENCHMARKS.md at full size (BENCH_ARGS=--quick for small sizes)
	$(UV) run --no-sync python -m bench $(BENCH_ARGS)

clean: ## remove local run artefacts
	rm -rf .demo .tools .tools.log lake spark-warehouse .pytest_cache .mypy_cache .ruff_cache infra/cdk.out

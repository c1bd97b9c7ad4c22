# crypto-sma: `make demo` runs the pipeline on this machine, `make test` checks everything.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export UV_PYTHON := 3.11

# uv: the one on PATH, else a pinned copy bootstrapped from PyPI into a project-local virtual
# environment (.uv/), which PEP 668 allows where the system Python refuses `pip install`.
# Everything else comes through uv and the lock.
UV_VERSION := 0.13.9
BOOTSTRAP_PYTHON ?= python3
UV_LOCAL := .uv/bin/uv
UV ?= $(or $(shell command -v uv 2>/dev/null),$(UV_LOCAL))
PY_SOURCES := libs services apps infra/src bench tests tools

# The job's forkless local file system (services/glue_job/README.md): one Java class, compiled
# against pyspark's own Hadoop jar into a git-ignored jar that Spark sessions started here load.
JAVAC ?= javac
JAR ?= jar
FORKLESS_FS_SOURCE := services/glue_job/java/sma/etl/hadoop/ForklessRawLocalFileSystem.java
FORKLESS_FS_BUILD := services/glue_job/build
FORKLESS_FS_JAR := $(FORKLESS_FS_BUILD)/forkless-fs.jar
# Spark's classes as a JVM class data archive (services/glue_job/README.md): written by one small
# run of the job, mapped by the sessions started here. Git-ignored, like the jar.
CLASS_ARCHIVE := $(FORKLESS_FS_BUILD)/spark-classes.jsa
HADOOP_API_JAR = $(UV) run --no-sync python -c 'import glob, os, pyspark; \
	print(max(glob.glob(os.path.join(os.path.dirname(pyspark.__file__), "jars", "hadoop-client-api-*.jar"))))'

.PHONY: help uv-path setup web-assets lint typecheck packages pytest test demo bench soak clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The uv that `make setup` would use (the bootstrap test reads it).
uv-path: | $(filter $(UV_LOCAL),$(UV))
	@echo $(UV)

$(UV_LOCAL):
	@$(BOOTSTRAP_PYTHON) -m venv .uv >/dev/null 2>.uv-bootstrap.log && \
	  .uv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)" >>.uv-bootstrap.log 2>&1 \
	  && rm -f .uv-bootstrap.log \
	  || { rm -rf .uv; echo "make: cannot bootstrap uv with $(BOOTSTRAP_PYTHON) (see .uv-bootstrap.log); install uv $(UV_VERSION) or python3-venv and re-run" >&2; exit 1; }

MEMBER_PROJECTS := libs/sma/pyproject.toml services/glue_job/pyproject.toml \
	services/api/pyproject.toml infra/pyproject.toml apps/laptop/pyproject.toml

# Bytecode is compiled at install time: where PYTHONDONTWRITEBYTECODE is set (CI, containers)
# every process would otherwise compile each module it imports again (~1 s of a scheduled run).
.venv/.synced: pyproject.toml uv.lock $(MEMBER_PROJECTS) | $(filter $(UV_LOCAL),$(UV))
	$(UV) sync --locked --all-packages --all-extras --compile-bytecode
	@touch $@

# The workspace's own modules (installed editable, so not compiled by the sync); up-to-date
# files are skipped.
OWN_SOURCES := libs/sma/src services/glue_job/src services/api/src infra/src apps/laptop/src \
	bench tools tests/support

# The browser files the API serves itself (no CDN): pinned by services/api/package-lock.json,
# installed with `npm ci` into services/api/node_modules and copied into the package's
# static/vendor folder (both git-ignored), keeping their node_modules paths (LICENSE as .txt,
# so that browsers show it).
API_WEB := services/api
API_VENDOR := $(API_WEB)/src/sma_api/static/vendor
API_WEB_FILES := lightweight-charts/dist/lightweight-charts.standalone.production.js \
	lightweight-charts/LICENSE swagger-ui-dist/swagger-ui-bundle.js swagger-ui-dist/swagger-ui.css \
	swagger-ui-dist/LICENSE redoc/bundles/redoc.standalone.js \
	redoc/bundles/redoc.standalone.js.LICENSE.txt redoc/LICENSE

$(FORKLESS_FS_JAR): $(FORKLESS_FS_SOURCE) .venv/.synced
	@command -v $(JAVAC) >/dev/null || { echo "$(JAVAC) not found: the job's local file system needs a JDK (e.g. openjdk-17-jdk-headless)" >&2; exit 1; }
	rm -rf $(FORKLESS_FS_BUILD)/classes
	@# Java 8 bytecode loads on every JVM Spark 3.5 supports.
	$(JAVAC) --release 8 -Xlint:-options -cp "$$($(HADOOP_API_JAR))" -d $(FORKLESS_FS_BUILD)/classes $(FORKLESS_FS_SOURCE)
	$(JAR) cf $@.tmp -C $(FORKLESS_FS_BUILD)/classes . && mv $@.tmp $@

$(CLASS_ARCHIVE): $(FORKLESS_FS_JAR) .venv/.synced
	$(UV) run --no-sync python -m sma_etl.class_archive $@

$(API_VENDOR)/.built: $(API_WEB)/package.json $(API_WEB)/package-lock.json
	cd $(API_WEB) && npm ci --omit=peer --ignore-scripts --no-audit --no-fund
	rm -rf $(API_VENDOR)
	for file in $(API_WEB_FILES); do \
		install -D -m 644 $(API_WEB)/node_modules/$$file $(API_VENDOR)/$${file/%LICENSE/LICENSE.txt} \
		|| exit 1; done
	@touch $@

web-assets: $(API_VENDOR)/.built ## the API's chart library and docs UIs from npm (locked)

setup: .venv/.synced $(FORKLESS_FS_JAR) $(CLASS_ARCHIVE) web-assets ## install uv, every Python package (locked), the job's Java class and class archive, the API's web assets
	@$(UV) run --no-sync python -m compileall -q $(OWN_SOURCES) >/dev/null

lint: setup ## ruff lint and format check, hadolint on the Dockerfiles
	$(UV) run --no-sync ruff check $(wildcard $(PY_SOURCES))
	$(UV) run --no-sync ruff format --check $(wildcard $(PY_SOURCES))
	$(UV) run --no-sync hadolint services/*/Dockerfile apps/*/Dockerfile

typecheck: setup ## mypy on the library, services, apps, benchmarks and test helpers
	$(UV) run --no-sync mypy libs/sma/src services/glue_job/src services/api/src infra/src \
		apps/laptop/src bench tools tests/support

pytest: setup ## the pytest suite
	$(UV) run --no-sync pytest

packages: setup ## each workspace member installs alone (locked) and imports what it ships
	$(UV) run --no-sync python tools/check_packages.py --uv "$(UV)"

test: lint typecheck packages pytest ## lint, type-check, check each package alone, run every test

demo: setup ## the whole pipeline locally: DynamoDB endpoint, Spark job, lake, API
	$(UV) run --no-sync sma-demo $(DEMO_ARGS)

soak: setup ## 10,000 API requests at 64 concurrency over real HTTP; fails on any error
	$(UV) run --no-sync python -m bench.soak

bench: setup ## every benchmark of BENCHMARKS.md at full size (BENCH_ARGS=--quick for small sizes)
	$(UV) run --no-sync python -m bench $(BENCH_ARGS)

clean: ## remove local run artefacts
	rm -rf .demo .uv .uv-bootstrap.log lake spark-warehouse $(API_WEB)/node_modules $(API_VENDOR) \
		.pytest_cache .mypy_cache .ruff_cache infra/cdk.out $(FORKLESS_FS_BUILD)

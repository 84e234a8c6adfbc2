# The first two targets are the README's first two commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo
PYTEST_ARGS ?=

.PHONY: demo test setup dev system-deps lint format bench bench-quick docs clean

demo: $(VENV)/.installed  ## build the demo company, show its headline KPIs, serve the web app
	$(BIN)/csmetrics demo $(DEMO_DIR) --force
	$(BIN)/csmetrics summary --workspace $(DEMO_DIR)
	$(BIN)/csmetrics serve --workspace $(DEMO_DIR) --demo-users

test: $(VENV)/.installed-dev system-deps  ## set up and run every test
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

setup: $(VENV)/.installed-dev  ## create .venv with dev extras

# System packages the tests need, so a fresh machine gets them from `make test` alone:
# Chromium for the browser tests (Playwright drives Debian's build) and a Java 17+
# runtime for the Spark equivalence tests (PySpark itself comes from PyPI).
system-deps:
	@PKGS=""; \
	[ -x /usr/bin/chromium ] || PKGS="$$PKGS chromium"; \
	command -v java >/dev/null 2>&1 || [ -n "$$JAVA_HOME" ] || PKGS="$$PKGS openjdk-17-jre-headless"; \
	if [ -n "$$PKGS" ]; then \
		SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$PKGS >/dev/null; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

docs: $(VENV)/.installed  ## regenerate the references generated from code
	$(BIN)/csmetrics docs --out docs

bench: $(VENV)/.installed-dev  ## import and adoption benchmarks at ~100M events (long; writes bench/RESULTS.md)
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_adoption.py

bench-quick: $(VENV)/.installed-dev  ## the same benchmarks at ~5-10M events
	$(BIN)/python bench/bench_import.py --quick
	$(BIN)/python bench/bench_adoption.py --quick

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache

# The first two targets are the README's first two commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR ?= demo
PYTEST_ARGS ?=

.PHONY: demo test setup dev system-deps lint format soak bench bench-quick bench-1b docs clean

demo: $(VENV)/.installed  ## build the demo company, show its headline KPIs, serve the web app
	$(BIN)/csmetrics demo $(DEMO_DIR) --force
	$(BIN)/csmetrics summary --workspace $(DEMO_DIR)
	$(BIN)/csmetrics serve --workspace $(DEMO_DIR) --demo-users

test: $(VENV)/.installed-dev system-deps  ## set up and run every test
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/python scripts/dependency_audit.py
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

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
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

# Long reliability campaigns, left out of `make test`: fuzz budgets x25 (~500 kills) and
# atheris, every injection string for every role, schemathesis at 200 examples per
# operation, then the web load test (figures go to docs/reliability.md).
soak: $(VENV)/.installed-dev system-deps  ## long fuzz/fault/security campaigns and the web load test (hours)
	$(BIN)/python -m pip install --quiet -e ".[dev,soak]"
	HYPOTHESIS_PROFILE=soak $(BIN)/python -m pytest -n 2 -m "" tests/reliability
	$(BIN)/python -m pytest -n 2 -m soak tests/web
	$(BIN)/python bench/load_web.py --users 30 --duration 60 --require-background

docs: $(VENV)/.installed  ## regenerate the references generated from code
	$(BIN)/csmetrics docs --out docs

# Data is generated into bench/data/ (ignored by git) and reused; figures go to bench/RESULTS.md.
bench: $(VENV)/.installed-dev system-deps  ## the benchmark suite at ~10M and ~100M events, 1M-account ARR, ~1B out of core (hours)
	$(BIN)/python bench/bench_import.py --quick
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_adoption.py --quick
	$(BIN)/python bench/bench_adoption.py
	$(BIN)/python bench/bench_kpis.py --quick
	$(BIN)/python bench/bench_kpis.py
	$(BIN)/python bench/bench_arr.py
	$(MAKE) bench-1b

bench-quick: $(VENV)/.installed-dev system-deps  ## the same benchmarks at ~5-10M events
	$(BIN)/python bench/bench_import.py --quick
	$(BIN)/python bench/bench_adoption.py --quick
	$(BIN)/python bench/bench_kpis.py --quick

bench-1b: $(VENV)/.installed-dev  ## MAU over ~1B events left in Parquet, memory-capped (~14 GB of data)
	$(BIN)/python bench/bench_outofcore.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .ruff_cache

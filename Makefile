# The two commands a fresh machine needs:
#   make demo   sets up a virtualenv with personae's core install and its predictions (the
#               predict extra), runs the pipeline on demo data
#               and serves the web UI on http://127.0.0.1:8700/ui/ (Ctrl-C stops it; UI=0 skips it)
#   make test   sets up the virtualenv with the dev tools and runs lint, type checks and every test
# and the loop a contributor runs while working:
#   make check  lint, type checks and the non-Spark tests in parallel (pytest-xdist)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PEOPLE ?= 20000
DEMO_DIR ?= demo-project
CORE := $(VENV)/.installed-core
DEV := $(VENV)/.installed-dev

.PHONY: setup demo test check lint typecheck unit bench clean

$(CORE): pyproject.toml
	@echo "Installing personae (core and predictions: no dev tools, no Spark) into $(VENV); a few minutes the first time"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip
	@$(BIN)/pip install -q -e '.[predict]'
	@touch $@

$(DEV): pyproject.toml
	@echo "Installing personae with its dev tools (pytest, ruff, mypy, pyspark) into $(VENV); a few minutes the first time"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --upgrade pip
	@$(BIN)/pip install -q -e '.[dev]'
	@touch $@ $(CORE)

setup: $(DEV)

UI ?= 1

demo: $(CORE)
	$(BIN)/personae demo --people $(PEOPLE) --dir $(DEMO_DIR) $(if $(filter 1,$(UI)),--ui,)
	@echo "personae is installed in $(VENV): run '. $(VENV)/bin/activate' (or use $(BIN)/personae)"

lint: $(DEV)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(DEV)
	$(BIN)/mypy

unit: $(DEV)
	$(BIN)/pytest

test: lint typecheck unit

check: lint typecheck
	$(BIN)/pytest -n auto --ignore=tests/spark

bench: $(DEV)
	$(BIN)/python benchmarks/bench_pipeline.py --people 1000000

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache

# The two commands a fresh machine needs:
#   make demo   sets up a virtualenv, installs personae and runs the pipeline on demo data
#   make test   sets up the same virtualenv and runs lint, type checks and the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PEOPLE ?= 20000
DEMO_DIR ?= demo-project

.PHONY: setup demo test lint typecheck unit bench clean

$(BIN)/personae: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(BIN)/personae

setup: $(BIN)/personae

demo: setup
	$(BIN)/personae demo --people $(PEOPLE) --dir $(DEMO_DIR)

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest

test: lint typecheck unit

bench: setup
	$(BIN)/python benchmarks/bench_pipeline.py --people 1000000

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache

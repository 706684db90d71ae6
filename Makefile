# One virtualenv for everything; every target installs what it needs first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup test lint typecheck demo bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# the whole suite, failing below the branch-coverage floor of pyproject.toml [tool.coverage]
test: setup
	$(BIN)/pytest -q -n 2 --cov --cov-report=term

lint: setup
	$(BIN)/ruff check rtcfg tests bench
	$(BIN)/ruff format --check rtcfg tests bench

typecheck: setup
	$(BIN)/mypy

demo: setup
	bash examples/demo.sh

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build *.egg-info

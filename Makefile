# Two commands do all set-up on a fresh machine with Python >= 3.11:
#   make demo   — create .venv, install randsup, generate the Songjiang-scale demo data and plan 2027Q1
#   make test   — create .venv, install randsup with test extras, run ruff and the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

demo: $(VENV)/.installed
	rm -rf $(DEMO)
	$(BIN)/randsup demo-data $(DEMO)/data
	$(BIN)/randsup validate $(DEMO)/data

test: $(VENV)/.installed
	$(BIN)/ruff check randsup tests benchmarks examples
	$(BIN)/python -m pytest

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache .hypothesis

# Two commands do all set-up on a fresh machine with Python >= 3.11:
#   make demo   — create .venv, install randsup, generate the Songjiang-scale demo data and plan 2027Q1
#   make test   — create .venv, install randsup with test extras, run ruff and the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo
# The demo's public seed sources: the values of the two sources plan-2027Q1.toml names in advance
# (a 双色球 draw and an index close). Real plans pass the real published values.
SOURCE_LOTTERY := 02 05 12 20 25 31 08
SOURCE_INDEX := 3245.67

.PHONY: demo test test-spark lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

# The demo's checks are unannounced: a fresh secret salt (outside the data folder) is committed in
# the spec before the sources are drawn, and revealed with `randsup reveal` after the last visit.
demo: $(VENV)/.installed
	rm -rf $(DEMO)
	mkdir -p $(DEMO)
	$(BIN)/randsup salt new $(DEMO)/salt.txt
	$(BIN)/randsup demo-data $(DEMO)/data --salt-file $(DEMO)/salt.txt
	$(BIN)/randsup validate $(DEMO)/data
	$(BIN)/randsup plan $(DEMO)/data $(DEMO)/data/plan-2027Q1.toml \
		--source "$(SOURCE_LOTTERY)" --source "$(SOURCE_INDEX)" --salt-file $(DEMO)/salt.txt --out $(DEMO)/plan
	$(BIN)/randsup verify $(DEMO)/plan --data $(DEMO)/data --salt-file $(DEMO)/salt.txt

test: $(VENV)/.installed
	$(BIN)/ruff check randsup tests benchmarks examples
	$(BIN)/python -m pytest

# The Spark engine's tests (marker `spark`): pyspark (~450 MB) and a Java 17+ runtime on PATH.
test-spark: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test,spark]'
	$(BIN)/python -m pytest -m spark

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .ruff_cache .hypothesis

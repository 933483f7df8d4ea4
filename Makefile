# The two commands in the README.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

$(BIN)/familyflow: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

.PHONY: run test lint
run: $(BIN)/familyflow
	$(BIN)/familyflow demo
	$(BIN)/familyflow serve

test: $(BIN)/familyflow
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2

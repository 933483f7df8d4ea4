# The two commands in the README.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

$(BIN)/familyflow: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

.PHONY: run test chromium
run: $(BIN)/familyflow
	$(BIN)/familyflow demo
	$(BIN)/familyflow serve

# The browser tests drive Debian's Chromium; Playwright never downloads a browser here.
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq chromium; \
	  else \
	    echo "the browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; \
	  fi; \
	fi

test: $(BIN)/familyflow chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2

# The two commands in the README.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium

# Running needs only the service's own dependencies; the test tools come with `make test`.
$(VENV)/.installed-run: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(VENV)/.installed-run $@

# The demo signs its messages as a council would (FAMILYFLOW_SERVICE_NAME, README: first run),
# replies go to the demo team's mailbox and emails link to the local case pages.
DEMO_ENV := FAMILYFLOW_SERVICE_NAME="$${FAMILYFLOW_SERVICE_NAME:-Northshire Council Families Together}" \
	FAMILYFLOW_TEAM_REPLY_TO="$${FAMILYFLOW_TEAM_REPLY_TO:-{\"Families Together (demo)\": \"families.together@northshire.example\"}}" \
	FAMILYFLOW_BASE_URL="$${FAMILYFLOW_BASE_URL:-http://localhost:8000}"

.PHONY: run test chromium
run: $(VENV)/.installed-run
	$(DEMO_ENV) $(BIN)/familyflow demo
	$(DEMO_ENV) $(BIN)/familyflow serve

# The browser tests drive Debian's Chromium; Playwright never downloads a browser here.
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq chromium; \
	  else \
	    echo "the browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; \
	  fi; \
	fi

test: $(VENV)/.installed-test chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2

# Everything a fresh machine needs: `make demo` and `make test` create .venv and install into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-data

.PHONY: demo test test-fast lint typecheck bench bench-cold clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

DEMO_DB := sqlite:///$(DEMO_DIR)/demonitor.db
HOST ?= 127.0.0.1
PORT ?= 8000

demo: $(STAMP)
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(BIN)/demonitor demo register -o $(DEMO_DIR)/register.csv --rows 5000 --seed 2025
	$(BIN)/demonitor classify $(DEMO_DIR)/register.csv -o $(DEMO_DIR)/classified.csv || [ $$? -eq 3 ]
	$(BIN)/demonitor demo --database-url $(DEMO_DB)
	$(BIN)/demonitor account --period 2024 --database-url $(DEMO_DB)
	$(BIN)/demonitor account --period 2025Q2 --region 321200 --database-url $(DEMO_DB)
	$(BIN)/demonitor progress --as-of 2024Q4 --database-url $(DEMO_DB)
	$(BIN)/demonitor forecast --series GDP --horizon 4 --database-url $(DEMO_DB)
	$(BIN)/demonitor serve --database-url $(DEMO_DB) --host $(HOST) --port $(PORT)

# The browser tests drive Debian's Chromium (never a downloaded browser) and need a CJK font for
# Chinese pages and screenshots. Installed once, as root or through sudo.
BROWSER_PACKAGES := chromium fonts-wqy-microhei
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(BROWSER_PACKAGES); \
	fi

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/lint-imports  # the layers of docs/ARCHITECTURE.md (contracts in pyproject.toml)

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck browser
	$(BIN)/pytest -q

# For quick local loops: no browser, no PostgreSQL, nothing slow; no lint or typecheck either.
test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not browser and not postgres and not slow"

bench: $(STAMP)
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/web_load.py

# The first dashboard overview after a write, demo and city-sized databases, SQLite and
# PostgreSQL (127.0.0.1:5432); the city database is built once (minutes) and cached.
bench-cold: $(STAMP)
	$(BIN)/python bench/web_load.py --cold-overview all --backend both

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache test-artifacts

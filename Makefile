# Two commands do everything on a fresh machine with Python 3.11 and git:
#   make run    install, apply migrations, serve the site on http://127.0.0.1:5000
#   make test   install the test needs, lint, and run every test
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

SCAN_VENV := .venv-scan

.PHONY: run test lint content-check migrate lighthouse screenshots bench clean scan scan-tools

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --progress-bar on -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --progress-bar on -r requirements-test.txt
	touch $@

# The security scanners (wapiti, sqlmap) in a virtualenv of their own: their pinned
# dependencies clash with the app's.
$(SCAN_VENV)/bin/python:
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/python -m pip install --quiet --upgrade pip

$(SCAN_VENV)/.installed: requirements-scan.txt | $(SCAN_VENV)/bin/python
	$(SCAN_VENV)/bin/pip install --quiet --progress-bar on -r requirements-scan.txt
	touch $@

scan-tools: $(SCAN_VENV)/.installed

migrate: $(VENV)/.installed
	$(BIN)/flask --app intake db upgrade

run: migrate
	$(BIN)/flask --app intake run --host $(HOST) --port $(PORT)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every page reviewed in date, sourced and easy to read (also for cron: exits 1 if not).
content-check: $(VENV)/.installed
	$(BIN)/flask --app intake content check

# Browser tests need Debian's Chromium (apt-get install chromium-headless-shell); without it
# they skip. The security scan (tests/scan) is collected with the rest; it needs
# INTAKE_TEST_DATABASE_URL (PostgreSQL), and skips without it.
test: lint content-check node_modules/.installed $(SCAN_VENV)/.installed
	$(BIN)/pytest

# wapiti and sqlmap against the app under gunicorn on PostgreSQL, alone, e.g.
#   INTAKE_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test make scan
scan: $(VENV)/.test-installed $(SCAN_VENV)/.installed
	$(BIN)/pytest tests/scan

lighthouse: $(VENV)/.test-installed
	bench/lighthouse

# Benchmarks (PostgreSQL on 127.0.0.1:5432 and wrk needed); results: bench/RESULTS.md
bench: $(VENV)/.test-installed
	$(BIN)/python -m bench.guide_page
	$(BIN)/python -m bench.submission
	$(BIN)/python -m bench.queue_page
	$(BIN)/python -m bench.dashboard
	$(BIN)/python -m bench.reports_page
	$(BIN)/python -m bench.memory
	$(BIN)/python -m bench.nginx_cache

screenshots: $(VENV)/.test-installed
	$(BIN)/python -m docs.screenshots

clean:
	rm -rf $(VENV) $(SCAN_VENV) node_modules bench/node_modules .pytest_cache .ruff_cache

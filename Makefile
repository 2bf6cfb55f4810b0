# Two commands do everything on a fresh machine with Python 3.11 and git:
#   make run    install, apply migrations, serve the site on http://127.0.0.1:5000
#   make test   install the test needs, lint, and run every test
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint content-check migrate lighthouse screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet --progress-bar on -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements-test.txt $(VENV)/.installed
	$(BIN)/pip install --quiet --progress-bar on -r requirements-test.txt
	touch $@

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
# they skip.
test: lint content-check node_modules/.installed
	$(BIN)/pytest

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

screenshots: $(VENV)/.test-installed
	$(BIN)/python -m docs.screenshots

clean:
	rm -rf $(VENV) node_modules bench/node_modules .pytest_cache .ruff_cache

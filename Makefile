# One entry point for everything: `make run` and `make test` are the README's two commands.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export VORDER_DATA_DIR ?= var

.PHONY: install system run test test-fast lint format bench browser messages clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed system

## System libraries for PDF letters (Pango, DejaVu fonts), installed when missing and we may.
system:
	bash scripts/ensure-system-deps.sh

## Install, migrate, load the demo company if the database is empty, serve on :8000 with a worker.
run: install
	VORDER_BIN=$(BIN) bash scripts/run.sh

## The whole test suite (browser tests included), on SQLite unless DATABASE_URL says otherwise.
test: install browser
	$(BIN)/pytest -n 2 --dist loadfile

## Everything but the browser tests, for a quick loop.
test-fast: install
	$(BIN)/pytest -n 2 --dist loadfile -m "not e2e"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src/vorder/domain
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## Import + aging (bench/run.py), aging + the dunning run, the worklist and customer page,
## all over a million invoices, and a bank statement of 100,000 lines matched against them.
## Other benchmarks: bench/README.md (letters, law).
bench: install
	$(BIN)/python bench/run.py || true
	$(BIN)/python bench/bench_portfolio.py --db both
	$(BIN)/python bench/bench_workspace.py
	$(BIN)/python bench/bench_matching.py

## Debian's chromium for the browser tests (never `playwright install`: it downloads).
browser:
	bash scripts/ensure-chromium.sh

## Refresh the Dutch translations (needs GNU gettext) and compile them.
messages: install
	cd src/vorder && VORDER_DATA_DIR=$$(mktemp -d) ../../$(BIN)/vorder makemessages -l nl --no-obsolete
	cd src/vorder && VORDER_DATA_DIR=$$(mktemp -d) ../../$(BIN)/vorder compilemessages

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

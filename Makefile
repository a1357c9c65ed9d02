# gridscore: the two commands are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DB ?= gridscore.duckdb
HOST ?= 127.0.0.1
PORT ?= 8050

.PHONY: demo test test-fast lint bench system-deps venv clean docs-cli

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev,spark,reports]'
	@touch $(STAMP)

venv: $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

## Build a synthetic city into ./gridscore.duckdb, score it and serve the dashboard.
demo: $(STAMP)
	$(VENV)/bin/gridscore demo --db $(DB) --host $(HOST) --port $(PORT)

## Run the whole suite (lint, unit, property, browser tests).
test: $(STAMP) system-deps
	$(PY) -m ruff check .
	$(PY) -m pytest -q

## The quick loop: everything not marked slow (no browser, live-server, reliability or Spark runs).
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(PY) -m ruff check .

bench: $(STAMP)
	$(PY) -m bench

docs-cli: $(STAMP)
	$(PY) -m dashboard.clidoc > docs/cli.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

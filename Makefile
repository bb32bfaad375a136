# Harken: `make demo` and `make test` work on a fresh machine with Python 3.11.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export HARKEN_DEBUG ?= 1
# `make demo PORT=8100` serves on another port (links in emails follow unless SITE_URL is set).
PORT ?= 8000

.PHONY: install demo serve test lint typecheck pytest browser-deps bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Harken needs Python 3.11, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: export SITE_URL ?= http://127.0.0.1:$(PORT)
demo: install
	$(BIN)/harken migrate
	$(BIN)/harken demo --host 127.0.0.1 --port $(PORT)
	$(BIN)/harken serve --worker --host 127.0.0.1 --port $(PORT)

serve: install
	$(BIN)/harken serve --worker --port $(PORT)

browser-deps:
	@bash scripts/ensure-chromium

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

pytest: install browser-deps
	@bash scripts/run-pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/themes.py && $(BIN)/python bench/dedup.py && $(BIN)/python bench/scale.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

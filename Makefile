# Converse: `make run` serves a demo inbox on http://127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint format install clean-var

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The local demo runs in debug (the development key, plain static files); production never does.
run: export DEBUG ?= 1
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Converse on http://$(HOST):$(PORT)/ (alice/alice, bob/bob, admin/admin). Ctrl-C stops web and worker."
	HOST=$(HOST) PORT=$(PORT) bin/run-dev

test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

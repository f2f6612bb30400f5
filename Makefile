# Converse: `make run` serves a demo inbox on http://127.0.0.1:8000, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
PIP_COMPILE := CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: run test bench lint format install lock clean-var

$(PY):
	$(PYTHON) -m venv $(VENV)

# Exactly what the lock files name, every file checked against its hash.
$(STAMP): $(DEV_LOCK) | $(PY)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(DEV_LOCK)
	touch $(STAMP)

# Browser libraries from npm (Chart.js for the reports page) into node_modules/, served as
# static files. Without npm the reports page still works: tables, no charts.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $(NODE_STAMP); \
	else echo "npm not found: the reports page will show its tables without charts (see README)"; fi

install: $(STAMP) $(NODE_STAMP)

# Pin pyproject.toml's dependencies with their hashes: the dev lock (everything, for make
# and CI), then the runtime lock (Docker) with the same versions. Pins already in the dev
# lock are kept; PIP_COMPILE_ARGS=--upgrade moves them all to the newest releases allowed.
lock: | $(PY)
	$(PY) -m pip install --quiet "pip-tools>=7.4,<8"
	$(PIP_COMPILE) $(PIP_COMPILE_ARGS) --extra dev --output-file $(DEV_LOCK) pyproject.toml
	cp $(DEV_LOCK) $(LOCK)
	$(PIP_COMPILE) --output-file $(LOCK) pyproject.toml

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
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

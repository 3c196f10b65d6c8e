# Prompt Workbench: two commands.
#   make run   - install what is missing, migrate/seed the database, serve http://localhost:8501
#   make test  - install the test extra and system packages, run ruff and the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test install install-test system-deps lint fake bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

.streamlit/secrets.toml:
	cp .streamlit/secrets.toml.example $@

install: $(VENV)/.installed .streamlit/secrets.toml

install-test: $(VENV)/.installed-test .streamlit/secrets.toml

system-deps:
	@scripts/system_deps.sh

run: install
	$(PY) -m workbench.ui.serve --server.port $(PORT) --server.address localhost

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install-test system-deps lint
	scripts/with_postgres.sh $(PY) -m pytest $(PYTEST_ARGS)

# A local fake OpenAI/Anthropic server for trying every flow without keys (port 8787).
fake: install-test
	$(PY) -m tests.fakes.server --port 8787

bench: install-test
	@for b in $(wildcard benchmarks/*.py); do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-results

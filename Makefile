# Prompt Workbench: two commands.
#   make run   - check the port, install what is missing, migrate/seed the database, serve the app
#                (http://localhost:8501; another port with PORT=8502 or STREAMLIT_SERVER_PORT=8502)
#   make test  - install the test extra and system packages, run ruff, mypy and the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The port make run serves on: PORT (make run PORT=8502, or the environment), else Streamlit's own
# STREAMLIT_SERVER_PORT, else 8501.
RUN_PORT := $(or $(PORT),$(STREAMLIT_SERVER_PORT),8501)
RUN_HOST := localhost

.PHONY: run check-port test install install-test system-deps lint fake bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# uv resolves and installs from PyPI in seconds where pip takes a minute; it is itself installed
# by pip (a wheel only). uv does not read pip's configuration, so where pip is pointed at another
# index (PIP_INDEX_URL, PIP_NO_INDEX: a mirror, no internet) pip does the install, as it does
# whenever uv cannot be had or fails. --compile-bytecode: the first start does not compile what
# pip would have compiled.
USE_UV := $(if $(PIP_INDEX_URL)$(PIP_NO_INDEX),,yes)
PIP_INSTALL = $(if $(USE_UV),($(PY) -m pip install --quiet --disable-pip-version-check --only-binary=:all: uv \
	  && $(VENV)/bin/uv pip install --quiet --compile-bytecode --python $(PY) -e '$(1)') \
	|| (echo "uv could not install; pip installs instead." \
	  && $(PY) -m pip install --quiet --disable-pip-version-check -e '$(1)'),\
	$(PY) -m pip install --quiet --disable-pip-version-check -e '$(1)')

$(VENV)/.installed: pyproject.toml | $(PY)
	$(call PIP_INSTALL,.)
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(call PIP_INSTALL,.[test])
	touch $@

.streamlit/secrets.toml:
	cp .streamlit/secrets.toml.example $@

# The project's own modules are compiled ahead too: where PYTHONDONTWRITEBYTECODE is set (as on our
# machines, CI among them) Python never writes them, so every start would compile them again. Only what
# changed since is compiled; a stale file is ignored by Python.
COMPILE_OWN = $(PY) -m compileall -q -j 0 workbench tests/fakes

install: $(VENV)/.installed .streamlit/secrets.toml
	@$(COMPILE_OWN)

install-test: $(VENV)/.installed-test .streamlit/secrets.toml
	@$(COMPILE_OWN)

system-deps:
	@scripts/system_deps.sh

# The port is checked before anything is installed (a taken port found after the install wastes
# it), and again just before the server starts.
check-port:
	@$(PYTHON) scripts/check_port.py $(RUN_PORT) --host $(RUN_HOST)

run: check-port
	@$(MAKE) --no-print-directory install
	@$(PYTHON) scripts/check_port.py $(RUN_PORT) --host $(RUN_HOST)
	@echo "Prompt Workbench: open http://$(RUN_HOST):$(RUN_PORT) in your browser (Ctrl+C stops the server)."
	$(PY) -m workbench.ui.serve --server.port $(RUN_PORT) --server.address $(RUN_HOST)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The browser tests and the rest run side by side (scripts/run_tests.sh says why); PYTEST_ARGS
# picks tests for one plain pytest run instead.
test: install-test system-deps lint
	scripts/with_postgres.sh scripts/run_tests.sh $(PY) $(PYTEST_ARGS)

# A local fake OpenAI/Anthropic server for trying every flow without keys (port 8787; FAKE_PORT=...).
# It needs nothing but the standard library, so it starts without an install.
FAKE_PORT ?= 8787
fake:
	$(PYTHON) -m tests.fakes.server --port $(FAKE_PORT)

# Every benchmark in benchmarks/, one after the other, then one summary table (BENCH=name... picks some);
# with a throwaway PostgreSQL, so the benchmarks that have a PostgreSQL leg run it.
bench: install-test system-deps
	scripts/with_postgres.sh $(PY) scripts/bench.py $(BENCH)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache test-results

# `make run` serves the add-in on https://localhost:3000 with the offline engine (no key).
# `make test` runs the whole test suite. Both create .venv and install what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint bench clean browser fuzz

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[providers]"
	@touch $@

$(VENV)/.dev-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@ $(VENV)/.run-deps

# MSAL.js for the task pane's sign-in, from package-lock.json into node_modules/ (served at
# /vendor/msal-browser.min.js). Without npm the pane signs in with Office SSO only.
node_modules/.npm-deps: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund && touch $@; \
	else echo "npm not found: MSAL.js is not installed, so the task pane signs in with Office SSO only and its nested-app-auth test is skipped (install Node.js and npm, then run make again)"; fi

run: $(VENV)/.run-deps node_modules/.npm-deps
	$(BIN)/addin serve

# The browser tests drive Debian's chromium (Playwright's own browser download does not work
# offline). Installed here when missing and we may; otherwise those tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found: the browser tests will be skipped (apt-get install chromium)"; fi; }

test: $(VENV)/.dev-deps node_modules/.npm-deps browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check addin tests bench
	$(BIN)/mypy addin

bench: $(VENV)/.dev-deps
	$(BIN)/python bench/summarize_speed.py
	$(BIN)/python bench/summarize_quality.py
	$(BIN)/python bench/runner_overhead.py
	$(BIN)/python bench/analyze_e2e.py

# `make fuzz`: the long fuzzing run. The schemathesis and reader fuzz tests with FUZZ_EXAMPLES
# examples each (larger corpus seeds, up to FUZZ_SEED_MB), then the atheris (libFuzzer)
# harness for FUZZ_SECONDS per reader when atheris installs (it is optional).
FUZZ_EXAMPLES ?= 2000
FUZZ_SECONDS ?= 300
FUZZ_SEED_MB ?= 1
fuzz: $(VENV)/.dev-deps
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED_MB=$(FUZZ_SEED_MB) $(BIN)/python -m pytest tests/fuzz $(PYTEST_ARGS)
	@$(BIN)/python -c 'import atheris' 2>/dev/null || $(BIN)/python -m pip install --quiet --disable-pip-version-check atheris \
	  || echo "atheris did not install: skipping the libFuzzer run (the hypothesis run above still counts)"
	@if $(BIN)/python -c 'import atheris' 2>/dev/null; then \
	  for kind in docx xlsx; do \
	    FUZZ_SEED_MB=$(FUZZ_SEED_MB) $(BIN)/python tests/fuzz/atheris_readers.py $$kind -max_total_time=$(FUZZ_SECONDS) || exit 1; \
	  done; fi

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache

# scimaudit: the two commands are `make demo` and `make test`; everything else is what they need.
# A fresh Debian machine with python3 (3.11+) and make is enough: these targets install the rest.
SHELL := /bin/bash
PY ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
VENV := .venv
BIN := $(VENV)/bin
SCIMMY := tests/peers/scimmy
CANAILLE := tests/peers/canaille
LINT_PATHS := src tests bench dashboards sample_data

.PHONY: demo serve test test-quick test-slow test-clock lint sysdeps venv peers bench clean

demo: sysdeps venv ## Run the whole product on real loopback SCIM servers and the sample data
	$(BIN)/scimaudit demo

serve: sysdeps venv ## The demo, then keep servers and dashboard up until Ctrl-C
	$(BIN)/scimaudit demo --serve

test: sysdeps venv peers lint test-quick test-slow test-clock ## Lint, type-check, quick tests, slow tests, then the clock guard

lint: venv
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo --no-cache

test-quick: venv
	$(BIN)/pytest -m "not slow" -q

test-slow: venv peers
	$(BIN)/pytest -m slow -q

# The clock guard: the quick suite and the slow tests of whatever decides from dates (analytics,
# packs, review campaigns and the revocations they lead to), with the clock of every process
# (Python, DuckDB, the SCIM servers) moved CLOCK_AHEAD ahead by Debian's libfaketime, so a test or a
# product rule that silently depends on today's date fails the day it is written. The monotonic
# clock stays real (faked, every threading timeout hangs); the "monotonic fix" is off (on, it
# mistimes the GIL's condition waits and threaded Python runs ~10x slower); and
# tests/faketime/sitecustomize.py routes time.sleep around libfaketime 0.9.10's clock_nanosleep.
# Tests that set the clock themselves (time-machine) still win inside.
FAKETIME_ENV = FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0 \
	PYTHONPATH=$(CURDIR)/tests/faketime
CLOCK_AHEAD ?= +400d
CLOCK_SLOW_TESTS = $(wildcard tests/test_analytics_*.py tests/test_findings_*.py tests/test_report_*.py \
	tests/test_review_*.py tests/test_remediation_campaign.py tests/test_dashboard_apptest.py tests/test_clock.py)
test-clock: venv peers
	$(FAKETIME_ENV) faketime -f '$(CLOCK_AHEAD)' $(BIN)/pytest -q -p no:cacheprovider -m "not slow"
	$(FAKETIME_ENV) faketime -f '$(CLOCK_AHEAD)' $(BIN)/pytest -q -p no:cacheprovider -m slow \
		$(CLOCK_SLOW_TESTS)

bench: venv ## List the benchmarks; each runs at the issue's scale and prints its figures
	@for f in bench/bench_*.py; do printf '%-28s ' "$$f"; $(BIN)/python -c "import ast,sys; print((ast.get_docstring(ast.parse(open(sys.argv[1]).read())) or '').splitlines()[0])" "$$f"; done
	@echo "run one with: $(BIN)/python bench/<name>.py --help"

sysdeps: ## Debian packages: poppler (pdftotext/pdftoppm), chromium, pango for weasyprint, node
	@bash .ci/sysdeps.sh

venv: $(VENV)/.synced

$(UV):
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: uv.lock pyproject.toml | $(UV)
	UV_PYTHON=$(PY) $(UV) sync --frozen --all-extras
	touch $@

peers: $(SCIMMY)/node_modules/.package-lock.json $(CANAILLE)/.venv/.synced

# canaille 0.3.6 (a test peer) needs scim2-models<0.10, scim2-server a newer one: its own venv,
# pinned in its requirements.txt, never in uv.lock. Rebuilt only when the pins change.
$(CANAILLE)/.venv/.synced: $(CANAILLE)/requirements.txt | $(UV)
	rm -rf $(CANAILLE)/.venv
	$(UV) venv --quiet --python $(PY) $(CANAILLE)/.venv
	$(UV) pip install --quiet --python $(CANAILLE)/.venv/bin/python -r $(CANAILLE)/requirements.txt
	touch $@

$(SCIMMY)/node_modules/.package-lock.json: $(SCIMMY)/package-lock.json
	npm ci --prefix $(SCIMMY) --no-audit --no-fund --loglevel=error

clean:
	rm -rf $(VENV) $(TOOLS) $(SCIMMY)/node_modules $(CANAILLE)/.venv demo-out .pytest_cache .mypy_cache .ruff_cache

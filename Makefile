# kubesec-nb: `make report` and `make test` work on a fresh machine with Python 3.11 and make.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE ?= eks-shop
PYTEST_ARGS ?=

.PHONY: setup report test lint unit notebooks goldens samples coverage bench clean nca-venv chromium wheel-check

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "kubesec-nb needs Python 3.11+"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

## The main job: every notebook on the bundled default sample -> reports/$(SAMPLE)/report.html
report: $(STAMP)
	$(BIN)/kubesec-nb report $(SAMPLE) -o reports/$(SAMPLE)

## Every test: lint and types, unit and contract tests, doctests, notebooks against their goldens (nbval),
## the report in a real browser, and the wheel installed in a fresh virtualenv
test: $(STAMP) lint nca-venv chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(MAKE) wheel-check

## Debian's chromium for the browser test (tests/test_report.py skips, saying why, when it cannot be installed)
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq chromium >/dev/null) || echo "chromium could not be installed: the browser test will skip"

## Build the wheel, install it (not editable) in a fresh virtualenv, run the report there
wheel-check: $(STAMP)
	PY=$(BIN)/python tools/wheel_check.sh

lint: $(STAMP)
	$(BIN)/ruff check kubesec_nb tests benchmarks data/samples tools
	$(BIN)/mypy

goldens: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py

samples: $(STAMP)
	$(BIN)/python data/samples/generate.py

## The README's table of checks per hardening-guide topic and provider, from the registry
coverage: $(STAMP)
	$(BIN)/python tools/coverage_table.py

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(NCA_VENV) .venv-wheel reports benchmarks/out build .mypy_cache .ruff_cache

## network-config-analyzer for the differential test (tests/network/test_nca_differential.py): its pins
## (networkx==3.2.1, PyYAML==6.0.2) conflict with ours, so it gets its own virtualenv.
NCA_VENV := .venv-nca
nca-venv: $(NCA_VENV)/.installed

$(NCA_VENV)/.installed:
	test -x $(NCA_VENV)/bin/python || $(PYTHON) -m venv $(NCA_VENV)
	$(NCA_VENV)/bin/python -m pip install --quiet --disable-pip-version-check network-config-analyzer==2.1.0
	touch $@

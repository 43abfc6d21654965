# cscwatch — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CSCWATCH_WAREHOUSE ?= $(CURDIR)/.cache/cscwatch.duckdb

.PHONY: setup demo test check lint typecheck imports bench clean web browser-deps bench-deps fuzz

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

setup: $(STAMP) web

# Web assets: GOV.UK Frontend, Swagger UI for /api/docs (and axe-core for the browser
# tests) from the npm registry, compiled/copied into a git-ignored static/vendor folder.
WEB_STATIC := src/cscwatch/serve/web/static
WEB_VENDOR := $(WEB_STATIC)/vendor
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
$(WEB_VENDOR)/.built: node_modules/.package-lock.json $(wildcard $(WEB_STATIC)/scss/*.scss)
	rm -rf $(WEB_VENDOR) && mkdir -p $(WEB_VENDOR)/govuk
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js $(WEB_VENDOR)/govuk/
	cp -r node_modules/govuk-frontend/dist/govuk/assets $(WEB_VENDOR)/govuk/assets
	mkdir -p $(WEB_VENDOR)/swagger-ui
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
		node_modules/swagger-ui-dist/LICENSE $(WEB_VENDOR)/swagger-ui/
	node_modules/.bin/sass --no-source-map --style=compressed --quiet-deps \
		--silence-deprecation=import --load-path=node_modules/govuk-frontend/dist \
		$(WEB_STATIC)/scss/app.scss $(WEB_VENDOR)/app.css
	touch $@
web: $(WEB_VENDOR)/.built

# Browser tests drive Debian's chromium (never a downloaded browser).
browser-deps:
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

# The load benchmark drives the API with Debian's wrk.
bench-deps:
	test -x /usr/bin/wrk || (apt-get update && apt-get install -y wrk)

demo: setup
	$(BIN)/cscwatch build
	$(BIN)/cscwatch show --england
	$(BIN)/cscwatch profile Manchester

test: setup browser-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider

# The fuzz properties of tests/fuzz at length (the suite runs 20 examples of each).
FUZZ_EXAMPLES ?= 2000
fuzz: setup
	CSCWATCH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

typecheck: setup
	$(BIN)/mypy

# Import contracts: the layers and independence rules in pyproject.toml [tool.importlinter].
imports: setup
	$(BIN)/lint-imports

check: lint typecheck imports test

bench: setup bench-deps
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf .cache .pytest_cache .mypy_cache .ruff_cache

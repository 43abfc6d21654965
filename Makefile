# cscwatch — two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Test processes: every core (pytest-xdist), at most four (they share one built warehouse).
WORKERS ?= auto
# The warehouse is NOT set here: make demo builds it where the CLI and the server look
# by default (cscwatch.duckdb in the user data directory), so every README command finds
# it. Set CSCWATCH_WAREHOUSE in your environment to move it for all of them at once.

.PHONY: setup demo test check lint typecheck imports docs docs-check methods-check lock bench \
	clean web browser-deps bench-deps fuzz

# Development environment: every package pinned with its hash (requirements-dev.lock, made
# by `make lock`), then cscwatch itself, editable, built with the locked setuptools.
$(STAMP): requirements-dev.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP) web

# Web assets: GOV.UK Frontend, Swagger UI for /api/docs (and axe-core for the browser
# tests) from the npm registry, compiled/copied into a git-ignored static/vendor folder by
# the same script the wheel build uses (scripts/build_web.py).
WEB_STATIC := src/cscwatch/serve/web/static
WEB_VENDOR := $(WEB_STATIC)/vendor
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
$(WEB_VENDOR)/.built: node_modules/.package-lock.json scripts/build_web.py \
		$(wildcard $(WEB_STATIC)/scss/*.scss)
	$(PYTHON) scripts/build_web.py $(WEB_VENDOR)
web: $(WEB_VENDOR)/.built

# Browser tests drive Debian's chromium (never a downloaded browser): its headless shell
# (package chromium-headless-shell, the same build, headless), the full browser where the
# shell is missing (tests/browser/conftest.py).
browser-deps:
	test -x /usr/bin/chromium -a -x /usr/bin/chromium-headless-shell || \
		(apt-get update && apt-get install -y chromium chromium-headless-shell)

# The load benchmark drives the API with Debian's wrk.
bench-deps:
	test -x /usr/bin/wrk || (apt-get update && apt-get install -y wrk)

demo: setup
	$(BIN)/cscwatch build
	$(BIN)/cscwatch show --england
	$(BIN)/cscwatch profile Manchester

# Whole files to each process (module fixtures are built once), in collection order: the
# longest files first (tests/_suite_order.py LONGEST_FIRST), so both cores finish together.
# Measured on a fresh clone at the same commit, nothing else running (2 December 2026):
# --dist loadfile 892 s, --dist loadgroup (tests one at a time, files with shared fixtures
# whole: tests/_suite_order.py keep_files_whole) 1,136 s, both processes starting a browser.
# Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set in the environment: without
# the cache every test process compiles src/ and rewrites every test file's asserts again
# (about 10 s CPU per process at collection).
test: setup browser-deps
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -p no:cacheprovider -n $(WORKERS) \
		--maxprocesses=4 --dist loadfile --no-loadscope-reorder

# The fuzz properties of tests/fuzz at length (the suite runs 20 examples of each).
FUZZ_EXAMPLES ?= 2000
fuzz: setup
	CSCWATCH_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff format --check src tests benchmarks scripts setup.py
	$(BIN)/ruff check src tests benchmarks scripts setup.py

# mypy --strict on src/ ([tool.mypy]); the tests with a relaxed but real configuration
# (tests/mypy.ini: every function body checked, annotations not required).
typecheck: setup
	$(BIN)/mypy
	$(BIN)/mypy --config-file tests/mypy.ini

# Import contracts: the layers and independence rules in pyproject.toml [tool.importlinter].
imports: setup
	$(BIN)/lint-imports


# Generated documentation: the CLI reference, the indicator pages, the CIN census and
# SSDA903 rule tables. The methods pages come from `cscwatch analyse all --out
# docs/methods` (minutes, and needs a built warehouse), so they are not part of `docs`.
GENERATED_DOCS := docs/cli.md docs/indicators.md docs/cin_census.md docs/ssda903.md
docs: setup
	$(BIN)/python scripts/make_cli_docs.py
	$(BIN)/python scripts/make_indicator_docs.py
	$(BIN)/python -m cscwatch.childlevel.cin.rules.catalogue
	$(BIN)/python -m cscwatch.childlevel.ssda903.ruledocs

# Regenerate and compare: fails (leaving the regenerated files to commit) when they were stale.
docs-check: setup
	@before="$$(cat $(GENERATED_DOCS) | sha256sum)"; \
	$(MAKE) --no-print-directory -s docs >/dev/null; \
	if [ "$$before" != "$$(cat $(GENERATED_DOCS) | sha256sum)" ]; then \
		echo "generated docs were stale; regenerated — review and commit:"; \
		git status --short -- $(GENERATED_DOCS) 2>/dev/null || echo "$(GENERATED_DOCS)"; \
		exit 1; \
	fi

# Everything a change must pass; .ci/run and the pre-commit hooks run the same.
# The methods pages (docs/methods: pages, JSON results, figures) regenerated from a fresh
# build of the snapshot and compared with the committed ones (scripts/check_methods.py;
# about 6 minutes on 2 cores): fails when a change left them stale.
methods-check: setup
	$(BIN)/python scripts/check_methods.py

check: lint typecheck imports docs-check test methods-check

# Re-resolve both locks from PyPI with hashes (uv; the existing pins are kept unless a
# requirement changed — add --upgrade to move them); commit the result.
LOCK := $(BIN)/uv pip compile --quiet --no-config --python-version 3.11 --generate-hashes \
	--index-url https://pypi.org/simple
lock: setup
	$(LOCK) -o requirements.lock pyproject.toml
	$(LOCK) --extra dev --extra docs -o requirements-dev.lock pyproject.toml

bench: setup bench-deps
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf .cache .pytest_cache .mypy_cache .ruff_cache build dist

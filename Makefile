# fieldcheck — two commands: `make run` (app + demo site on SQLite) and `make test` (the import
# contracts and ruff, then every test on SQLite and on PostgreSQL). Both create the virtual environment at .venv first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PG_VERSION = $(shell ls /etc/postgresql 2>/dev/null | head -n 1)

.PHONY: run test lint typecheck install install-test test-deps test-sqlite test-postgresql test-dates bench clean fonts

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## run: set up, migrate, load the demo site (once) and serve on http://127.0.0.1:8000
run: install fonts
	$(VENV)/bin/fieldcheck migrate
	$(VENV)/bin/fieldcheck demo
	$(VENV)/bin/fieldcheck serve

## test: every test on SQLite, then on PostgreSQL
# Two pytest workers (pytest-xdist): each test has its own database, so they do not meet.
PYTEST := $(PY) -m pytest -n 2
# The walk over every page (layout at 390 px, touch targets, axe) does not depend on the
# database and takes minutes: it runs with the SQLite pass only.
ON_SQLITE_ONLY := --ignore=tests/browser/test_every_page.py

test: install-test test-deps lint
	FIELDCHECK_TEST_DB=sqlite $(PYTEST)
	FIELDCHECK_TEST_DB=postgresql $(PYTEST) $(ON_SQLITE_ONLY)

## lint: the one-way imports (import-linter: [tool.importlinter] in pyproject.toml), then ruff
# ([tool.ruff]); `make test` runs it before the tests, so an upward import fails CI.
lint: install-test
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .

## typecheck: mypy on server/, sync/ and standards/ (settings in pyproject.toml); `make test` runs it first
typecheck: install-test
	$(VENV)/bin/mypy
test: typecheck

test-sqlite: install-test test-deps
	FIELDCHECK_TEST_DB=sqlite $(PYTEST)

test-postgresql: install-test test-deps
	FIELDCHECK_TEST_DB=postgresql $(PYTEST) $(ON_SQLITE_ONLY)

## test-dates: the date-sensitive tests with the clock at awkward moments (tests/date_sweep.py)
test-dates: install-test test-deps
	$(PY) -m tests.date_sweep --backend sqlite
	$(PY) -m tests.date_sweep --backend postgresql

# What the tests need from the machine: PostgreSQL up, node for the phone's evaluator,
# a CJK font and poppler for the monthly PDF, Debian's Chromium for the browser tests
# (Playwright is pointed at /usr/bin/chromium), faketime for the clock in the date tests.
test-deps:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) main start
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@command -v node >/dev/null || (apt-get update -qq && apt-get install -y -qq nodejs)
	@command -v faketime >/dev/null || (apt-get update -qq && apt-get install -y -qq faketime)
	@# The monthly PDF needs a CJK font; its test reads the PDF back with poppler's tools.
	@if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || ! command -v pdftoppm >/dev/null; then \
		apt-get update -qq && apt-get install -y -qq fonts-noto-cjk poppler-utils; fi
	@if ls tests/browser/test_*.py >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then \
		apt-get update -qq && apt-get install -y -qq chromium; fi
	@# A real S3 server for the object-store tests (tests/object_store.py): Swift with s3api.
	@command -v swift-proxy-server >/dev/null && command -v memcached >/dev/null || (apt-get update -qq && \
		apt-get install -y -qq swift swift-proxy swift-object swift-container swift-account memcached)

# The monthly PDF report draws Chinese with Noto Sans CJK: installed when missing (as root with
# apt-get), otherwise the report says what to install and everything else works.
fonts:
	@fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		apt-get update -qq && apt-get install -y -qq fonts-noto-cjk; } || \
		echo "note: install fonts-noto-cjk for the monthly PDF report"

## bench: the performance benchmarks (figures go to docs/benchmarks.md)
bench: install-test
	$(PY) -m bench

clean:
	rm -rf $(VENV) var .pytest_cache

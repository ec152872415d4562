# Two commands for a newcomer: `make run` and `make test`. Both create/refresh .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: run test test-sqlite test-postgresql test-quick lint typecheck format bench bench-list bench-peer bench-growth bench-keepalive bench-ratelimit bench-dashboard venv dev browser postgres clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt $(VENV)/.runtime
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime
dev: $(VENV)/.dev

## browser: Debian's chromium for the Playwright tests (never `playwright install`)
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
		echo "installing chromium (apt-get) for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@test -x $(CHROMIUM) || { echo "error: $(CHROMIUM) is missing"; exit 1; }

## postgres: Debian's PostgreSQL server programs (initdb, pg_ctl) for the PostgreSQL pass of
## the tests, which starts its own throwaway cluster; no server is left running or enabled.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "installing postgresql (apt-get) for the PostgreSQL tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql >/dev/null; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "error: initdb is missing"; exit 1; }

## make run: install the app and start it (dashboard at /, API under /v1)
run: venv
	$(BIN)/streamlit run app.py --server.port $(PORT)

## make test: install everything the tests need, lint, then the whole suite twice:
## on SQLite, and on a real PostgreSQL server the run starts and stops itself
test: dev browser postgres lint test-sqlite test-postgresql

test-sqlite: dev browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup --engine sqlite

test-postgresql: dev browser postgres
	$(BIN)/python -m pytest -n 2 --dist loadgroup --engine postgresql

## make test-quick: the fast tests only (no servers or browsers started)
test-quick: dev
	$(BIN)/python -m pytest -m "not slow" -q

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## make typecheck: mypy alone (what it checks and how strictly: pyproject.toml [tool.mypy])
typecheck: dev
	$(BIN)/mypy

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## make bench: the import benchmark (100,000 rows through the API vs the bare and schema
## floors, the write lock of each request, edits made during it); ENGINE=postgresql runs
## every side on a throwaway PostgreSQL server; ARGS="--existing 1000000" and others pass on
ENGINE ?= sqlite
LEADS ?= 1000000
bench: dev postgres
	$(BIN)/python -m bench.import_bench --engine $(ENGINE) $(ARGS)

## make bench-list: GET /v1/leads over real HTTP on LEADS demo leads (ENGINE as above)
bench-list: dev postgres
	$(BIN)/python -m bench.list_bench --engine $(ENGINE) --leads $(LEADS)

## make bench-peer: bench-list beside Datasette on the same SQLite file (Datasette lives in
## its own bench-only virtualenv, never in the app's)
bench/.venv-peer/bin/datasette: bench/requirements-peer.txt
	$(PYTHON) -m venv bench/.venv-peer
	bench/.venv-peer/bin/pip install --quiet -r bench/requirements-peer.txt
	touch $@

bench-peer: dev bench/.venv-peer/bin/datasette
	$(BIN)/python -m bench.list_bench --engine sqlite --leads $(LEADS) --peer datasette

## make bench-growth: import and list figures at 10k, 100k and 1M leads
bench-growth: dev
	$(BIN)/python -m bench.growth_bench

## make bench-keepalive: a trivial API request on fresh vs reused connections
bench-keepalive: dev
	$(BIN)/python -m bench.keepalive_bench

## make bench-ratelimit: what counting each API request costs (PostgreSQL and SQLite)
bench-ratelimit: dev postgres
	$(BIN)/python -m bench.rate_limit_bench

## make bench-dashboard: every page at 1,000,000 leads, and the app's memory
bench-dashboard: dev browser
	$(BIN)/python -m bench.dashboard_bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

# OneDoor: `make run` starts the whole embedded platform, `make test` checks everything.
# Both create .venv and install the project into it on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test test-checks test-durations contract-drift faults lint typecheck contracts portal portal-test postgres-server bench clean help

help:
	@echo "make run        start broker, 6 services, the gateway (GraphQL on :8000), mail in var/mail/"
	@echo "make test       lint, types, boundaries, contract drift, then every test"
	@echo "make test-durations  run every test and record each file's seconds (the order make test hands them out)"
	@echo "make faults     fault injection against \`onedoor run\` and a long fuzzing run (minutes)"
	@echo "make bench      measure the performance targets of docs/architecture.md (about 15 minutes;"
	@echo "                BENCH_ARGS='--only pipeline --messages 5000' narrows it, see --help)"
	@echo "make contracts  regenerate contracts/schemas, asyncapi.yaml, openapi/ and schema.graphql"
	@echo "make portal     build the web portal (npm ci from the lock, vite build) into portal/dist"

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# The portal (Node.js 20 and npm): dependencies from the committed lock, types generated
# from contracts/schema.graphql, then the Vite build the gateway serves at /.
PORTAL_MODULES := portal/node_modules/.installed
PORTAL_BUILT := portal/dist/index.html
PORTAL_SOURCES := $(shell find portal/src -type f -not -path 'portal/src/gql/*') \
	portal/index.html portal/vite.config.ts portal/codegen.ts portal/tsconfig.json contracts/schema.graphql

$(PORTAL_MODULES): portal/package.json portal/package-lock.json
	cd portal && npm ci --no-audit --no-fund
	touch $@

$(PORTAL_BUILT): $(PORTAL_MODULES) $(PORTAL_SOURCES)
	cd portal && npm run --silent build

portal: $(PORTAL_BUILT)

# The browser tests drive Debian's chromium through Playwright (no browser download).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium chromium-driver

# The tests start a throw-away PostgreSQL with initdb/pg_ctl: Debian's server package
# when the machine has none.
postgres-server:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; }

# vitest's 5 s per test is plenty alone; in `make test` its jsdom shares the cores with
# mypy and tsc, so a test gets longer before it counts as hung.
portal-test: $(PORTAL_MODULES)
	cd portal && npm run --silent typecheck && npx vitest run --testTimeout=30000

run: $(INSTALLED) $(PORTAL_BUILT)
	$(BIN)/onedoor run

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(INSTALLED)
	$(BIN)/mypy shared contracts gateway services tests/bench

contracts: $(INSTALLED)
	$(BIN)/python -m contracts.generate
	$(BIN)/python -m services.openapi
	$(BIN)/python -m gateway.sdl

# The checks before the tests run side by side (`make -j`): mypy and tsc each keep one
# core busy for most of a minute, the others are short. The system packages first, one
# apt-get at a time.
test: postgres-server $(CHROMIUM)
	$(MAKE) --no-print-directory -j 4 --output-sync=target test-checks
	# Two workers, one test file each at a time, so a file's module fixtures (a stack, a
	# browser) start once. (Not --dist loadgroup: pytest-xdist 3.8 names a group by
	# rewriting a nodeid, which pytest 9 no longer reads, so groups were split across
	# workers and their stacks started twice.) The 15 slowest are listed, so that a new
	# slow test shows in CI's log.
	$(BIN)/pytest -q -n 2 --dist loadfile --durations=15

test-checks: lint typecheck contract-drift portal-test

# Rewrites tests/durations.json, the seconds per unit of work `make test` hands out
# heaviest first (tests/scheduling.py); commit it when the suite's shape changed.
test-durations: postgres-server $(CHROMIUM)
	$(BIN)/pytest -q -n 2 --dist loadfile --record-durations

contract-drift: $(INSTALLED)
	$(BIN)/python -m contracts.generate --check
	$(BIN)/python -m services.openapi --check
	$(BIN)/python -m gateway.sdl --check

# Both run the GraphQL code generator into portal/src/gql: one after the other.
portal-test: $(PORTAL_BUILT)

# The long fault tests: a service killed -9 under load, the broker paused and killed
# (every accepted request reaches exactly one accepted engagement), then the GraphQL
# fuzzing with many more operations than `make test` runs.
faults: $(INSTALLED)
	$(BIN)/pytest -q -m faults tests/faults -s
	ONEDOOR_FUZZ_EXAMPLES=$${ONEDOOR_FUZZ_EXAMPLES:-1000} $(BIN)/pytest -q tests/e2e/test_hostile_input.py -k fuzzing -s

bench: $(INSTALLED)
	$(BIN)/python -m tests.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache portal/node_modules portal/dist portal/src/gql

# Customer PathRank: the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PKGS   := pathrank ingest graph_model algorithms graphql_api collector notify

.PHONY: install lint format typecheck services-up services-down browser wrk test soak test-unit demo bench clean

install: $(BIN)/pathrank

# setuptools warns about every editable install (its "lenient" mode), three times over: the
# install says nothing unless something fails.
$(BIN)/pathrank: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	PYTHONWARNINGS=ignore::UserWarning $(BIN)/pip install -q -e '.[dev]'
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: install
	$(BIN)/mypy

services-up: install
	$(BIN)/pathrank services up

services-down: install
	$(BIN)/pathrank services down

# Headless Chromium for the dashboard test (Debian's package; Playwright never downloads one).
browser:
	command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

# Lint and types first (cheap), then the servers, then every behaviour at the smallest size
# where it shows (README, "Tests"). pytest exits non-zero on a failure and when it collects
# nothing.
test: lint typecheck browser services-up
	$(BIN)/pytest -m "not soak" --durations=30

# The long tier: the same invariants at full size, real server kills, and every hypothesis
# property again with its full number of examples.
soak: install browser services-up
	PATHRANK_TEST_TIER=soak $(BIN)/pytest -m "soak or property" --durations=30

test-unit: install
	$(BIN)/pytest -m "not integration and not soak"

demo: install
	$(BIN)/pathrank demo

# wrk drives the API benchmark's HTTP load (C: the client takes almost no CPU); without it
# the benchmarks' HTTP load (bench/http_load.py) falls back to httpx, and says so.
wrk:
	-command -v wrk >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk)

bench: services-up wrk
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache

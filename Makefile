# infraledger — the two front-door commands are `make run` and `make test`; each does its own setup.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KAFKA_LIB := .kafka/lib
QUICK ?=

.PHONY: run test lint typecheck unit eval bench chaos setup kafka postgres chromium clean

run: setup kafka ## run every service, replay seeds/, print the ledger, keep monitoring
	$(BIN)/infraledger up

setup: $(STAMP)

# setup.py builds the compiled parts (the extractor's sentence splitter and rule modules, the
# shared word scan in services/core, the crawler's MinHash, and mypyc's output): an edit to any
# of them reinstalls, so no stale compiled module outlives its source.
$(STAMP): pyproject.toml setup.py $(wildcard services/extractor/*.c services/extractor/*.py services/core/_scan.c services/core/scanner.py services/crawler/_minhash.c)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

kafka: setup ## Apache Kafka's jars from Maven Central (cached in .kafka/lib)
	$(BIN)/infraledger broker fetch

postgres: ## PostgreSQL server binaries from Debian's packages (for the tests)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing PostgreSQL from Debian's packages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

chromium: ## Debian's Chromium and Noto CJK fonts (the dashboard's browser tests)
	bash tests/dashboard/ensure_chromium.sh

lint: setup
	$(BIN)/ruff check services tests bench setup.py

typecheck: setup
	$(BIN)/mypy --strict services

unit: setup kafka postgres chromium
	$(BIN)/python -m pytest -q -m "not chaos"

test: setup kafka postgres lint typecheck unit chaos ## lint, type-check, the whole suite and the reliability suite (real Kafka, SQLite, PostgreSQL)

chaos: setup kafka postgres ## the fault-injection suite alone (it is also part of make test); rows in var/chaos-report.json
	$(BIN)/python -m pytest tests/chaos -q

eval: setup ## extractor accuracy on the labelled set
	$(BIN)/python -m services.extractor.evaluate

bench: setup kafka postgres ## benchmarks (QUICK=1 for a tenth of the size)
	@rm -f bench/results.json  # this run's rows only: a quick run leaves no full-size row behind
	@for script in bench/bench_*.py; do \
	  echo "== $$script"; $(BIN)/python $$script $(if $(QUICK),--quick,) || exit 1; done

clean: ## also the compiled parts (setup rebuilds them)
	rm -rf var .pytest_cache .mypy_cache .ruff_cache build *__mypyc.*.so services/*/*.so $(STAMP)

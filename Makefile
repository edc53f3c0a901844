# docseg: `make run` serves, `make test` tests; both install first when needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@command -v redis-server >/dev/null || (command -v apt-get >/dev/null && \
		(apt-get update -qq && apt-get install -y -qq redis-server) || \
		echo "note: install redis-server, or set REDIS_URL to a running Redis")
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

run: install
	$(BIN)/docseg serve

test: install
	$(BIN)/ruff check segmentation cluster serve_app tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info

# docseg: `make run` serves, `make test` tests; both install first when needed.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint bench clean

install: $(STAMP)

# System programs: Redis for the embedded default, Tesseract (English and Greek) for ocr_backend=tesseract.
SYSTEM_PACKAGES := redis-server tesseract-ocr tesseract-ocr-eng tesseract-ocr-ell

$(STAMP): pyproject.toml
	@if ! command -v redis-server >/dev/null || ! command -v tesseract >/dev/null || \
		! tesseract --list-langs 2>/dev/null | grep -q '^ell$$'; then \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES); \
		else \
			echo "note: install $(SYSTEM_PACKAGES) (or set REDIS_URL; Tesseract is only for ocr_backend=tesseract)"; \
		fi; \
	fi
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
	$(BIN)/pip install -q -e ".[bench]"
	$(BIN)/python -m benchmarks.quality
	$(BIN)/python -m benchmarks.throughput
	$(BIN)/python -m benchmarks.api_rate
	$(BIN)/python -m benchmarks.memory
	$(BIN)/python -m benchmarks.ocr

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info

# fraudforge developer entry points. Each target creates or reuses .venv and installs
# the pinned dependencies (requirements.lock) before it runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-output
DEMO_ROWS ?= 1000000
BENCH_ARGS ?=

.PHONY: demo test lint typecheck check bench lock clean container-test

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'pip==26.3'
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fraudforge demo --rows $(DEMO_ROWS) --out $(DEMO_OUT)

test: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/pytest bench --benchmark-only --benchmark-autosave --benchmark-columns=min,median,max,rounds $(BENCH_ARGS)

# Build the image with podman and start it under chroot (slow; root; see docs/deployment.md).
container-test:
	scripts/container-test.sh

# Re-pin every dependency to what is installed in .venv now.
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^fraudforge' > requirements.lock

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache .benchmarks

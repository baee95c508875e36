# fraudforge developer entry points. Each target creates or reuses .venv and installs
# the pinned dependencies (requirements.lock) before it runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo-output
DEMO_ROWS ?= 1000000
# Benchmark runs are saved under BENCH_STORAGE and compared with the previous saved run; a
# benchmark whose median is more than BENCH_FAIL slower fails the run (see docs/performance.md).
# BENCH_FAIL= (empty) compares without failing. BENCH_ARGS go to pytest (e.g. -k features).
BENCH_STORAGE ?= .benchmarks
BENCH_FAIL ?= median:40%
BENCH_ARGS ?=

.PHONY: demo test lint typecheck check bench bench-quick bench-smoke lock clean container-test \
	quickstart-check

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
	$(BIN)/python bench/run.py --storage $(BENCH_STORAGE)/all --fail '$(BENCH_FAIL)' bench $(BENCH_ARGS)

# The benchmarks marked `quick` (about a minute), saved and compared apart from full runs.
bench-quick: $(STAMP)
	$(BIN)/python bench/run.py --storage $(BENCH_STORAGE)/quick --fail '$(BENCH_FAIL)' bench -m quick $(BENCH_ARGS)

# Every benchmark body once on small inputs, as a test (nothing saved; also part of `make test`
# through tests/test_bench_smoke.py).
bench-smoke: $(STAMP)
	$(BIN)/pytest -q bench --benchmark-disable --smoke -p no:cacheprovider

# Follow docs/quickstart.md from a fresh clone of HEAD with an empty Numba cache (about 3 min;
# .ci/run runs it too). It makes its own clone and venv, so it needs no .venv here.
quickstart-check:
	scripts/quickstart-check.sh

# Build the image with podman and start it under chroot (slow; root; see docs/deployment.md).
container-test:
	scripts/container-test.sh

# Re-pin every dependency to what is installed in .venv now.
lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^fraudforge' > requirements.lock

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache .benchmarks

# lacv — every target sets itself up from a clean clone.
#   make demo   create .venv, install lacv, run `lacv demo` on the built-in data
#   make test   the same set-up plus the test extra, then the whole test suite
#   make bench  the same set-up plus the benchmark peers, then benchmarks/
#   make lint   ruff over the sources, tests and benchmarks
# Each install step leaves a stamp that depends on pyproject.toml, so re-running
# a target reinstalls only when the declared dependencies changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
TORCH  := torch==2.13.0
PIP    := $(PY) -m pip --disable-pip-version-check --quiet

.PHONY: demo test bench lint oracle clean help
.DEFAULT_GOAL := help

help:
	@echo "make demo   - set up .venv and run the lacv demo on built-in data"
	@echo "make test   - set up .venv with the test extra and run the test suite"
	@echo "make bench  - set up .venv with the benchmark peers and run benchmarks/"
	@echo "make lint   - run ruff"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[test]'
	@touch $@

# PyTorch is installed pinned, on its own, before anything that could ask for it,
# so no requirement can pull another (multi-gigabyte) build.
$(VENV)/.installed-torch: | $(BIN)/activate
	$(PIP) install $(TORCH)
	@touch $@

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed $(VENV)/.installed-torch
	$(PIP) install -e '.[bench]'
	$(PIP) install kornia || echo "kornia could not be installed; its columns will be skipped"
	@touch $@

$(VENV)/.installed-lint: pyproject.toml $(VENV)/.installed
	$(PIP) install -e '.[lint]'
	@touch $@

demo: $(VENV)/.installed
	$(BIN)/lacv demo

test: $(VENV)/.installed-test
	$(PY) -m pytest $(PYTEST_ARGS)

# The gradient oracle (PyTorch CPU) for the tests; .ci/run uses it.
oracle: $(VENV)/.installed-torch

bench: $(VENV)/.installed-bench
	$(PY) -m benchmarks $(BENCH_ARGS)

lint: $(VENV)/.installed-lint
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis

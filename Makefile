# `make run`: set up (once) and run the pipeline; `make test`: set up and test.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test test-all install params status ui bench clean

run: $(STAMP)
	dvc repro

# One worker per core; idle workers take queued tests from busy ones (the four-gate journey is built once).
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -n auto --dist worksteal

test-all: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal

install: $(STAMP)

# torch goes first and pinned: its CPU wheel; an unpinned torch pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

params: $(STAMP)
	clearance params

status: $(STAMP)
	clearance status

ui: $(STAMP)
	clearance ui

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf data/raw data/prepared reports gates mlflow.db mlartifacts

# `make demo` and `make test` set everything up on a fresh machine: a .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "timebill needs Python >= 3.11 (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/timebill demo

# Four worker processes (pytest-xdist; the app tests wait on timers, so more workers than the
# two cores still pay: at 804 tests 88 s against 134 s with two); `loadgroup` keeps the tests sharing the 100,000-entry
# sandbox on one worker. Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set: each
# worker, and each `timebill` the tests start as a subprocess, would otherwise compile every
# module again (__pycache__ is ignored by git).
WORKERS ?= 4

test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup

# Bytecode cached here too: a start measured while every edited module compiles again is not
# the start a user sees (pip compiles an installed wheel's modules).
bench: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/python benchmarks/run.py

# mypy cannot follow setuptools' editable finder: a link tree gives it the import names.
MYPY_PATH := $(VENV)/mypy-path/timebill

lint: $(STAMP)
	$(BIN)/ruff check core tui tests benchmarks
	@mkdir -p $(MYPY_PATH)
	@for folder in core tui themes; do ln -sfn "$(CURDIR)/$$folder" $(MYPY_PATH)/$$folder; done
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

# The two commands of the README. Both create the environment (.venv) on first
# use; `constraints.txt` keeps pip on the local CPU build of torch.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test

run: $(STAMP)
	rm -rf out/synth
	$(BIN)/skillstream synth --out out/synth --seed 0
	$(BIN)/skillstream inspect out/synth

test: $(STAMP)
	$(BIN)/python -m pytest

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

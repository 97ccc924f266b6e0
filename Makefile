# The two commands of the README. Both create the environment (.venv) on first
# use; `constraints.txt` keeps pip on the local CPU build of torch.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The real-browser tests (tests/clients/): Debian's chromium and npm's
# playwright-core, which drives it; no browser is ever downloaded.
BROWSER_STAMP := node_modules/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test model

# The server on its embedded default: a looping synthetic routine through the
# whole pipeline with the shipped model, on http://127.0.0.1:8765/.
run: $(STAMP)
	$(BIN)/skillstream serve

test: $(STAMP) $(BROWSER_STAMP)
	$(BIN)/python -m pytest

# The shipped classifier (models/pretrained/): synthetic data, train's defaults,
# deterministic for the seeds and thread count below (about 35 minutes on 2 idle cores).
model: $(STAMP)
	rm -rf out/beam
	$(BIN)/skillstream synth --out out/beam --seed 0 --background-clips 200
	$(BIN)/skillstream train --data out/beam --out models/pretrained/default.pt \
		--seed 0 --threads 2 --report models/pretrained/default_report

$(BROWSER_STAMP): package.json package-lock.json
	command -v chromium >/dev/null || ($(SUDO) apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,bench]'
	touch $@

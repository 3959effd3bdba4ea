# Set-up and everyday commands. Each target creates the virtual environment when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: example test fuzz docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

## Convert the bundled example manifests into out/example/ (with the audit report).
example: $(STAMP)
	$(BIN)/ingress2gw convert examples/cluster.yaml --output-dir out/example --report out/example/report.json

## Run the whole test suite. The HTML report is tested in headless Chromium and the ingress-nginx simulator against
## real NGINX (Debian's packages; CI runs as root; nginx lives in /usr/sbin, which may not be on PATH).
test: $(STAMP)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	test -x /usr/sbin/nginx || command -v nginx >/dev/null || (apt-get update -qq && apt-get install -y -qq nginx)
	$(BIN)/python -m pytest

## The long fuzz run: fresh random manifests through every emitter and command (the suite runs a short, fixed one).
## FUZZ_EXAMPLES sets how many per test.
FUZZ_EXAMPLES ?= 2000
fuzz: $(STAMP)
	INGRESS2GW_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) INGRESS2GW_FUZZ_RANDOM=1 $(BIN)/python -m pytest tests/fuzz -p no:cacheprovider

## Regenerate the docs tables from the code's registries.
docs: $(STAMP)
	$(BIN)/python -m ingress2gw.devtools gen-docs

## Benchmarks (run by hand; see docs/performance.md).
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) out .pytest_cache

# Set-up and everyday commands. Each target creates the virtual environment when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: example test fuzz docs bench dist clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

## Convert the bundled example manifests into out/example/ (with the audit report).
example: $(STAMP)
	$(BIN)/ingress2gw convert examples/cluster.yaml --output-dir out/example --report out/example/report.json

## Run the whole test suite. The HTML report is tested in headless Chromium and the ingress-nginx simulator against
## real NGINX; those tests skip, saying why, where the programs are missing (.ci/run installs them; this target
## never installs system packages).
test: $(STAMP)
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

## Release artefacts: the sdist and the wheel in dist/, checked with twine (see docs/install.md).
dist: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check build twine
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/python -m twine check --strict dist/*

clean:
	rm -rf $(VENV) out .pytest_cache dist build

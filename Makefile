# The two commands of the README:
#   make demo   sets up .venv (if needed) and runs the demo on the built-in synthetic faces
#               (DEMO_ARGS=--resume or --force when checkpoints/demo already holds its model)
#   make test   sets up .venv (if needed) and runs every test, notebooks included
#   make bench  runs the training benchmark (bench/train_bench.py, BENCH_ARGS=...; bench/README.md says what it measures)
# The install: `python -m venv`, then pip installs uv (pinned in constraints.txt) and uv installs the package with its
# pinned dependencies. uv links the files from its cache instead of unpacking each wheel again: with the cache warm,
# the ~5.6 GB of PyTorch's CUDA build installs in seconds, where pip takes about two minutes of CPU (a CI run of
# make test installs twice: its own and the fresh clone's). Neither byte-compiles (Python compiles the modules it
# imports when first imported). INSTALLER=pip installs with pip alone (e.g. where only a pip.conf index is reachable),
# and pip takes over by itself if uv fails.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INSTALLER ?= uv
SPEC := -c constraints.txt -e ".[dev]"
PIP := $(BIN)/python -m pip install -q -c constraints.txt
QUIET := { grep -v "^WARNING: Location 'file:" || true; }

.PHONY: demo test test-slow install export readme docs-preview bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing vae_faces and its pinned dependencies into $(VENV) ..."
	@if [ "$(INSTALLER)" = uv ] && $(PIP) uv 2>&1 | $(QUIET) && $(BIN)/uv pip install -q --python $(BIN)/python $(SPEC); then :; \
	elif [ "$(INSTALLER)" = uv ]; then echo "uv could not install it; installing with pip instead ..."; $(PIP) --no-compile $(SPEC) 2>&1 | $(QUIET); \
	else $(PIP) --no-compile $(SPEC) 2>&1 | $(QUIET); fi
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/vae-faces-demo $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	VAE_FACES_SLOW=1 $(BIN)/python -m pytest

export: $(STAMP)
	$(BIN)/nbdev-export && $(BIN)/python tools/compact_outputs.py && $(BIN)/nbdev-clean

readme: $(STAMP)
	$(BIN)/python tools/readme.py

docs-preview: $(STAMP)
	$(BIN)/python tools/docs_preview.py

bench: $(STAMP)
	$(BIN)/python bench/train_bench.py $(BENCH_ARGS)

clean:
	rm -rf _proc _docs build dist *.egg-info .pytest_cache

# The two commands of the README:
#   make demo   sets up .venv (if needed) and runs the demo on the built-in synthetic faces
#               (DEMO_ARGS=--resume or --force when checkpoints/demo already holds its model)
#   make test   sets up .venv (if needed) and runs every test, notebooks included
# The install skips byte-compiling (--no-compile): Python compiles the modules it imports when first imported, and
# compiling all of torch's costs about a minute of CPU per install (a CI run of make test installs twice: its own
# and the fresh clone's).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow install export readme docs-preview bench clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing vae_faces and its pinned dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install -q --no-compile -c constraints.txt -e ".[dev]" 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
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

clean:
	rm -rf _proc _docs build dist *.egg-info .pytest_cache

# The two commands (see README):
#   make demo   set everything up in .venv and run the main job on embedded defaults
#   make test   run the whole test suite (lint, types, tests)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test setup lint typecheck pytest bench serve screenshots clean

setup: $(STAMP)

# Setup installs uv (from PyPI) into the venv and lets it install the rest: about a minute from
# an empty uv cache, against pip's 70 s with a warm one, on this project's machine. It compiles byte code as pip does (this machine sets
# PYTHONDONTWRITEBYTECODE, so nothing is compiled later: without it, every CLI test run compiles
# the libraries again and the suite takes half as long again). Where uv cannot be had or fails,
# pip does it, with its progress.
$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) (the first time takes a minute or so; progress follows)"
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip uv || echo "(no uv: installing with pip)"
	@if [ -x $(BIN)/uv ] && $(BIN)/uv pip install --compile-bytecode --python $(BIN)/python -e '.[dev]'; then :; else \
		$(BIN)/python -m pip install --progress-bar on -e '.[dev]'; \
	fi
	@# axe-core, from the npm registry, for the web app's accessibility tests (pinned).
	@if command -v npm >/dev/null 2>&1; then \
		npm install --silent --no-audit --no-fund --prefix $(VENV)/npm axe-core@4.14.1; \
	else echo "(no npm: the web app's accessibility tests will say so)"; fi
	touch $(STAMP)

demo: $(STAMP)
	@$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

# The API and web app on the demo's data (run `make demo` first): http://127.0.0.1:8000/
serve: $(STAMP)
	@test -f out/registry/distillgov.sqlite || $(BIN)/python scripts/demo.py
	DISTILLGOV_DATA_DIR=out/registry/data $(BIN)/distillgov serve --database sqlite:///out/registry/distillgov.sqlite

# Screenshots of the main pages at desktop and phone width into docs/screenshots/ (issue #17):
# on the demo's data, in Debian's Chromium.
screenshots: $(STAMP)
	@test -f out/registry/distillgov.sqlite || $(BIN)/python scripts/demo.py
	$(BIN)/python scripts/screenshots.py

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis out

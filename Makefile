# The two commands (see README):
#   make demo   set everything up in .venv and run the main job on embedded defaults
#   make test   run the whole test suite (lint, types, tests)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test setup lint typecheck pytest bench serve clean

setup: $(STAMP)

# uv installs several times faster where it is on the PATH; pip, with its progress bars, otherwise.
$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) (the first time takes a few minutes; progress follows)"
	@if command -v uv >/dev/null 2>&1; then \
		uv venv --quiet --allow-existing --python $(PYTHON) $(VENV) && \
		uv pip install --python $(BIN)/python -e '.[dev]'; \
	else \
		$(PYTHON) -m venv $(VENV) && \
		$(BIN)/python -m pip install --quiet --upgrade pip && \
		$(BIN)/python -m pip install --progress-bar on -e '.[dev]'; \
	fi
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

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis out

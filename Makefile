# Both targets work on a fresh machine with only Python 3.11+ and make: they create (or reuse)
# a local virtual environment in .venv and install what they need into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit docs bench changelog clean

$(STAMP): pyproject.toml $(wildcard examples/*/requirements.txt)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "commercekit needs Python 3.11+; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,docs,postgres]'
	@# The example shops' own dependencies (FastAPI, Django, ...), for their tests.
	@for r in $(wildcard examples/*/requirements.txt); do $(BIN)/python -m pip install --quiet -r "$$r" || exit 1; done
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/commercekit demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples docs
	$(BIN)/ruff format --check src tests benchmarks examples docs

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest --cov --cov-report=term-missing:skip-covered --cov-fail-under=90

docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	$(BIN)/sphinx-build -W --keep-going -q -b doctest docs docs/_build/doctest

test: lint typecheck unit docs

bench: $(STAMP)
	$(BIN)/python -m benchmarks
	$(BIN)/python -m benchmarks.versus

# Previews the next release's notes from the fragments in changelog.d/ (nothing is written);
# `make changelog VERSION=x.y.z` writes them into CHANGELOG.md above the earlier entries and
# removes the fragments (git rm). See docs/contributing.rst.
changelog: $(STAMP)
	$(BIN)/towncrier build $(if $(VERSION),--yes --version "$(VERSION)",--draft --version Unreleased)

clean:
	rm -rf $(VENV) docs/_build .pytest_cache .mypy_cache .ruff_cache .coverage

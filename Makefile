# `make test` and `make book` each set up .venv themselves on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DEEPDENOISE_DATA ?= $(abspath ../shared/data)
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0

.PHONY: test book lint unit notebooks site browser clean help

help:
	@echo "make test   set up .venv, then lint, unit tests + doctests + notebooks (nbval), site build, browser check"
	@echo "make book   set up .venv and build the website into _build/html (notebooks executed, cached)"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	# --no-deps: requirements.txt already pins every dependency, and pyproject's
	# plain `tensorflow` requirement (kept for Colab) would pull a second TensorFlow.
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# -W --keep-going: report every warning, then fail. --all re-reads every page, so a
# warning in an unchanged page is reported again; notebooks still run only when their
# code changed, through the jupyter-cache in _build/.jupyter_cache.
BOOK_FLAGS := --all --warningiserror --nitpick --keep-going
book: $(STAMP)
	$(BIN)/jupyter-book build . $(BOOK_FLAGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks training notebooks
	$(BIN)/ruff format --check src tests benchmarks training notebooks

# Unit tests, doctests and every notebook under nbval, with line coverage of src/.
unit: $(STAMP)
	$(BIN)/python -m pytest -m "not browser" --cov=deepdenoise --cov-report=term --cov-report=xml \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=600 notebooks tests src

# The site from the notebooks nbval just validated: their committed outputs are rendered,
# not executed again. jupyter-book has no flag for that, so build with a copy of
# _config.yml whose execute_notebooks is off (and whose local_extensions paths, which
# are relative to the config file, are made absolute); any warning fails the build.
SITE_CONFIG := _build/_config.site.yml
site: $(STAMP)
	mkdir -p _build
	$(BIN)/python -c "import os, sys, yaml; c = yaml.safe_load(open('_config.yml')); \
		c['execute']['execute_notebooks'] = 'off'; ext = c['sphinx'].get('local_extensions') or {}; \
		c['sphinx']['local_extensions'] = {k: os.path.abspath(v) for k, v in ext.items()}; \
		yaml.safe_dump(c, open(sys.argv[1], 'w'))" $(SITE_CONFIG)
	$(BIN)/jupyter-book build . --config $(SITE_CONFIG) $(BOOK_FLAGS)

# Opens every page of _build/html (from `site` or `book`) in headless Chromium.
browser: $(STAMP)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)
	$(BIN)/python -m pytest -m browser tests/test_site.py

test: lint unit site browser

clean:
	rm -rf _build .jupyter_cache

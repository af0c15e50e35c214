# `make test` and `make book` each set up .venv themselves on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DEEPDENOISE_DATA ?= $(abspath ../shared/data)
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONHASHSEED := 0

.PHONY: test book lint unit colab outputs site browser clean help tryit-assets

help:
	@echo "make test   set up .venv, then lint, unit tests + doctests + notebooks (nbval), Colab stack, site build, browser check"
	@echo "make colab  build .venv-colab (Colab's Python 3.13 stack) and run the notebooks and pretrained models on it"
	@echo "make book   set up .venv and build the website into _build/html (notebooks executed, cached)"
	@echo "make outputs  re-execute every notebook in place, for committing (TF start-up lines removed)"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	# --no-deps: requirements.txt already pins every dependency, and pyproject's
	# plain `tensorflow` requirement (kept for Colab) would pull a second TensorFlow.
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# The Try it page (book/try_it.md) denoises in the browser, offline: onnxruntime-web's
# WebAssembly files (npm, pinned in package-lock.json) and the shipped models exported to
# ONNX go into $(TRYIT), which the site serves as static files (no CDN). All three
# folders are git-ignored. The models are exported again when the weights or the
# exporter change, into a fresh folder that replaces the old one (no stale model stays),
# with models/models.json, the page's index of models and sample images.
TRYIT := book/_static/tryit
ORT_FILES := ort.wasm.min.mjs ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm
TRYIT_MODELS_DEPS := $(STAMP) src/deepdenoise/weights/manifest.json \
	$(wildcard src/deepdenoise/weights/*.weights.h5) src/deepdenoise/export.py book/_ext/tryit_index.py


node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null)
	npm ci --ignore-scripts --no-audit --no-fund

$(TRYIT)/ort/.copied: node_modules/.package-lock.json
	rm -rf $(TRYIT)/ort && mkdir -p $(TRYIT)/ort
	cp $(addprefix node_modules/onnxruntime-web/dist/,$(ORT_FILES)) $(TRYIT)/ort/
	touch $@

$(TRYIT)/models/models.json: $(TRYIT_MODELS_DEPS)
	rm -rf $(TRYIT)/models.tmp
	$(BIN)/deepdenoise export --model all --format onnx -o $(TRYIT)/models.tmp
	rm -rf $(TRYIT)/models && mv $(TRYIT)/models.tmp $(TRYIT)/models
	$(BIN)/python book/_ext/tryit_index.py $(TRYIT)

tryit-assets: $(TRYIT)/ort/.copied $(TRYIT)/models/models.json

# -W --keep-going: report every warning, then fail. --all re-reads every page, so a
# warning in an unchanged page is reported again; notebooks still run only when their
# code changed, through the jupyter-cache in _build/.jupyter_cache.
BOOK_FLAGS := --all --warningiserror --nitpick --keep-going
book: $(STAMP) tryit-assets
	$(BIN)/jupyter-book build . $(BOOK_FLAGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks training notebooks
	$(BIN)/ruff format --check src tests benchmarks training notebooks
	$(BIN)/mypy

# Unit tests, doctests and every notebook under nbval, with line coverage of src/.
unit: $(STAMP)
	$(BIN)/python -m pytest -m "not browser and not colab" --cov=deepdenoise --cov-report=term --cov-report=xml \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=600 notebooks tests src

# Re-execute the notebooks in place for committing: tests/refresh_notebooks.py.
outputs: $(STAMP)
	$(BIN)/python tests/refresh_notebooks.py notebooks/*.ipynb

# Google Colab's own stack (../shared/colab: Python 3.13, TensorFlow 2.20, Keras 3.13, JAX
# 0.7.2, NumPy 2.1) in .venv-colab, rebuilt when the requirements change. Its freeze
# `pip freeze --all` is the stamp. Then, every time: the package is installed on top the
# way a notebook's setup cell does (plain `pip install .`, dependencies resolved), and
# tests/colab/check_freeze.py fails if that changed anything but adding deepdenoise;
# then every notebook runs on the kernel deepdenoise-colab and the pretrained models
# are compared with the pinned venv (tests/test_colab_stack.py).
# `make colab COLAB_PYTEST_ARGS="-k 00_smoke"` runs a subset.
COLAB_REQUIREMENTS ?= $(abspath ../shared/colab/requirements-colab.txt)
COLAB_PYTHON_VERSION := 3.13.0
COLAB_VENV := .venv-colab
COLAB_BIN := $(COLAB_VENV)/bin
COLAB_FREEZE := $(COLAB_VENV)/freeze-colab.txt
COLAB_KERNEL := deepdenoise-colab
COLAB_PYTEST_ARGS ?=

$(COLAB_FREEZE): $(COLAB_REQUIREMENTS)
	@py=$$(PYENV_VERSION=$(COLAB_PYTHON_VERSION) pyenv which python3.13 2>/dev/null); \
	root=$$(pyenv root 2>/dev/null); \
	if [ -z "$$py" ] && [ -n "$$root" ] && [ -x "$$root/versions/$(COLAB_PYTHON_VERSION)/bin/python3.13" ]; then \
		py=$$root/versions/$(COLAB_PYTHON_VERSION)/bin/python3.13; fi; \
	if [ -z "$$py" ]; then py=python3; \
		echo "NOTE: no pyenv Python $(COLAB_PYTHON_VERSION) found; building $(COLAB_VENV) on $$(python3 --version)"; \
		echo "NOTE: with Colab's package pins. Colab itself runs Python 3.13."; fi; \
	echo "$(COLAB_VENV): $$py ($$($$py --version))"; \
	rm -rf $(COLAB_VENV) && $$py -m venv $(COLAB_VENV)
	$(COLAB_BIN)/pip install --quiet --disable-pip-version-check -r $(COLAB_REQUIREMENTS)
	$(COLAB_BIN)/python -m ipykernel install --sys-prefix --name $(COLAB_KERNEL) \
		--display-name "Python 3 (Colab stack)" >/dev/null
	$(COLAB_BIN)/pip freeze --all --disable-pip-version-check > $(COLAB_FREEZE).tmp
	mv $(COLAB_FREEZE).tmp $(COLAB_FREEZE)

colab: $(STAMP) $(COLAB_FREEZE)
	@version=$$($(COLAB_BIN)/python -c 'import sys; print(sys.version.split()[0])'); \
	case $$version in 3.13.*) echo "$(COLAB_VENV): Python $$version";; \
		*) echo "NOTE: $(COLAB_VENV) runs Python $$version, not Colab's 3.13 (no pyenv 3.13 here)";; esac
	$(BIN)/python tests/colab/check_freeze.py --venv $(COLAB_VENV) --baseline $(COLAB_FREEZE) .
	DEEPDENOISE_COLAB_VENV=$(COLAB_VENV) DEEPDENOISE_COLAB_REQUIREMENTS=$(COLAB_REQUIREMENTS) \
		JUPYTER_PATH=$(abspath $(COLAB_VENV))/share/jupyter \
		$(BIN)/python -m pytest -m colab tests/test_colab_stack.py $(COLAB_PYTEST_ARGS)

# The site from the notebooks nbval just validated: their committed outputs are rendered,
# not executed again. jupyter-book has no flag for that, so build with a copy of
# _config.yml whose execute_notebooks is off (and whose local_extensions paths, which
# are relative to the config file, are made absolute); any warning fails the build.
SITE_CONFIG := _build/_config.site.yml
site: $(STAMP) tryit-assets
	mkdir -p _build
	$(BIN)/python -c "import os, sys, yaml; c = yaml.safe_load(open('_config.yml')); \
		c['execute']['execute_notebooks'] = 'off'; ext = c['sphinx'].get('local_extensions') or {}; \
		c['sphinx']['local_extensions'] = {k: os.path.abspath(v) for k, v in ext.items()}; \
		yaml.safe_dump(c, open(sys.argv[1], 'w'))" $(SITE_CONFIG)
	$(BIN)/jupyter-book build . --config $(SITE_CONFIG) $(BOOK_FLAGS)

# Opens every page of _build/html (from `site` or `book`) in headless Chromium.
browser: $(STAMP)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && \
		fc-list :lang=zh | grep -q . || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium chromium-driver fonts-noto-cjk >/dev/null)
	$(BIN)/python -m pytest -m browser tests/test_site.py tests/test_tryit_page.py

test: lint unit colab site browser

clean:
	rm -rf _build .jupyter_cache node_modules $(TRYIT)/ort $(TRYIT)/models $(TRYIT)/samples

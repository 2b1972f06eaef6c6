# Two commands: `make run` (install, load demo data, start the app) and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8501
PYTEST_ARGS ?=

.PHONY: run test test-slow demo bench evals clean browser-deps

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch is pinned first so nothing can pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/porte-voix demo
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true

# The browser test (tests/test_browser.py) drives Debian's chromium; install it when we can (as root),
# otherwise that test skips itself and says why.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 && \
		apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null 2>&1; } || \
		echo "chromium is not installed and cannot be installed here: the browser test will be skipped"

test: $(STAMP) browser-deps
	$(PY) -m pytest $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

demo: $(STAMP)
	$(VENV)/bin/porte-voix demo

bench: $(STAMP)
	$(PY) -m evals bench

evals: $(STAMP)
	$(PY) -m evals all --data ../shared/evaldata

clean:
	rm -rf $(VENV) .porte-voix

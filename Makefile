# The two commands: `make run` (set up, scan ./media, serve) and `make test`.
# Both create .venv and install everything on first use.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
HLSJS := src/mediashelf/web/static/vendor/hls.min.js

# The first Python >= 3.11 on PATH (override: make PYTHON=/path/to/python3.12 run).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: run test setup lint typecheck pytest bench clean ffprobe

setup: $(STAMP) $(HLSJS)

# Browser-side dependencies (hls.js for videos a browser cannot play as they are), from npm.
$(HLSJS): frontend/package.json frontend/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix frontend --no-audit --no-fund --loglevel=error && \
		mkdir -p $(@D) && cp frontend/node_modules/hls.js/dist/hls.min.js $@; \
	else \
		echo "warning: npm (Node 20+) not found: the watch page will play only videos the" >&2; \
		echo "         browser can play as they are (install Node 20+ and run make again)" >&2; \
	fi

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
		echo "error: Mediashelf needs Python 3.11 or newer; none was found on PATH." >&2; \
		echo "       Install python3.11+ (e.g. 'apt-get install python3.11 python3.11-venv')," >&2; \
		echo "       or run: make PYTHON=/path/to/python3.11 $(MAKECMDGOALS)" >&2; exit 1; fi
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
		echo "error: $(PYTHON) lacks venv/ensurepip; install the python3-venv package." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@$(MAKE) --no-print-directory ffprobe
	@touch $@

# Scan first (a progress bar and a summary), then serve: the server's job worker makes the
# thumbnails in the background and its watcher indexes whatever lands in the roots later.
# Videos are probed with ffprobe. imageio-ffmpeg ships only ffmpeg, so where the system
# has no ffprobe a static build comes from npm (@ffprobe-installer) into .venv/bin.
ffprobe:
	@if command -v ffprobe >/dev/null 2>&1 || [ -x $(BIN)/ffprobe ]; then exit 0; fi; \
	if command -v npm >/dev/null 2>&1; then \
		echo "no ffprobe on this machine: installing a static one from npm (@ffprobe-installer)"; \
		npm install --prefix $(VENV)/ffprobe --no-audit --no-fund --loglevel=error \
			@ffprobe-installer/ffprobe@2.1.2 && \
		ln -sf "$$(cd $(VENV)/ffprobe && node -p 'require("@ffprobe-installer/ffprobe").path')" \
			$(BIN)/ffprobe; \
	else \
		echo "warning: no ffprobe (and no npm to fetch one): videos cannot be probed;" >&2; \
		echo "         install ffmpeg (e.g. apt-get install ffmpeg) or Node 20+" >&2; \
	fi

run: $(STAMP) $(HLSJS)
	$(BIN)/mediashelf scan
	$(BIN)/mediashelf serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy src

pytest: $(STAMP) $(HLSJS)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/scan.py
	$(BIN)/python bench/thumbs.py
	$(BIN)/python bench/serve.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

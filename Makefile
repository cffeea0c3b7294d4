# The two commands: `make run` (set up, scan ./media, serve) and `make test`.
# Both create .venv and install everything on first use.
SHELL := /bin/bash
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
# The web UI (frontend/, docs/frontend.md): npm packages, and Vite's build that the server serves.
NPM   := frontend/node_modules/.installed
WEB   := src/mediashelf/web/dist/.built
WEB_SOURCES := $(shell find frontend/src -type f 2>/dev/null) $(wildcard frontend/*.html) \
	frontend/vite.config.ts frontend/svelte.config.js frontend/tsconfig.json frontend/package.json

# The first Python >= 3.11 on PATH (override: make PYTHON=/path/to/python3.12 run).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: run test setup lint typecheck pytest web-check schema bench clean ffprobe

setup: $(STAMP) $(WEB)

# The web UI is built with Node.js (Vite 8 wants 20.19+ or 22.12+) and npm.
define need-node
	@command -v npm >/dev/null 2>&1 && node -e 'const [a, b] = process.versions.node.split(".").map(Number); \
		process.exit(a > 22 || (a === 22 && b >= 12) || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null || { \
		echo "error: Mediashelf's web UI is built with Node.js 20.19+ (or 22.12+) and npm;" >&2; \
		echo "       found: $$(node --version 2>/dev/null || echo 'no node'), $$(command -v npm || echo 'no npm')." >&2; \
		echo "       Install Node 20+ (https://nodejs.org, or e.g. 'apt-get install nodejs npm')," >&2; \
		echo "       then run make again." >&2; exit 1; }
endef

# Browser-side packages from npm: Svelte, Vite and the checks; hls.js (the watch page loads it
# only for a video that needs HLS).
$(NPM): frontend/package.json frontend/package-lock.json
	$(need-node)
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error
	@touch $@

# Vite builds the pages into src/mediashelf/web/dist (again whenever frontend/ changes).
$(WEB): $(NPM) $(WEB_SOURCES)
	$(need-node)
	npm --prefix frontend run --silent build -- --logLevel warn
	@touch $@

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

run: $(STAMP) $(WEB)
	$(BIN)/mediashelf scan
	$(BIN)/mediashelf serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy src

pytest: $(STAMP) $(WEB)
	$(BIN)/pytest

# The web UI's checks: svelte-check (types, Svelte's own lint), tsc, vitest.
web-check: $(NPM)
	$(need-node)
	npm --prefix frontend run --silent check

# Regenerate the web UI's API types from the app's OpenAPI schema (after an API change;
# tests/web/test_frontend.py fails while they differ).
schema: $(STAMP) $(NPM)
	$(BIN)/python scripts/openapi_types.py

test: lint typecheck web-check pytest

bench: $(STAMP)
	$(BIN)/python bench/scan.py
	$(BIN)/python bench/thumbs.py
	$(BIN)/python bench/serve.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache frontend/node_modules src/mediashelf/web/dist

"""Regenerate the web UI's API types (frontend/src/lib/api/schema.d.ts) from the app's
OpenAPI schema: `mediashelf.web.openapi_dump` builds the app without a server, and
openapi-typescript (frontend/node_modules) turns its schema into TypeScript.

    .venv/bin/python scripts/openapi_types.py           # write schema.d.ts (`make schema`)
    .venv/bin/python scripts/openapi_types.py --check   # exit 1 if it is out of date

tests/web/test_frontend.py runs the same generation and fails when the committed file
differs, so the client and the API cannot drift apart.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from mediashelf.web.openapi_dump import dumps, schema

REPO = Path(__file__).resolve().parents[1]
FRONTEND = REPO / "frontend"
TARGET = FRONTEND / "src" / "lib" / "api" / "schema.d.ts"
OPENAPI_TYPESCRIPT = FRONTEND / "node_modules" / ".bin" / "openapi-typescript"


def generate() -> str:
    """The TypeScript that the current code's schema gives (stdin to stdout: no files)."""
    if not OPENAPI_TYPESCRIPT.exists():
        raise FileNotFoundError(
            f"{OPENAPI_TYPESCRIPT} is missing: run `make setup` (needs Node 20+ and npm)"
        )
    done = subprocess.run(
        [str(OPENAPI_TYPESCRIPT)],
        input=dumps(schema()),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=FRONTEND,
        check=False,
        timeout=300,
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"openapi-typescript failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say whether it is current")
    args = parser.parse_args()
    text = generate()
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else None
    if args.check:
        if text != current:
            print(f"{TARGET.relative_to(REPO)} is out of date: run `make schema`", file=sys.stderr)
            return 1
        return 0
    if text != current:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET.relative_to(REPO)}")
    else:
        print(f"{TARGET.relative_to(REPO)} is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

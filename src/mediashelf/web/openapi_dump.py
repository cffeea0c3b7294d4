"""The app's OpenAPI schema as JSON, without a server: what the web UI's typed API client
is generated from (frontend/src/lib/api/schema.d.ts; docs/frontend.md).

    python -m mediashelf.web.openapi_dump [OUT.json]     # stdout without OUT

The app is built with a throwaway data directory and default settings (the environment
and any .env file are ignored), so the same code always gives the same schema.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from mediashelf.config import Settings


class _Defaults(Settings):
    """The settings given here, else the defaults: never the environment or a .env file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def schema() -> dict[str, Any]:
    from mediashelf.web.app import create_app

    with tempfile.TemporaryDirectory(prefix="mediashelf-openapi-") as tmp:
        root = Path(tmp)
        settings = _Defaults(
            media_dir=[root / "media"],
            data_dir=root / "data",
            cache_dir=root / "cache",
            database_url=f"sqlite:///{root / 'data' / 'mediashelf.db'}",
            redis_url="",
            manifest_file=root / "manifest.json",
            thumbnails_file=root / "thumbnails.json",
            auth=True,
            workers=1,
        )
        (root / "data").mkdir()
        app = create_app(settings)
        try:
            return app.openapi()
        finally:
            app.state.engine.dispose()
            app.state.loop_engine.dispose()


def dumps(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1 or (args and args[0].startswith("-")):
        print(__doc__, file=sys.stderr)
        return 2
    text = dumps(schema())
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Helpers for the web tests: a scanned library, and requests sent byte-exact."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Message

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.library.scan import scan
from mediashelf.web.app import create_app
from tests.conftest import fresh_pg_database, make_settings, signed_in


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def module_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like `db_url`, but one database per module, for big tables of read-only requests.

    A PostgreSQL database takes about a second to create and drop, too slow
    for one per row of a table.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'mediashelf.db'}"
        return
    with fresh_pg_database() as url:
        yield url


@contextmanager
def scanned_library(
    tmp: Path, db_url: str, make_files: Callable[[Path], None], **extra: object
) -> Iterator[tuple[TestClient, Settings]]:
    """An app over a media root that `make_files` fills, scanned once."""
    media = tmp / "media"
    media.mkdir()
    make_files(media)
    settings = make_settings(tmp, media, db_url, **extra)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    scan(engine, settings)
    app = create_app(settings)
    try:
        with signed_in(app) as client:
            yield client, settings
    finally:
        app.state.engine.dispose()
        engine.dispose()


def prepared_library(tmp: Path) -> Settings:
    """A photo and a 2 s video under tmp/media, scanned, with thumbnails and every
    preview made, in a SQLite database: the settings to create an app over it."""
    from mediashelf.jobs.batch import run_thumbnails, run_videos
    from tests import factory

    media = tmp / "media"
    factory.jpeg(media / "a.jpg", (96, 64), seed=1)
    factory.video(media / "v.mp4", seconds=2.0)
    settings = make_settings(tmp, media, f"sqlite:///{tmp / 'data' / 'mediashelf.db'}")
    engine = make_engine(settings.db_url)
    upgrade(engine)
    scan(engine, settings)
    run_thumbnails(engine, settings)
    run_videos(engine, settings)
    engine.dispose()
    return settings


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def raw_request(
    target: ASGIApp | TestClient,
    raw_path: bytes,
    query: bytes = b"",
    method: str = "GET",
    headers: dict[str, str] | None = None,
    peer: str = "127.0.0.1",
) -> RawResponse:
    """Send a request whose path reaches the app exactly as a server would pass it.

    httpx removes `..` segments and Starlette's TestClient percent-decodes the
    path twice; uvicorn does neither: it decodes the raw path once. So do we.
    Given a TestClient, the request goes to its app with its Authorization header.
    """
    headers = dict(headers or {})
    if isinstance(target, TestClient):
        app: ASGIApp = target.app
        if "authorization" in target.headers:
            headers.setdefault("authorization", target.headers["authorization"])
    else:
        app = target
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path.decode("ascii")),
        "raw_path": raw_path,
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()],
        "client": (peer, 50000),
        "server": ("testserver", 80),
    }
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    async def call() -> None:
        await app(scope, receive, send)

    anyio.run(call)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return RawResponse(
        start["status"],
        {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]},
        body,
    )


def all_items(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    """Every item the list API returns in one page of up to 500."""
    resp = client.get("/api/v1/items", params={"limit": 500, **params})
    assert resp.status_code == 200, resp.text
    assert resp.json()["next_cursor"] is None
    items: list[dict[str, Any]] = resp.json()["items"]
    return items


def item_by_path(client: TestClient, path: str) -> dict[str, Any]:
    (item,) = [i for i in all_items(client, include_missing=True) if i["path"] == path]
    return item


def built_asset() -> str:
    """The name of one file the built web UI serves under /assets/ (its login page's
    script)."""
    import mediashelf.web

    page = (Path(mediashelf.web.__file__).parent / "dist" / "login.html").read_text()
    found = re.search(r'src="/assets/([^"]+)"', page)
    assert found, "the web UI is not built: run make setup"
    return found[1]

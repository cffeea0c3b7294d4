"""The page routes (src/mediashelf/web/pages.py) in Debian's Chromium against a real
`mediashelf serve`: the plain gallery view has its first page of items preloaded by the
response's Link header, and the page's script uses that response instead of asking
again; a gallery view with filters gets no preload (it would be the wrong request)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests import factory
from tests.browser import chromium, needs_chromium, until
from tests.serving import processed_library, served

pytestmark = [needs_chromium, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("pages")
    for n in range(3):
        factory.jpeg(tmp / "media" / f"p{n}.jpg", (320, 240), seed=n + 1)
    engine, env = processed_library(tmp)
    engine.dispose()
    with served(env, tmp) as url:
        yield url


def _load(base: str, path: str) -> tuple[list[str], list[str]]:
    """The item-list requests the page made, and its console's warnings."""
    requests: list[str] = []
    warnings: list[str] = []
    with chromium() as browser:
        page = browser.new_page()
        page.on(
            "request",
            lambda r: (
                requests.append(r.url.removeprefix(base)) if "/api/v1/items?" in r.url else None
            ),
        )
        page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
        page.goto(base + path)
        until(page, "() => document.querySelectorAll('main img').length === 3")
        page.wait_for_timeout(3500)  # Chromium warns of an unused preload after 3 s
    return requests, warnings


def test_the_library_view_preloads_its_first_items(base: str) -> None:
    resp = httpx.get(base + "/")
    assert resp.headers["link"].startswith("</api/v1/items?limit=100>; rel=preload; as=fetch")
    requests, warnings = _load(base, "/")
    assert requests == ["/api/v1/items?limit=100"]  # one request: the preload's
    assert not [w for w in warnings if "preload" in w], warnings


def test_a_filtered_view_is_not_preloaded(base: str) -> None:
    assert "link" not in httpx.get(base + "/", params={"kind": "image"}).headers
    requests, _ = _load(base, "/?kind=image")
    assert requests == ["/api/v1/items?kind=image&limit=100"]

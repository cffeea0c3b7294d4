"""The login page in a real browser (Debian's Chromium via Playwright), against a real
`mediashelf serve` with authentication on: the first run makes the admin, then log out,
a wrong password, log in again, `next` honoured and never leaving the site; the theme
toggle; and not one Content-Security-Policy violation on the way.

The page is the Svelte one (frontend/src/pages/login), built by `make setup`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests import factory
from tests.browser import RECORD_VIOLATIONS, chromium, needs_chromium, until, violations
from tests.serving import scanned_site, served

PASSWORD = "a long first password"

pytestmark = [
    needs_chromium,
    pytest.mark.timeout(180),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("login")
    factory.jpeg(tmp / "media" / "a.jpg", (320, 240), seed=1)
    env = scanned_site(tmp, AUTH="on")
    with served(env, tmp) as url:
        yield url


# Records the CSP violations a page reports, in the page itself. Playwright adds init
# scripts through the DevTools protocol, so the page's CSP does not stop this one.


INLINE_STYLE = '<b style="color: red">x</b>'


@pytest.fixture(scope="module")
def csp_console() -> list[str]:
    """What the browser's console said about the CSP, on every page the tests opened."""
    return []


@pytest.fixture(scope="module")
def page(base: str, csp_console: list[str]) -> Iterator[Any]:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 700})
        page.add_init_script(RECORD_VIOLATIONS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on(
            "console",
            lambda m: csp_console.append(m.text) if "Content Security Policy" in m.text else None,
        )
        yield page
    assert errors == []
    assert csp_console == [], csp_console


def _submit(page: Any, username: str, password: str, confirm: str | None = None) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    if confirm is not None:
        page.fill("input[name=confirm]", confirm)
    page.click("#submit")


def test_first_run_login_and_logout(page: Any, base: str) -> None:
    # Ordered steps of one visit: each depends on the one before.
    page.goto(f"{base}/")
    assert page.url == f"{base}/login?next=/"
    until(page, "() => !document.getElementById('form').hidden")
    assert "first account" in page.text_content("#intro")
    assert page.text_content("#submit") == "Create admin"

    _submit(page, "Alice", PASSWORD, "not the same")
    until(page, "() => !document.getElementById('error').hidden")
    assert "differ" in page.text_content("#error")

    _submit(page, "Alice", PASSWORD, PASSWORD)
    until(page, f"() => location.href === '{base}/'")
    until(page, "() => document.querySelector('#account .user') !== null")
    assert page.text_content("#account .user") == "alice"
    until(page, "() => document.querySelectorAll('#grid .tile').length === 1")

    # The first-run page is gone for good; strangers get the login form.
    assert httpx.get(f"{base}/api/v1/auth/setup").json()["needs_admin"] is False

    page.click("#account-button")  # the user menu
    page.click("#account-menu .logout")
    until(page, "() => location.pathname === '/login'")
    assert httpx.get(f"{base}/api/v1/items").status_code == 401
    page.goto(f"{base}/")  # the old cookie no longer opens the gallery
    assert page.url.startswith(f"{base}/login")

    until(page, "() => !document.getElementById('form').hidden")
    assert page.text_content("#submit") == "Log in"
    assert not page.is_visible("input[name=confirm]")  # no "password again" to log in
    _submit(page, "alice", "wrong password")
    until(page, "() => !document.getElementById('error').hidden")
    assert page.text_content("#error") == "wrong username or password"

    _submit(page, "alice", PASSWORD)
    until(page, f"() => location.href === '{base}/'")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["mediashelf_session"]["httpOnly"] is True
    assert cookies["mediashelf_session"]["sameSite"] == "Lax"
    assert page.evaluate("() => document.cookie").count("mediashelf_session") == 0


@pytest.mark.parametrize(
    ("next_param", "lands"),
    [
        ("/watch/1", "/watch/1"),
        ("//evil.example/", "/"),
        ("/%09/evil.example", "/"),  # browsers drop the tab: //evil.example
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/.//evil.example", "/evil.example"),  # a path, once its dot segment is gone
    ],
)
def test_next_stays_on_this_site(page: Any, base: str, next_param: str, lands: str) -> None:
    """Runs after the test above: alice is logged in, so the form only redirects."""
    page.goto(f"{base}/login?next={next_param}")
    until(page, "() => !document.getElementById('form').hidden")
    _submit(page, "alice", PASSWORD)
    until(page, f"() => location.origin === '{base}' && location.pathname !== '/login'")
    assert page.evaluate("() => location.pathname") == lands


def test_the_theme_toggle_is_remembered(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    until(page, "() => !document.getElementById('form').hidden")
    before = page.evaluate("() => document.documentElement.dataset.theme")
    assert before in ("dark", "light")
    page.click(".theme-toggle")
    after = page.evaluate("() => document.documentElement.dataset.theme")
    assert {before, after} == {"dark", "light"}
    page.reload()
    until(page, "() => !document.getElementById('form').hidden")
    assert page.evaluate("() => document.documentElement.dataset.theme") == after
    page.click(".theme-toggle")  # back as it was, for whatever runs next
    assert page.evaluate("() => document.documentElement.dataset.theme") == before


def test_the_login_page_breaks_no_csp_rule(page: Any, base: str, csp_console: list[str]) -> None:
    """The built page loads, styles and runs under the page CSP (script-src and style-src
    'self', no inline anything), in both themes; and the detector does see a violation."""
    for theme in ("dark", "light"):
        page.goto(f"{base}/login")
        page.evaluate(f"() => localStorage.setItem('mediashelf-theme', '{theme}')")
        page.reload()
        until(page, "() => !document.getElementById('form').hidden")
        assert page.evaluate("() => document.documentElement.dataset.theme") == theme
        colour = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert colour not in ("rgba(0, 0, 0, 0)", ""), colour  # the stylesheet applied
        assert violations(page) == []
    page.evaluate("() => localStorage.removeItem('mediashelf-theme')")
    assert csp_console == [], csp_console  # so far, on every page the tests opened
    # The detectors work: an inline style attribute is refused, and reported to both.
    page.evaluate("h => document.body.insertAdjacentHTML('beforeend', h)", INLINE_STYLE)
    until(page, "() => window.__csp.length > 0")
    assert any("style-src" in v for v in violations(page)), violations(page)
    page.wait_for_timeout(200)
    assert csp_console, "the console reported no violation"
    csp_console.clear()

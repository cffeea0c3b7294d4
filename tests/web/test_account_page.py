"""The account page (/account), the header's user menu and the phone's navigation, in a
real browser (Debian's Chromium via Playwright) against a real `mediashelf serve` with
authentication on: a member opens the user menu by keyboard, goes to the account page,
changes the password (a wrong current one answered with the API's reason), logs out and
in again with the new one; an API key is shown once, works against the API, is revoked
and stops working; a viewer is offered only the key scopes the role allows; an API-key
visitor gets no user menu and a page that says there is no account to manage; at 390 px
the links are behind a Menu button. No CSP violation, no layout shift.

The page is the Svelte one (frontend/src/pages/account), built by `make setup`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests import factory
from tests.browser import RECORD, chromium, needs_chromium, until, violations
from tests.serving import mediashelf, scanned_site, served

pytestmark = [needs_chromium, pytest.mark.timeout(300)]

USERS = {"alice": "admin", "bob": "member", "vera": "viewer"}
NEW_PASSWORD = "bob's brand new password"


def _password(name: str) -> str:
    return f"{name}'s long password"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("account")
    factory.jpeg(tmp / "media" / "a.jpg", (320, 240), seed=1)
    env = scanned_site(tmp, AUTH="on", PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    for name, role in USERS.items():
        done = mediashelf(
            env, "user", "add", name, "--role", role, "--password-stdin", stdin=_password(name)
        )
        assert done.returncode == 0, done.stderr
    made = mediashelf(env, "apikey", "create", "-u", "alice", "-n", "visitor", "-s", "admin")
    assert made.returncode == 0, made.stderr
    with served(env, tmp) as base:
        yield {"base": base, "admin_key": made.stdout.strip()}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def errors() -> Iterator[list[str]]:
    """The pages' uncaught errors: none, in every test."""
    found: list[str] = []
    yield found
    assert found == []


def _page(browser: Any, errors: list[str], width: int = 1280, **context: Any) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 844}, **context)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.add_init_script(RECORD)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def _log_in(page: Any, base: str, name: str, password: str) -> None:
    page.goto(f"{base}/login")
    until(page, "() => !document.getElementById('form').hidden")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("#submit")
    until(page, f"() => location.href === '{base}/'")


def _calm(page: Any) -> None:
    """No CSP violation, and nothing moved that the visitor did not move."""
    assert violations(page) == []
    assert page.evaluate("() => window.__shifts.reduce((a, b) => a + b, 0)") < 0.001


def _focused(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement?.textContent?.trim() ?? ''"))


def test_a_member_changes_the_password_through_the_user_menu(
    browser: Any, site: dict[str, str], errors: list[str]
) -> None:
    base = site["base"]
    page = _page(browser, errors)
    _log_in(page, base, "bob", _password("bob"))
    page.wait_for_selector("#account-button")
    button = "#account-button"
    assert page.get_attribute(button, "aria-haspopup") == "menu"
    assert page.get_attribute(button, "aria-expanded") == "false"

    # Keyboard: Enter opens on the first item, arrows go round, Escape gives the focus back.
    page.focus(button)
    page.keyboard.press("Enter")
    page.wait_for_selector("#account-menu[role=menu]")
    assert page.get_attribute(button, "aria-expanded") == "true"
    assert "@bob" in page.text_content("#account-menu")
    assert "member" in page.text_content("#account-menu .role")
    items = page.eval_on_selector_all(
        "#account-menu [role=menuitem]", "l => l.map(e => e.textContent.trim())"
    )
    assert items == ["Account", "Log out"]  # no Dashboard for a member
    assert _focused(page) == "Account"
    page.keyboard.press("ArrowDown")
    assert _focused(page) == "Log out"
    page.keyboard.press("ArrowDown")
    assert _focused(page) == "Account"
    page.keyboard.press("ArrowUp")
    assert _focused(page) == "Log out"
    page.keyboard.press("Escape")
    until(page, "() => document.getElementById('account-menu') === null")
    assert page.evaluate("() => document.activeElement.id") == "account-button"
    assert page.get_attribute(button, "aria-expanded") == "false"

    # A click outside closes it too.
    page.click(button)
    page.wait_for_selector("#account-menu")
    page.mouse.click(640, 600)
    until(page, "() => document.getElementById('account-menu') === null")

    page.focus(button)
    page.keyboard.press("ArrowDown")
    page.wait_for_selector("#account-menu")
    page.keyboard.press("Enter")  # on "Account"
    until(page, "() => location.pathname === '/account'")
    page.wait_for_selector("#password-form")
    assert page.text_content("#profile-username") == "bob"
    assert page.text_content("#profile-role") == "member"
    _calm(page)  # the page came without moving

    # A wrong current password: the API's reason, next to the form.
    page.fill("#current-password", "not my password")
    page.fill("#new-password", NEW_PASSWORD)
    page.fill("#confirm-password", NEW_PASSWORD)
    page.click("#change-password")
    page.wait_for_selector("#password-message[role=alert]")
    assert page.text_content("#password-message") == "the current password is wrong"
    # Too short: the server's rule, as it says it.
    page.fill("#current-password", _password("bob"))
    page.fill("#new-password", "short")
    page.fill("#confirm-password", "short")
    page.click("#change-password")
    until(page, "() => /at least/.test(document.getElementById('password-message').textContent)")
    page.fill("#new-password", NEW_PASSWORD)
    page.fill("#confirm-password", NEW_PASSWORD)
    page.click("#change-password")
    page.wait_for_selector("#password-message[role=status]")
    assert "Password changed" in page.text_content("#password-message")

    # A new display name shows in the header at once.
    page.fill("#display-name", "Bobby")
    page.click("#save-name")
    until(page, "() => document.querySelector('#account .user').textContent === 'Bobby'")

    # Log out from the menu; the old password is refused, the new one opens the library.
    page.click(button)
    page.click("#account-menu .logout")
    until(page, "() => location.pathname === '/login'")
    old = {"username": "bob", "password": _password("bob")}
    assert httpx.post(f"{base}/api/v1/auth/login", json=old).status_code == 401
    _log_in(page, base, "bob", NEW_PASSWORD)
    until(page, "() => document.querySelector('#account .user')?.textContent === 'Bobby'")
    assert violations(page) == []
    page.context.close()


def test_an_api_key_is_shown_once_works_and_is_revoked(
    browser: Any, site: dict[str, str], errors: list[str]
) -> None:
    base = site["base"]
    page = _page(browser, errors)
    _log_in(page, base, "alice", _password("alice"))
    page.goto(f"{base}/account")
    page.wait_for_selector("#key-list")  # her own keys: the one the fixture made
    assert page.text_content("#key-list .key-name strong") == "visitor"
    # The page came without moving (what a new key adds moves the cards below it: asked for).
    _calm(page)
    page.fill("#key-name", "My script")
    page.select_option("#key-scope", "read")
    page.click("#create-key")
    page.wait_for_selector("#key-once")
    secret = page.input_value("#key-secret")
    page.click("#copy-key")
    until(page, "() => document.getElementById('copy-key').textContent.includes('Copied')")
    assert page.evaluate("() => navigator.clipboard.readText()") == secret

    headers = {"x-api-key": secret}
    assert httpx.get(f"{base}/api/v1/items", headers=headers).status_code == 200
    page.reload()
    page.wait_for_selector("#key-list")
    assert page.query_selector("#key-secret") is None  # never shown again
    names = page.eval_on_selector_all(
        "#key-list .key-name strong", "l => l.map(e => e.textContent)"
    )
    assert "My script" in names
    row = page.locator("#key-list .apikey", has_text="My script")
    assert secret.startswith(row.locator(".prefix").text_content().rstrip("…"))

    row.locator(".revoke").click()
    row.locator(".confirm-yes").click()
    until(page, "() => [...document.querySelectorAll('#key-list .apikey[data-state=revoked]')]"
                ".some(li => li.textContent.includes('My script'))")  # fmt: skip
    assert httpx.get(f"{base}/api/v1/items", headers=headers).status_code == 401
    assert violations(page) == []
    page.context.close()


def test_a_viewer_gets_only_what_the_api_allows(
    browser: Any, site: dict[str, str], errors: list[str]
) -> None:
    page = _page(browser, errors)
    _log_in(page, site["base"], "vera", _password("vera"))
    page.goto(f"{site['base']}/account")
    page.wait_for_selector("#new-key")
    scopes = page.eval_on_selector_all("#key-scope option", "l => l.map(o => o.value)")
    assert scopes == ["read"]  # a key never outranks its owner
    assert page.is_visible("#password-form")
    assert page.is_visible(".logout-everywhere")
    _calm(page)
    page.context.close()


def test_an_api_key_visitor_has_no_account_here(
    browser: Any, site: dict[str, str], errors: list[str]
) -> None:
    page = _page(browser, errors, extra_http_headers={"x-api-key": site["admin_key"]})
    page.goto(f"{site['base']}/account")
    page.wait_for_selector("#no-account")
    assert "API key" in page.text_content("#no-account")
    assert page.query_selector("#account") is None  # no user menu: nobody logged in here
    page.wait_for_selector("header nav a[href='/admin']")  # an admin key still administers
    assert violations(page) == []
    page.context.close()


def test_the_phone_navigation_is_a_menu(
    browser: Any, site: dict[str, str], errors: list[str]
) -> None:
    base = site["base"]
    page = _page(browser, errors, width=390)
    _log_in(page, base, "alice", _password("alice"))
    page.goto(f"{base}/tags")
    page.wait_for_selector("#account-button")
    assert not page.is_visible("#main-nav")
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    assert not page.is_visible("#account .user")  # the initial only, on a phone

    menu = "#nav-menu"
    page.click(menu)
    assert page.get_attribute(menu, "aria-expanded") == "true"
    assert page.is_visible("#main-nav")
    links = page.eval_on_selector_all("#main-nav a", "l => l.map(a => a.textContent.trim())")
    assert links == [
        "Library",
        "Photosets",
        "Tags",
        "Performers",
        "Studios",
        "Discover",
        "Dashboard",
    ]
    assert page.get_attribute("#main-nav a[href='/tags']", "aria-current") == "page"
    box = page.locator("#main-nav").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # the sheet fits the screen

    page.keyboard.press("Escape")
    assert not page.is_visible("#main-nav")
    assert page.evaluate("() => document.activeElement.id") == "nav-menu"
    page.click(menu)
    page.mouse.click(195, 820)  # outside, under the sheet
    assert not page.is_visible("#main-nav")
    assert page.get_attribute(menu, "aria-expanded") == "false"
    assert violations(page) == []

    page.click(menu)
    page.click("#main-nav a[href='/']")  # the browse pages' "Library": the gallery
    until(page, "() => location.pathname === '/'")
    page.wait_for_selector("#account-button")
    assert not page.is_visible("#main-nav")
    assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    page.wait_for_selector("#grid .tile")
    _calm(page)  # the header's late arrivals (the user menu, the admin link) moved nothing
    page.click(menu)
    assert page.query_selector("#main-nav a[aria-current]") is None  # no link is the gallery
    page.click("#main-nav a[href='/performers']")
    until(page, "() => location.pathname === '/performers'")
    page.wait_for_selector(menu)
    assert violations(page) == []
    page.context.close()

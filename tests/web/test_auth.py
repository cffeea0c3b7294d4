"""Logging in and out over HTTP: cookies, CSRF, throttling, API keys, auth modes, CORS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from mediashelf.auth import users
from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.library.scan import scan
from mediashelf.web.app import create_app
from mediashelf.web.security import CSRF_COOKIE, SESSION_COOKIE
from tests import factory
from tests.conftest import add_key, make_settings, signed_in
from tests.web.conftest import raw_request

PASSWORD = "correct horse battery"


def _app(tmp_path: Path, media: Path, db_url: str, **extra: Any) -> FastAPI:
    return create_app(make_settings(tmp_path, media, db_url, **extra))


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def _user(app: FastAPI, name: str, role: str = "member") -> None:
    with app.state.sessions() as db:
        users.create(db, name, PASSWORD, role)


def _login(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"username": name, "password": password})


def _set_cookie(resp: Any, name: str) -> str:
    (header,) = [h for h in resp.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    return str(header)


def test_first_run_makes_the_admin_once(anon: TestClient) -> None:
    assert anon.get("/api/v1/auth/setup").json()["needs_admin"] is True
    made = anon.post("/api/v1/auth/setup", json={"username": "Root", "password": PASSWORD})
    assert made.status_code == 201 and made.json()["user"]["role"] == "admin"
    assert anon.get("/api/v1/auth/me").json()["user"]["username"] == "root"  # logged in
    assert anon.get("/api/v1/auth/setup").json()["needs_admin"] is False
    again = anon.post("/api/v1/auth/setup", json={"username": "evil", "password": PASSWORD})
    assert again.status_code == 409 and "exists already" in again.json()["detail"]


def test_login_sets_a_safe_cookie_and_logout_ends_it(app: FastAPI, anon: TestClient) -> None:
    _user(app, "alice")
    assert anon.get("/api/v1/auth/me").status_code == 401
    resp = _login(anon, "alice")
    assert resp.status_code == 200, resp.text
    cookie = _set_cookie(resp, SESSION_COOKIE).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain HTTP (COOKIE_SECURE=auto): a browser would drop it
    assert "httponly" not in _set_cookie(resp, CSRF_COOKIE).lower()  # the page reads it
    assert resp.json()["user"]["username"] == "alice" and "password_hash" not in resp.text
    me = anon.get("/api/v1/auth/me").json()
    assert me["via"] == "session" and me["permissions"] == ["read", "write"]
    assert me["user"]["last_login_at"] is not None

    csrf = anon.cookies[CSRF_COOKIE]
    assert anon.post("/api/v1/auth/logout", headers={"x-csrf-token": csrf}).status_code == 200
    assert anon.get("/api/v1/auth/me").status_code == 401


def test_a_wrong_password_and_an_unknown_user_look_alike(app: FastAPI, anon: TestClient) -> None:
    _user(app, "bob")
    wrong, unknown = _login(anon, "bob", "not the password"), _login(anon, "nobody")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "wrong username or password"}


def test_logout_everywhere_ends_every_session(app: FastAPI) -> None:
    _user(app, "carol")
    with TestClient(app) as phone, TestClient(app) as laptop:
        assert _login(phone, "carol").status_code == _login(laptop, "carol").status_code == 200
        csrf = laptop.cookies[CSRF_COOKIE]
        ended = laptop.post("/api/v1/auth/logout-everywhere", headers={"x-csrf-token": csrf})
        assert ended.json() == {"sessions_ended": 2}
        assert phone.get("/api/v1/auth/me").status_code == 401
        assert laptop.get("/api/v1/auth/me").status_code == 401


def test_cookie_requests_need_the_csrf_token(app: FastAPI, anon: TestClient) -> None:
    _user(app, "admin", "admin")
    assert _login(anon, "admin").status_code == 200
    no_token = anon.post("/api/v1/admin/pause")
    assert no_token.status_code == 403 and "CSRF" in no_token.json()["detail"]
    wrong = anon.post("/api/v1/admin/pause", headers={"x-csrf-token": "0" * 64})
    assert wrong.status_code == 403
    ok = anon.post("/api/v1/admin/pause", headers={"x-csrf-token": anon.cookies[CSRF_COOKIE]})
    assert ok.status_code == 200


def test_a_cross_site_post_with_the_cookie_is_refused(app: FastAPI, anon: TestClient) -> None:
    """What a malicious page's form or fetch sends: the victim's cookie, its own Origin."""
    _user(app, "admin", "admin")
    assert _login(anon, "admin").status_code == 200
    evil = {"origin": "https://evil.example", "x-csrf-token": anon.cookies[CSRF_COOKIE]}
    resp = anon.post("/api/v1/admin/pause", headers=evil)
    assert resp.status_code == 403 and "cross-site" in resp.json()["detail"]
    assert anon.get("/api/v1/admin/queue").json()["paused"] is False
    # A login from another site (login CSRF) is refused too.
    assert _login_from(anon, "https://evil.example").status_code == 403
    same = {"origin": "http://testserver", "x-csrf-token": anon.cookies[CSRF_COOKIE]}
    assert anon.post("/api/v1/admin/pause", headers=same).status_code == 200


def _login_from(client: TestClient, origin: str) -> Any:
    return client.post(
        "/api/v1/auth/login",
        json={"username": "admin", "password": PASSWORD},
        headers={"origin": origin},
    )


def test_failed_logins_are_throttled_per_account(tmp_path: Path, media: Path, db_url: str) -> None:
    app = _app(tmp_path, media, db_url, login_attempts_per_user=3)
    _user(app, "dave")
    with TestClient(app) as client:
        for _ in range(3):
            assert _login(client, "dave", "guess-guess").status_code == 401
        # Now even the right password waits: the guesser cannot tell it was right.
        blocked = _login(client, "dave")
        assert blocked.status_code == 429 and "try again" in blocked.json()["detail"]
        assert 1 <= int(blocked.headers["retry-after"]) <= 901
        assert _login(client, "DAVE ").status_code == 429  # the same account, spelled otherwise
    app.state.engine.dispose()


def test_failed_logins_are_throttled_per_address(tmp_path: Path, media: Path, db_url: str) -> None:
    app = _app(tmp_path, media, db_url, login_attempts_per_ip=4)
    _user(app, "erin")
    with TestClient(app) as client:
        for n in range(4):  # a spray over many accounts
            assert _login(client, f"user{n}", "guess-guess").status_code == 401
        assert _login(client, "erin").status_code == 429
    app.state.engine.dispose()


def test_a_good_login_clears_the_account_count(tmp_path: Path, media: Path, db_url: str) -> None:
    app = _app(tmp_path, media, db_url, login_attempts_per_user=3)
    _user(app, "fay")
    with TestClient(app) as client:
        for _ in range(2):
            assert _login(client, "fay", "typo-typo").status_code == 401
        assert _login(client, "fay").status_code == 200
        for _ in range(2):
            assert _login(client, "fay", "typo-typo").status_code == 401
        assert _login(client, "fay").status_code == 200
    app.state.engine.dispose()


def test_api_keys_from_creation_to_revocation(app: FastAPI, anon: TestClient) -> None:
    _user(app, "gus", "member")
    assert _login(anon, "gus").status_code == 200
    csrf = {"x-csrf-token": anon.cookies[CSRF_COOKIE]}
    made = anon.post("/api/v1/apikeys", json={"name": "laptop", "scope": "write"}, headers=csrf)
    assert made.status_code == 201, made.text
    secret, key_id = made.json()["key"], made.json()["id"]
    listed = anon.get("/api/v1/apikeys").json()["keys"]
    assert [k["id"] for k in listed] == [key_id] and secret not in str(listed)
    too_much = anon.post("/api/v1/apikeys", json={"name": "x", "scope": "admin"}, headers=csrf)
    assert too_much.status_code == 400 and "cannot hold" in too_much.json()["detail"]

    with TestClient(app) as script:
        for header in ({"authorization": f"Bearer {secret}"}, {"x-api-key": secret}):
            assert script.get("/api/v1/items", headers=header).status_code == 200
        script.headers["x-api-key"] = secret
        assert script.post("/api/v1/admin/pause").status_code == 403  # a member's key
        assert anon.delete(f"/api/v1/apikeys/{key_id}", headers=csrf).status_code == 200
        revoked = script.get("/api/v1/items")  # the very next request
        assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]


def test_a_key_in_the_url_is_refused(app: FastAPI, anon: TestClient) -> None:
    key = add_key(app, "admin")
    for query in (f"api_key={key}", f"key={key}", f"folder={key}", "token=abc"):
        resp = anon.get(f"/api/v1/items?{query}", headers={"authorization": f"Bearer {key}"})
        assert resp.status_code == 400 and "header" in resp.json()["detail"], query


def test_pages_send_visitors_to_the_login_page(anon: TestClient) -> None:
    for path, target in (("/", "/login?next=/"), ("/watch/3?t=5", "/login?next=/watch/3%3Ft%3D5")):
        resp = anon.get(path, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == target
    login = anon.get("/login")
    assert login.status_code == 200
    scripts = re.findall(r'src="(/assets/[^"]+\.js)"', login.text)
    assert scripts and all(anon.get(s).status_code == 200 for s in scripts)  # assets are public
    assert anon.get("/api/v1/health").status_code == 200
    api = anon.get("/api/v1/items")
    assert api.status_code == 401 and api.headers["www-authenticate"].startswith("Bearer")
    assert anon.get("/openapi.json").status_code == 401


def test_a_thumbnail_is_not_served_to_strangers(
    tmp_path: Path, media: Path, db_url: str, engine: Engine
) -> None:
    """The thumbnail fast path answers before FastAPI's routing: it checks logins too."""
    from mediashelf.jobs.batch import run_thumbnails

    factory.jpeg(media / "a.jpg", (64, 48))
    settings = make_settings(tmp_path, media, db_url)
    scan(engine, settings)
    assert run_thumbnails(engine, settings).made == 1
    app = create_app(settings)
    key = add_key(app, "viewer")
    with TestClient(app) as client:
        url = client.get("/api/v1/items", headers={"x-api-key": key}).json()["items"][0]
        url = url["thumbnails"]["small"]
        assert client.get(url).status_code == 401
        assert client.get(url, headers={"x-api-key": "msk_" + "0" * 43}).status_code == 401
        ok = client.get(url, headers={"x-api-key": key})
        assert ok.status_code == 200 and ok.headers["content-type"] == "image/webp"
    app.state.engine.dispose()


# -- AUTH=off, trusted networks and proxies -------------------------------------------


def _open_app(tmp_path: Path, media: Path, db_url: str, **extra: Any) -> FastAPI:
    engine = make_engine(db_url)
    upgrade(engine)
    engine.dispose()
    return _app(tmp_path, media, db_url, auth=False, **extra)


def test_auth_off_opens_to_loopback_only(tmp_path: Path, media: Path, db_url: str) -> None:
    app = _open_app(tmp_path, media, db_url)
    me = raw_request(app, b"/api/v1/auth/me", peer="127.0.0.1")
    assert me.status == 200 and me.json()["user"]["username"] == "local"
    assert me.json()["via"] == "open" and "admin" in me.json()["permissions"]
    assert raw_request(app, b"/api/v1/items", peer="::1").status == 200
    assert raw_request(app, b"/api/v1/items", peer="192.168.1.20").status == 401
    app.state.engine.dispose()


def test_auth_off_with_trusted_networks(tmp_path: Path, media: Path, db_url: str) -> None:
    app = _open_app(tmp_path, media, db_url, trusted_networks="192.168.1.0/24")
    assert raw_request(app, b"/api/v1/items", peer="192.168.1.20").status == 200
    assert raw_request(app, b"/api/v1/items", peer="192.168.2.20").status == 401
    app.state.engine.dispose()


def test_forwarded_headers_count_only_from_trusted_proxies(
    tmp_path: Path, media: Path, db_url: str
) -> None:
    xff = {"x-forwarded-for": "127.0.0.1"}
    app = _open_app(tmp_path, media, db_url, trusted_proxies="10.0.0.2")
    # A stranger claiming to be loopback is not believed...
    assert raw_request(app, b"/api/v1/items", headers=xff, peer="192.168.1.20").status == 401
    # ...and the proxy's own address does not make its clients loopback.
    proxied = {"x-forwarded-for": "203.0.113.9"}
    assert raw_request(app, b"/api/v1/items", headers=proxied, peer="10.0.0.2").status == 401
    # The right-most untrusted hop is the client; what it wrote to the left is ignored.
    spoof = {"x-forwarded-for": "127.0.0.1, 203.0.113.9"}
    assert raw_request(app, b"/api/v1/items", headers=spoof, peer="10.0.0.2").status == 401
    app.state.engine.dispose()


def test_the_cookie_is_secure_behind_an_https_proxy(
    tmp_path: Path, media: Path, db_url: str
) -> None:
    app = _app(tmp_path, media, db_url, trusted_proxies="10.0.0.2")
    _user(app, "hal")
    https = {"x-forwarded-proto": "https"}
    body = {"username": "hal", "password": PASSWORD}
    with TestClient(app, client=("10.0.0.2", 5000)) as proxy:
        resp = proxy.post("/api/v1/auth/login", json=body, headers=https)
        assert "secure" in _set_cookie(resp, SESSION_COOKIE).lower()
    with TestClient(app, client=("192.168.1.9", 5000)) as stranger:
        resp = stranger.post("/api/v1/auth/login", json=body, headers=https)
        assert resp.status_code == 200  # its claim of HTTPS is not believed
        assert "secure" not in _set_cookie(resp, SESSION_COOKIE).lower()
    app.state.engine.dispose()
    app = _app(tmp_path, media, db_url, cookie_secure="always")
    with TestClient(app) as client:
        assert "secure" in _set_cookie(_login(client, "hal"), SESSION_COOKIE).lower()
    app.state.engine.dispose()


# -- CORS ---------------------------------------------------------------------------


def _preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/api/v1/items",
        headers={
            "origin": origin,
            "access-control-request-method": "GET",
            "access-control-request-headers": "authorization",
        },
    )


def test_cors_is_off_by_default(anon: TestClient) -> None:
    resp = _preflight(anon, "http://192.168.1.50:8080")
    assert "access-control-allow-origin" not in resp.headers


def test_cors_allows_only_the_configured_origins(tmp_path: Path, media: Path, db_url: str) -> None:
    headset = "http://192.168.1.50:8080"
    app = _app(tmp_path, media, db_url, cors_origins=headset)
    key = add_key(app, "viewer")
    with TestClient(app) as client:
        pre = _preflight(client, headset)
        assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == headset
        assert "access-control-allow-credentials" not in pre.headers  # keys, not cookies
        got = client.get("/api/v1/items", headers={"origin": headset, "x-api-key": key})
        assert got.status_code == 200 and got.headers["access-control-allow-origin"] == headset
        other = _preflight(client, "http://evil.example")
        assert other.headers.get("access-control-allow-origin") != "http://evil.example"
    app.state.engine.dispose()


def test_bad_auth_settings_are_refused(tmp_path: Path, media: Path, db_url: str) -> None:
    from mediashelf.config import SettingsError, load_settings

    for bad in (
        {"trusted_networks": "192.168.1.0/33"},
        {"cors_origins": "*"},
        {"cors_origins": "http://host/path"},
        {"oidc_issuer": "https://id.example"},  # without a client id
        {"oidc_role_map": "family=root"},
    ):
        with pytest.raises(SettingsError):
            load_settings(_env_file=None, **bad)


def _every_page(
    client: TestClient, url: str, field: str, limit: int, **extra: Any
) -> tuple[list[int], list[int]]:
    """Every page's size, and every id in the order listed."""
    pages: list[int] = []
    ids: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit, **extra} | ({"cursor": cursor} if cursor else {})
        resp = client.get(url, params=params)
        assert resp.status_code == 200, resp.text
        pages.append(len(resp.json()[field]))
        ids += [row["id"] for row in resp.json()[field]]
        cursor = resp.json()["next_cursor"]
        if cursor is None:
            return pages, ids


def test_users_and_keys_are_listed_a_page_at_a_time(app: FastAPI) -> None:
    with signed_in(app) as admin:
        for n in range(4):
            _user(app, f"u{n}")
            admin.post("/api/v1/apikeys", json={"name": f"k{n}", "scope": "read"})
        for _ in range(3):
            add_key(app, "viewer")  # someone else's keys: only with all_users
        everyone = admin.get("/api/v1/users", params={"limit": 500}).json()
        assert everyone["next_cursor"] is None and len(everyone["users"]) == 8
        pages, ids = _every_page(admin, "/api/v1/users", "users", 3)
        assert pages == [3, 3, 2]
        assert ids == sorted(u["id"] for u in everyone["users"])  # oldest first

        pages, mine = _every_page(admin, "/api/v1/apikeys", "keys", 2)
        assert pages == [2, 2, 1]  # the key it signs in with, and 4
        assert mine == sorted(mine, reverse=True)  # newest first
        _, every = _every_page(admin, "/api/v1/apikeys", "keys", 4, all_users=True)
        assert len(every) == 8 and set(mine) < set(every)
        for bad in ("0", "-1", "x", str(2**63)):
            resp = admin.get("/api/v1/users", params={"cursor": bad})
            assert resp.status_code == 400 and "cursor" in resp.text
        assert admin.get("/api/v1/apikeys", params={"limit": 501}).status_code == 400


def test_a_page_beyond_your_role_says_so_as_a_page(app: FastAPI, anon: TestClient) -> None:
    _user(app, "mo", "member")
    assert _login(anon, "mo").status_code == 200
    page = anon.get("/admin")
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "not for your account" in page.text and "content-security-policy" in page.headers
    api = anon.get("/api/v1/admin/libraries")  # the API stays JSON
    assert api.status_code == 403 and "admin" in api.json()["detail"]

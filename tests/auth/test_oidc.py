"""Single sign-on end to end: our app (TestClient) against a real OIDC provider on
127.0.0.1 (tests/auth/oidc_provider.py). The browser's redirects are driven by hand:
our login route -> the provider's authorize (real HTTP) -> our callback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey
from sqlalchemy import func, select, update

from mediashelf.auth import oidc, users
from mediashelf.db.models import LoginSession, OidcLogin, User
from mediashelf.library.clock import utcnow
from mediashelf.web.app import create_app
from mediashelf.web.security import SESSION_COOKIE
from tests.auth.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.conftest import make_settings
from tests.serving import free_port

LOGIN = "/api/v1/auth/oidc/login"
CALLBACK = "/api/v1/auth/oidc/callback"
STATE_COOKIE = "mediashelf_oidc_state"

MakeClient = Callable[..., TestClient]


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with Provider().running() as running:
        yield running


@pytest.fixture
def idp(provider: Provider) -> Provider:
    provider.reset()
    oidc.forget()  # each test discovers afresh
    return provider


@pytest.fixture
def make_client(tmp_path: Path, media: Path, db_url: str, idp: Provider) -> Iterator[MakeClient]:
    """TestClients on one app whose OIDC settings point at `idp` (plus `extra`). The
    first admin exists (`root`, no password) unless root=False."""
    with ExitStack() as stack:
        apps: dict[str, Any] = {}

        def make(root: bool = True, **extra: Any) -> TestClient:
            if "app" not in apps:
                values = {"oidc_issuer": idp.issuer, "oidc_client_id": CLIENT_ID,
                          "oidc_client_secret": CLIENT_SECRET, **extra}  # fmt: skip
                apps["app"] = create_app(make_settings(tmp_path, media, db_url, **values))
                stack.callback(apps["app"].state.engine.dispose)
                if root:
                    with apps["app"].state.sessions() as db:
                        users.create(db, "root", None, "admin")
            return stack.enter_context(TestClient(apps["app"], follow_redirects=False))

        yield make


def start(client: TestClient, next_url: str = "/") -> str:
    """Our login route: the provider's authorization URL."""
    response = client.get(LOGIN, params={"next": next_url})
    assert response.status_code == 302, response.text
    return response.headers["location"]


def authorize(url: str) -> str:
    """The provider approves: the callback URL it sends the browser to."""
    response = httpx2.get(url)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def login(client: TestClient, next_url: str = "/") -> httpx2.Response:
    return client.get(authorize(start(client, next_url)))


def error_of(response: httpx2.Response) -> str:
    """The message of a redirect to the login page."""
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/login?error="), location
    assert SESSION_COOKIE not in response.cookies
    return unquote(location.removeprefix("/login?error="))


def me(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 200, response.text
    user: dict[str, Any] = response.json()["user"]
    return user


def db_of(client: TestClient) -> Any:
    return client.app.state.sessions()  # type: ignore[attr-defined]


def count(client: TestClient, model: Any) -> int:
    with db_of(client) as db:
        return int(db.scalar(select(func.count()).select_from(model)))


def oidc_users(client: TestClient) -> int:
    with db_of(client) as db:
        return len(db.scalars(select(User).where(User.oidc_subject.is_not(None))).all())


def test_good_login(make_client: MakeClient, idp: Provider) -> None:
    client = make_client()
    response = login(client, "/albums/3?sort=date")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/albums/3?sort=date"
    assert response.cookies[SESSION_COOKIE]
    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith(f'{STATE_COOKIE}=""') for c in cookies)  # the state cookie is gone
    user = me(client)
    assert (user["username"], user["role"], user["oidc"], user["local_login"]) == (
        "alice", "viewer", True, False,
    )  # fmt: skip
    asked = idp.authorizations[-1]
    assert asked["code_challenge_method"] == "S256" and asked["nonce"] and asked["state"]
    assert asked["redirect_uri"] == "http://testserver" + CALLBACK
    assert set(asked["scope"].split()) == {"openid", "profile", "email"}
    # The same subject is the same user, whatever its name at the provider now.
    idp.login_as("alice-subject", preferred_username="alice.renamed", name="Alice R")
    second = make_client()
    assert login(second).status_code == 303
    assert me(second)["id"] == user["id"] and me(second)["username"] == "alice"
    with db_of(client) as db:
        row = db.get(User, user["id"])
        assert (row.oidc_issuer, row.oidc_subject) == (idp.issuer, "alice-subject")
        assert row.last_login_at is not None


@pytest.mark.parametrize(
    ("given", "kept"),
    [("/", "/"), ("/a/b?c=1#d", "/a/b?c=1#d"), ("//evil.example/x", "/"),
     ("/\\evil.example", "/"), ("https://evil.example/", "/"), ("evil", "/"), ("", "/"),
     ("/\t/evil.example", "/"), (None, "/")],
)  # fmt: skip
def test_next_is_a_local_path(given: str | None, kept: str) -> None:
    assert oidc.safe_next(given) == kept


def test_next_elsewhere_goes_home(make_client: MakeClient) -> None:
    client = make_client()
    assert login(client, "//evil.example/").headers["location"] == "/"


def test_not_configured(tmp_path: Path, media: Path, db_url: str) -> None:
    app = create_app(make_settings(tmp_path, media, db_url))
    with TestClient(app, follow_redirects=False) as client:
        for path in (LOGIN, CALLBACK + "?code=x&state=y"):
            response = client.get(path)
            assert response.status_code == 404
            assert "not configured" in response.json()["detail"]
        assert client.get("/api/v1/auth/setup").json()["oidc"] is None
    app.state.engine.dispose()


def test_public_url_makes_the_redirect_uri(make_client: MakeClient) -> None:
    client = make_client(public_url="https://media.example.com/")
    query = parse_qs(urlsplit(start(client)).query)
    assert query["redirect_uri"] == ["https://media.example.com" + CALLBACK]


def test_wrong_state(make_client: MakeClient) -> None:
    client = make_client()
    callback = authorize(start(client))
    state = parse_qs(urlsplit(callback).query)["state"][0]
    message = error_of(client.get(callback.replace(state, "not-" + state[4:])))
    assert "log in again" in message
    assert count(client, LoginSession) == 0


@pytest.mark.parametrize("tamper", ["nonce", "aud", "iss", "exp", "key"])
def test_tampered_id_token_is_refused(make_client: MakeClient, idp: Provider, tamper: str) -> None:
    client = make_client()
    options: dict[str, dict[str, Any]] = {
        "nonce": {"nonce": "another-nonce"},
        "aud": {"aud": "another-client"},
        "iss": {"iss": "http://127.0.0.1:1"},
        "exp": {"exp": 1_000_000_000},
        "key": {"sign_with": RSAKey.generate_key(2048, auto_kid=True)},
    }
    idp.tamper_next(**options[tamper])
    fetches = idp.jwks_fetches
    assert "could not be verified" in error_of(login(client))
    assert oidc_users(client) == 0 and count(client, LoginSession) == 0
    if tamper == "key":  # an unknown key: the JWKS was fetched once more, no more
        assert idp.jwks_fetches == fetches + 2


def test_replayed_callback_does_not_log_in(make_client: MakeClient, idp: Provider) -> None:
    client = make_client()
    callback = authorize(start(client))
    state = parse_qs(urlsplit(callback).query)["state"][0]
    assert client.get(callback).status_code == 303
    sessions_before = count(client, LoginSession)
    # The same URL again, from the same browser (its state cookie put back).
    client.cookies.set(STATE_COOKIE, state, path="/api/v1/auth/oidc")
    assert "already used" in error_of(client.get(callback))
    # The code with a fresh login's state: the provider refuses a used code.
    fresh = parse_qs(urlsplit(authorize(start(client))).query)["state"][0]
    requests = idp.token_requests
    assert "did not accept" in error_of(client.get(callback.replace(state, fresh)))
    assert idp.token_requests == requests + 1
    assert count(client, LoginSession) == sessions_before


def test_code_of_another_login_fails_pkce(make_client: MakeClient, idp: Provider) -> None:
    """A stolen, unused code in someone else's login: its PKCE verifier does not match."""
    victim, attacker = make_client(), make_client()
    stolen = parse_qs(urlsplit(authorize(start(victim))).query)["code"][0]
    own = authorize(start(attacker))
    code = parse_qs(urlsplit(own).query)["code"][0]
    assert "did not accept" in error_of(attacker.get(own.replace(code, stolen)))
    assert count(attacker, LoginSession) == 0


def test_callback_is_bound_to_the_browser(make_client: MakeClient) -> None:
    starter, other = make_client(), make_client()
    callback = authorize(start(starter))
    assert "another browser" in error_of(other.get(callback))
    assert other.get("/api/v1/auth/me").status_code == 401
    assert "already used" in error_of(starter.get(callback))  # the link is spent
    assert count(starter, LoginSession) == 0


def test_expired_login(make_client: MakeClient) -> None:
    client = make_client()
    callback = authorize(start(client))
    with db_of(client) as db:
        db.execute(update(OidcLogin).values(created_at=utcnow() - timedelta(minutes=11)))
        db.commit()
    assert "expired" in error_of(client.get(callback))


def test_provider_refusal(make_client: MakeClient, idp: Provider) -> None:
    client = make_client()
    idp.deny_next()
    assert "the user said no" in error_of(login(client))
    assert oidc_users(client) == 0


def test_no_silent_linking_by_name_or_email(make_client: MakeClient, idp: Provider) -> None:
    client = make_client()
    with db_of(client) as db:
        local = users.create(db, "alice", "a long enough passphrase 42", "admin").id
        users.create(db, "alice-2", None, "viewer")
    idp.login_as("other-subject", preferred_username="Alice", email="alice@example.com")
    assert login(client).status_code == 303
    user = me(client)
    assert user["id"] != local and user["username"] == "alice-3"
    assert (user["role"], user["oidc"]) == ("viewer", True)
    with db_of(client) as db:
        assert db.get(User, local).oidc_subject is None


def test_username_from_email_or_subject(make_client: MakeClient, idp: Provider) -> None:
    idp.login_as("s-1", email="Bob.Smith+x@example.com")
    client = make_client()
    assert login(client).status_code == 303
    assert me(client)["username"] == "bob.smith-x"
    idp.login_as("Ünïcode Subject")
    client = make_client()
    assert login(client).status_code == 303
    assert me(client)["username"] == "n-code-subject"


def test_roles_from_a_claim(make_client: MakeClient, idp: Provider) -> None:
    make_client(oidc_role_claim="groups", oidc_role_map={"ms-admins": "admin", "family": "member"})
    steps: list[tuple[dict[str, Any], str]] = [
        ({"groups": ["family", "ms-admins", "other"]}, "admin"),  # the highest wins
        ({"groups": ["viewer"]}, "viewer"),  # a role name maps to itself
        ({"groups": "family"}, "member"),  # a string claim
        ({}, "viewer"),  # no match: the default role
        ({"userinfo": {"groups": ["ms-admins"]}}, "admin"),  # from userinfo only
    ]
    for claims, role in steps:
        idp.login_as("carol-subject", preferred_username="carol", **claims)
        browser = make_client()
        assert login(browser).status_code == 303, claims
        assert me(browser)["role"] == role, claims


def test_default_role_none_refuses(make_client: MakeClient, idp: Provider) -> None:
    client = make_client(
        oidc_role_claim="groups", oidc_role_map={"family": "member"}, oidc_default_role="none"
    )
    idp.login_as("dave-subject", preferred_username="dave", groups=["strangers"])
    assert "no access" in error_of(login(client))
    assert oidc_users(client) == 0
    idp.login_as("dave-subject", preferred_username="dave", groups=["family"])
    assert login(client).status_code == 303
    assert me(client)["role"] == "member"
    # Taken out of the group: refused at the next login.
    idp.login_as("dave-subject", preferred_username="dave", groups=[])
    assert "no access" in error_of(login(make_client()))


def test_default_role_none_without_claim(make_client: MakeClient) -> None:
    client = make_client(oidc_default_role="none")
    assert "no access" in error_of(login(client))
    assert oidc_users(client) == 0


def test_disabled_user_is_refused(make_client: MakeClient) -> None:
    client = make_client()
    assert login(client).status_code == 303
    with db_of(client) as db:
        user = db.scalar(select(User).where(User.username == "alice"))
        users.update(db, user, disabled=True)
    assert "disabled" in error_of(login(make_client()))
    assert client.get("/api/v1/auth/me").status_code == 401  # its session ended too


def test_key_rotation_refetches_the_jwks_once(make_client: MakeClient, idp: Provider) -> None:
    assert login(make_client()).status_code == 303
    fetches = idp.jwks_fetches
    assert login(make_client()).status_code == 303
    assert idp.jwks_fetches == fetches  # cached
    idp.rotate_key()
    assert login(make_client()).status_code == 303
    assert idp.jwks_fetches == fetches + 1


def test_provider_unreachable(tmp_path: Path, media: Path, db_url: str) -> None:
    settings = make_settings(
        tmp_path, media, db_url, oidc_issuer=f"http://127.0.0.1:{free_port()}",
        oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET,
    )  # fmt: skip
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        assert "could not be reached" in error_of(client.get(LOGIN))
    app.state.engine.dispose()


def test_provider_down_before_the_callback(tmp_path: Path, media: Path, db_url: str) -> None:
    oidc.forget()
    provider = Provider(port=free_port())
    settings = make_settings(
        tmp_path, media, db_url, oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
    )  # fmt: skip
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        with provider.running():
            callback = authorize(start(client))
        assert "could not be reached" in error_of(client.get(callback))
    app.state.engine.dispose()


def test_provider_refuses_plain_pkce(idp: Provider) -> None:
    """The test provider itself insists on S256."""
    base = {"client_id": CLIENT_ID, "redirect_uri": idp.redirect_uris[0], "scope": "openid",
            "response_type": "code", "state": "s", "nonce": "n"}  # fmt: skip
    for extra in ({}, {"code_challenge": "abc", "code_challenge_method": "plain"}):
        response = httpx2.get(f"{idp.issuer}/authorize", params={**base, **extra})
        assert response.status_code == 400 and "S256" in response.text


def test_first_admin_comes_first(make_client: MakeClient, idp: Provider) -> None:
    """While no user exists, single sign-on makes no viewer (the first-run page would go)."""
    client = make_client(root=False, oidc_role_claim="groups")
    assert "first admin" in error_of(login(client))
    assert count(client, User) == 0
    idp.login_as("erin-subject", preferred_username="erin", groups=["admin"])
    assert login(client).status_code == 303
    assert me(client)["role"] == "admin"
    # Out of the admin group, but the last admin: the role stays (users.update refuses).
    idp.login_as("erin-subject", preferred_username="erin", groups=[])
    browser = make_client()
    assert login(browser).status_code == 303
    assert me(browser)["role"] == "admin"

"""Hardening: query allowlists, mass assignment, API keys kept out of URLs and logs.

- Every sort and filter value outside its allowlist is a 400 with a JSON body, on
  every list endpoint (found in the route table, not listed by hand), SQL-ish values
  included; parameters a route does not declare are ignored, never used.
- Request bodies take only their own fields: `role`, `user_id`, `password_hash`, …
  are refused (422), and the database shows nothing changed.
- An API key in a query string is refused (400), even next to a valid header,
  on the API and on the thumbnail fast path alike.
- No API key reaches a log line: in process (every logger at DEBUG), and from a
  real `mediashelf serve` (uvicorn's access log on in --dev) whose output we read.
"""

from __future__ import annotations

import enum
import json
import logging
import os
import re
import subprocess
import types
import typing
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from mediashelf.auth.apikeys import PATTERN as KEY_PATTERN
from mediashelf.config import Settings
from mediashelf.db.models import ApiKey, Item, LoginSession, SettingValue, User
from mediashelf.jobs.kinds import scan_now
from mediashelf.jobs.runner import run_job
from mediashelf.web.app import create_app
from tests import factory
from tests.conftest import add_key, make_settings
from tests.serving import mediashelf, served
from tests.web.conftest import raw_request, scanned_library

PASSWORD = "correct horse battery staple"


def _files(media: Path) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(media / "sub" / "b.jpg", seed=2)
    factory.png(media / "c.png")


@dataclass
class Site:
    app: FastAPI
    admin: TestClient  # an admin API key (scope admin)
    settings: Settings
    thumbnail: str  # the path of a thumbnail that exists (the ASGI fast path serves it)

    def db(self) -> Any:
        return self.app.state.sessions()


@pytest.fixture(scope="module")
def site(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("hardening")
    with scanned_library(tmp, module_db_url, _files) as (client, settings):
        app = typing.cast(FastAPI, client.app)
        jobs = app.state.jobs
        assert scan_now(jobs, [])
        while (task := jobs.huey.dequeue()) is not None:  # the thumbnails
            run_job(jobs, task.args[0])
        item = client.get("/api/v1/items", params={"sort": "name"}).json()["items"][0]
        thumbnail = item["thumbnails"]["small"].split("?")[0]
        assert client.get(thumbnail).status_code == 200
        yield Site(app, client, settings, thumbnail)


def _json_error(resp: Any, status: int = 400) -> Any:
    """The response is `status` with a JSON body that has a `detail`."""
    code = resp.status_code if hasattr(resp, "status_code") else resp.status
    text = resp.text if hasattr(resp, "text") else resp.body.decode("latin-1")
    assert code == status, (code, text[:300])
    assert resp.headers["content-type"] == "application/json", resp.headers
    body = resp.json()
    assert "detail" in body, body
    return body


# -- sort and filter allowlists -----------------------------------------------------

SQLISH = [
    "name;DROP TABLE items",
    "password_hash",
    "-id",
    "id",
    "image' OR '1'='1",
    "date desc",
    "date;--",
    "1=1",
    "items.name",
    "(SELECT 1)",
    "-date,password_hash",
    "NAME",
    "date\x00",
    " date",
    "",
]


def _base_types(annotation: Any) -> list[Any]:
    """The types behind `X | None`, `list[X]`, `Annotated[...]`."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        return [t for arg in typing.get_args(annotation) for t in _base_types(arg)]
    return [] if annotation is type(None) else [annotation]


def _query_params(route: APIRoute) -> list[Any]:
    """A route's query parameters, its dependencies' included (the item filters)."""
    found: list[Any] = []
    todo = [route.dependant]
    while todo:
        dependant = todo.pop()
        found += dependant.query_params
        todo += dependant.dependencies
    return found


def _get_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    out = []
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute) and "GET" in (ctx.methods or set()):
            out.append((ctx.path or "", route))
    return out


def _bad_values(annotation: Any) -> list[str]:
    """Values a query parameter of this type must refuse with 400."""
    kinds = _base_types(annotation)
    values: list[str] = []
    for kind in kinds:
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            allowed = {str(m.value) for m in kind}
            values += [v for v in SQLISH if v not in allowed]
        elif kind is bool:
            values += ["maybe", "1;DROP TABLE items", "true' OR '1'='1", "2"]
        elif kind is int:
            values += ["x", "1;DROP TABLE items", "1 OR 1=1", "9" * 25, "-9" * 13, "1.5"]
    return values


def _query_cases(app: FastAPI) -> list[tuple[str, str, str]]:
    """(path, parameter, bad value) for every typed query parameter of every GET route
    without a path parameter."""
    cases = []
    for path, route in _get_routes(app):
        if "{" in path:
            continue
        for field in _query_params(route):
            for value in _bad_values(field.field_info.annotation):
                cases.append((path, field.alias or field.name, value))
    return cases


def test_every_typed_query_parameter_refuses_what_is_not_allowed(site: Site) -> None:
    cases = _query_cases(site.app)
    seen = {(path, name) for path, name, _ in cases}
    # The ones the issue names must be among those found in the route table.
    assert {
        ("/api/v1/items", "sort"),
        ("/api/v1/items", "kind"),
        ("/api/v1/items", "root"),
        ("/api/v1/items", "limit"),
        ("/api/v1/items", "recursive"),
        ("/api/v1/admin/jobs", "status"),
        ("/api/v1/admin/jobs", "kind"),
        ("/api/v1/admin/jobs", "cursor"),
        ("/api/v1/apikeys", "all_users"),
        ("/api/v1/events", "since"),
    } <= seen, sorted(seen)
    failures = []
    for path, name, value in cases:
        resp = site.admin.get(path, params={name: value})
        ok = resp.status_code == 400 and resp.headers["content-type"] == "application/json"
        if not ok or "detail" not in resp.json():
            failures.append(f"{path}?{name}={value!r}: {resp.status_code} {resp.text[:100]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/items", "sort=name;DROP TABLE items"),
        ("/api/v1/items", "sort=password_hash"),
        ("/api/v1/items", "sort=-id"),
        ("/api/v1/items", "kind=image' OR '1'='1"),
        ("/api/v1/items", "kind=image&kind=video' --"),
        ("/api/v1/items", "sort=date&sort=password_hash"),  # the last one counts
        ("/api/v1/items", "limit=0"),
        ("/api/v1/items", "limit=501"),
        ("/api/v1/items", "root=0"),
        ("/api/v1/items/count", "kind=image' OR '1'='1"),
        ("/api/v1/admin/jobs", "status=running;DELETE FROM jobs"),
        ("/api/v1/admin/jobs", "status=queued&status=x' OR '1'='1"),
        ("/api/v1/admin/jobs", "kind=scan' OR 1=1--"),
        ("/api/v1/admin/jobs", "item_id=1 OR 1=1"),
        ("/api/v1/admin/jobs", "cursor=-1"),
        ("/api/v1/apikeys", "all_users=1;DROP TABLE api_keys"),
        ("/api/v1/events", "since=1 OR 1=1"),
    ],
)
def test_sql_ish_sort_and_filter_values_are_400(site: Site, path: str, query: str) -> None:
    resp = raw_request(site.admin, path.encode(), quote(query, safe="=&").encode())
    body = _json_error(resp)
    assert isinstance(body["detail"], list) and body["detail"][0]["loc"][0] == "query"
    with site.db() as db:  # the tables are all still there, and whole
        assert db.scalar(select(func.count()).select_from(Item)) == 3
        assert db.scalar(select(func.count()).select_from(User)) >= 1


@pytest.mark.parametrize(
    "cursor",
    [
        "' OR '1'='1",
        "eyJhIjoxfQ",  # {"a":1}
        "WyItZGF0ZSIsICIxOTcwLTAxLTAxJyBPUiAnMSc9JzEiLCAxXQ",  # a date that is SQL
        "WyJuYW1lIiwgIngiLCAxXQ",  # made for sort=name
        "WyItZGF0ZSIsICIyMDI0LTAxLTAxVDAwOjAwOjAwIiwgOTk5OTk5OTk5OTk5OTk5OTk5OTk5XQ",  # id
        "WyItZGF0ZSIsIHsiJGd0IjogMX0sIDFd",  # ["-date", {"$gt": 1}, 1]
        "W1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW1tbW10",  # deep nesting
        "%00",
        "=" * 10,
    ],
)
def test_forged_cursors_are_400(site: Site, cursor: str) -> None:
    resp = site.admin.get("/api/v1/items", params={"cursor": cursor})
    body = _json_error(resp)
    assert body["detail"].startswith("invalid cursor")


def test_a_cursor_value_is_data_not_sql(site: Site) -> None:
    """A well-formed cursor for sort=name whose value is SQL: compared, never run."""
    import base64

    raw = json.dumps(["name", "' OR '1'='1", 0]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    resp = site.admin.get("/api/v1/items", params={"sort": "name", "cursor": cursor})
    assert resp.status_code == 200, resp.text
    names = [i["name"] for i in resp.json()["items"]]
    every = [i["name"] for i in site.admin.get("/api/v1/items?sort=name").json()["items"]]
    assert every == ["a.jpg", "b.jpg", "c.png"]
    # Where a quote sorts depends on the database's collation; either way the cursor
    # only cuts the list's start.
    assert names == every[len(every) - len(names) :]


@pytest.mark.parametrize(
    ("folder", "recursive"),
    [
        ("' OR '1'='1", False),
        ("' OR '1'='1", True),
        ("%", True),  # a LIKE wildcard: taken as a name
        ("_", True),
        ("su%", True),
        ("s_b", False),
        ("sub' --", False),
    ],
)
def test_folder_filters_are_names_not_patterns(site: Site, folder: str, recursive: bool) -> None:
    resp = site.admin.get("/api/v1/items", params={"folder": folder, "recursive": recursive})
    assert resp.status_code in (200, 404), resp.text
    assert resp.headers["content-type"] == "application/json"
    if resp.status_code == 200:
        assert resp.json()["items"] == []


def _list_endpoints(site: Site) -> dict[str, Any]:
    """GET routes without path parameters whose answer holds a list: path -> baseline."""
    found = {}
    for path, route in _get_routes(site.app):
        if "{" in path or getattr(route.response_class, "__name__", "") == "StreamingResponse":
            continue
        resp = site.admin.get(path)
        if resp.status_code != 200 or "json" not in resp.headers["content-type"]:
            continue
        body = resp.json()
        if isinstance(body, dict) and any(isinstance(v, list) for v in body.values()):
            found[path] = body
    return found


UNDECLARED = {
    "sort": "password_hash",
    "order": "password_hash desc",
    "order_by": "name;DROP TABLE users",
    "kind": "image' OR '1'='1",
    "status": "x' OR '1'='1",
    "role": "admin",
    "user_id": "1 OR 1=1",
    "filter": "password_hash IS NOT NULL",
    "where": "1=1",
    "fields": "password_hash,key_hash",
}


RANDOM = {"/api/v1/random", "/api/v1/random/spotlight"}


def test_list_endpoints_ignore_what_they_do_not_declare(site: Site) -> None:
    """Every list endpoint: a sort or filter it does not take changes nothing (it is
    never put into a query), and no secret column appears."""
    site.admin.get("/api/v1/apikeys")  # its last_used_at settles before the baseline
    lists = _list_endpoints(site)
    assert {"/api/v1/items", "/api/v1/admin/jobs", "/api/v1/users", "/api/v1/apikeys"} <= set(
        lists
    ), sorted(lists)
    failures = []
    for path in lists:
        route = next(r for p, r in _get_routes(site.app) if p == path)
        declared = {f.alias or f.name for f in _query_params(route)}
        extra = {k: v for k, v in UNDECLARED.items() if k not in declared}
        resp = site.admin.get(path, params=extra)
        if path in RANDOM:  # a new draw each time: nothing to compare with
            if resp.status_code != 200:
                failures.append(f"{path} with {sorted(extra)}: {resp.status_code}")
            continue
        baseline = site.admin.get(path).json()
        if resp.status_code != 200 or resp.json() != baseline:
            failures.append(f"{path} with {sorted(extra)}: {resp.status_code} {resp.text[:200]}")
        if re.search(r"password_hash|key_hash|\$argon2", resp.text):
            failures.append(f"{path}: a secret column in {resp.text[:200]}")
    assert not failures, "\n".join(failures)


# -- mass assignment --------------------------------------------------------------


def _new_user(site: Site, role: str = "member", display_name: str = "") -> dict[str, Any]:
    name = f"{role}-{uuid.uuid4().hex[:8]}"
    body = {"username": name, "password": PASSWORD, "role": role, "display_name": display_name}
    resp = site.admin.post("/api/v1/users", json=body)
    assert resp.status_code == 201, resp.text
    user: dict[str, Any] = resp.json()
    return user


@contextmanager
def _logged_in(site: Site, username: str) -> Iterator[TestClient]:
    """A browser-like client with a session cookie and the CSRF header."""
    client = TestClient(site.app)
    resp = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    client.headers["x-csrf-token"] = resp.json()["csrf_token"]
    try:
        yield client
    finally:
        client.close()


def _user_row(site: Site, user_id: int) -> dict[str, Any]:
    with site.db() as db:
        user = db.get(User, user_id)
        assert user is not None
        return {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role,
            "disabled": user.disabled,
            "password_hash": user.password_hash,
        }


def _admin_id(site: Site) -> int:
    return int(site.admin.get("/api/v1/auth/me").json()["user"]["id"])


SMUGGLED = {
    "role": "admin",
    "owner_id": 1,
    "user_id": 1,
    "id": 1,
    "is_admin": True,
    "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    "disabled": True,
    "username": "root",
    "scope": "admin",
    "perms": ["admin"],
    "__class__": "User",
}


@pytest.mark.parametrize("field", sorted(SMUGGLED))
def test_profile_changes_take_nothing_but_the_display_name(site: Site, field: str) -> None:
    user = _new_user(site, "member", "before")
    before = _user_row(site, user["id"])
    with _logged_in(site, user["username"]) as member:
        body = {"display_name": "after", field: SMUGGLED[field]}
        if field == "id":
            body[field] = _admin_id(site)
        _json_error(member.patch("/api/v1/auth/me", json=body), 422)
        assert _user_row(site, user["id"]) == before  # all or nothing
        # The route itself works: the same request without the extra field.
        ok = member.patch("/api/v1/auth/me", json={"display_name": "after"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["role"] == "member"
    assert _user_row(site, user["id"]) == {**before, "display_name": "after"}


@pytest.mark.parametrize("field", ["user_id", "owner_id", "id", "role", "key", "key_hash"])
def test_a_new_api_key_belongs_to_whoever_asks(site: Site, field: str) -> None:
    user = _new_user(site, "member")
    admin_id = _admin_id(site)
    with site.db() as db:
        admin_keys = db.scalar(select(func.count()).where(ApiKey.user_id == admin_id))
    with _logged_in(site, user["username"]) as member:
        value: Any = {
            "user_id": admin_id,
            "owner_id": admin_id,
            "id": 1,
            "role": "admin",
            "key": "msk_" + "a" * 43,
            "key_hash": "0" * 64,
        }[field]
        body = {"name": "mine", "scope": "write", field: value}
        _json_error(member.post("/api/v1/apikeys", json=body), 422)
        # A scope above the role is refused too (400: the body is valid, the wish is not).
        _json_error(member.post("/api/v1/apikeys", json={"name": "x", "scope": "admin"}), 400)
        made = member.post("/api/v1/apikeys", json={"name": "mine", "scope": "write"})
        assert made.status_code == 201, made.text
        assert made.json()["user_id"] == user["id"]
    with site.db() as db:
        assert db.scalar(select(func.count()).where(ApiKey.user_id == admin_id)) == admin_keys
        keys = db.scalars(select(ApiKey).where(ApiKey.user_id == user["id"])).all()
        assert [(k.name, k.scope) for k in keys] == [("mine", "write")]
    assert _user_row(site, user["id"])["role"] == "member"


@pytest.mark.parametrize(
    "changes",
    [
        {"role": "admin"},
        {"auth": False},
        {"trusted_networks": ["0.0.0.0/0"]},
        {"cors_origins": ["*"]},
        {"media_dir": ["/"]},
        {"cache_dir": "/"},
        {"database_url": "sqlite:////tmp/x.db"},
        {"password_hash": "x"},
        {"user_id": 1},
        {"accel_redirect_prefix": "/etc"},
        {"thumbnail_quality": 70, "auth": False},  # all or nothing
        {"thumbnail_quality": 70, "__class__": "x"},
    ],
    ids=lambda c: ",".join(c),
)
def test_settings_take_only_tunables(site: Site, changes: dict[str, Any]) -> None:
    before = site.admin.get("/api/v1/admin/settings").json()
    with site.db() as db:
        rows = db.execute(select(SettingValue.key, SettingValue.value)).all()
    _json_error(site.admin.patch("/api/v1/admin/settings", json=changes), 422)
    assert site.admin.get("/api/v1/admin/settings").json() == before
    with site.db() as db:
        assert db.execute(select(SettingValue.key, SettingValue.value)).all() == rows
    live = site.app.state.live.get()
    assert live.auth is True and live.trusted_networks == [] and live.cors_origins == []
    assert live.thumbnail_quality == site.settings.thumbnail_quality
    anonymous = TestClient(site.app)
    assert anonymous.get("/api/v1/items").status_code == 401  # still locked


def test_the_settings_route_itself_works(site: Site) -> None:
    """The refusals above are about the fields: a tunable change goes through."""
    resp = site.admin.patch("/api/v1/admin/settings", json={"thumbnail_quality": 71})
    assert resp.status_code == 200, resp.text
    try:
        assert site.app.state.live.get().thumbnail_quality == 71
    finally:
        reset = site.admin.patch("/api/v1/admin/settings", json={"thumbnail_quality": None})
        assert reset.status_code == 200


@pytest.mark.parametrize("field", ["role", "is_admin", "id", "password_hash", "disabled"])
def test_first_run_setup_takes_only_a_name_and_password(
    tmp_path: Path, db_url: str, field: str
) -> None:
    media = tmp_path / "media"
    media.mkdir()
    app = create_app(make_settings(tmp_path, media, db_url))
    try:
        with TestClient(app) as client:
            body = {"username": "first", "password": PASSWORD, field: SMUGGLED[field]}
            _json_error(client.post("/api/v1/auth/setup", json=body), 422)
            with app.state.sessions() as db:
                assert db.scalar(select(func.count()).select_from(User)) == 0
            assert client.get("/api/v1/auth/setup").json()["needs_admin"] is True
            first = {"username": "first", "password": PASSWORD}
            made = client.post("/api/v1/auth/setup", json=first)
            assert made.status_code == 201, made.text
            assert made.json()["user"]["role"] == "admin"
            # Once someone exists, setup is closed, extra fields or not.
            again = {"username": "second", "password": PASSWORD}
            assert client.post("/api/v1/auth/setup", json=again).status_code == 409
            smuggled = {**again, field: SMUGGLED[field]}
            assert client.post("/api/v1/auth/setup", json=smuggled).status_code == 422
            with app.state.sessions() as db:
                assert db.scalars(select(User.username)).all() == ["first"]
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize("field", ["role", "is_admin", "user_id", "id", "scope", "remember"])
def test_login_takes_only_a_name_and_password(site: Site, field: str) -> None:
    user = _new_user(site, "viewer")
    with site.db() as db:
        sessions_before = db.scalar(select(func.count()).select_from(LoginSession))
    client = TestClient(site.app)
    body = {"username": user["username"], "password": PASSWORD, field: SMUGGLED.get(field, 1)}
    resp = client.post("/api/v1/auth/login", json=body)
    _json_error(resp, 422)
    assert "set-cookie" not in resp.headers
    with site.db() as db:
        assert db.scalar(select(func.count()).select_from(LoginSession)) == sessions_before
    good = {"username": user["username"], "password": PASSWORD}
    ok = client.post("/api/v1/auth/login", json=good)
    assert ok.status_code == 200 and ok.json()["user"]["role"] == "viewer"


@pytest.mark.parametrize("field", ["id", "password_hash", "is_admin", "owner_id", "disabled"])
def test_new_users_take_only_their_fields(site: Site, field: str) -> None:
    name = f"new-{uuid.uuid4().hex[:8]}"
    value = 999_999 if field in ("id", "owner_id") else SMUGGLED[field]
    body = {"username": name, "password": PASSWORD, "role": "viewer", field: value}
    _json_error(site.admin.post("/api/v1/users", json=body), 422)
    with site.db() as db:
        assert db.scalar(select(User).where(User.username == name)) is None
        assert db.get(User, 999_999) is None


@pytest.mark.parametrize("field", ["id", "password_hash", "username", "is_admin"])
def test_user_changes_take_only_their_fields(site: Site, field: str) -> None:
    user = _new_user(site, "viewer")
    before = _user_row(site, user["id"])
    value = 999_999 if field == "id" else SMUGGLED[field]
    resp = site.admin.patch(f"/api/v1/users/{user['id']}", json={"role": "member", field: value})
    _json_error(resp, 422)
    assert _user_row(site, user["id"]) == before


# -- hostile strings in bodies -------------------------------------------------------

HOSTILE = [
    pytest.param("a\x00b", id="nul"),
    pytest.param("\x00", id="nul-alone"),
    pytest.param("' OR '1'='1", id="sql"),
    pytest.param("../../../etc/passwd", id="traversal"),
    pytest.param("\u202egnp.exe", id="right-to-left-override"),
    pytest.param("x" * 5000, id="long"),
]

# (method, path, body for a string s, who sends it)
BODY_ROUTES: list[tuple[str, str, Callable[[str], dict[str, Any]], str]] = [
    ("POST", "/api/v1/auth/login", lambda s: {"username": s, "password": s}, "anonymous"),
    ("POST", "/api/v1/auth/login", lambda s: {"username": "admin", "password": s}, "anonymous"),
    ("POST", "/api/v1/auth/setup", lambda s: {"username": s, "password": s}, "anonymous"),
    ("PATCH", "/api/v1/auth/me", lambda s: {"display_name": s}, "admin"),
    ("POST", "/api/v1/apikeys", lambda s: {"name": s, "scope": "read"}, "admin"),
    ("POST", "/api/v1/users", lambda s: {"username": s, "password": PASSWORD}, "admin"),
    (
        "POST",
        "/api/v1/users",
        lambda s: {"username": f"u{uuid.uuid4().hex[:8]}", "password": s, "display_name": s},
        "admin",
    ),
    ("PATCH", "/api/v1/admin/settings", lambda s: {"job_limits": s}, "admin"),
    ("PATCH", "/api/v1/admin/settings", lambda s: {s: 1}, "admin"),
    ("POST", "/api/v1/admin/rescan", lambda s: {"path": s}, "admin"),
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_in_bodies_never_give_a_500(site: Site, text: str) -> None:
    """NUL bytes, SQL, traversal, huge values: refused or stored as data, never a 500.
    (PostgreSQL refuses NUL in text, so what reaches a query unchecked fails there.)"""
    failures = []
    anonymous = TestClient(site.app, raise_server_exceptions=False)
    admin = TestClient(site.app, raise_server_exceptions=False)
    admin.headers.update(site.admin.headers)
    for method, path, body, who in BODY_ROUTES:
        client = anonymous if who == "anonymous" else admin
        resp = client.request(method, path, json=body(text))
        if resp.status_code >= 500 or resp.headers.get("content-type") != "application/json":
            failures.append(f"{method} {path} {str(body(text))[:60]}: {resp.status_code}")
    assert not failures, "\n".join(failures)


# -- API keys never in a URL --------------------------------------------------------


def _key_queries(key: str) -> list[Any]:
    """Query strings that carry an API key (or look like they mean to)."""
    encoded = quote(key, safe="").replace("_", "%5F")
    return [
        pytest.param(f"api_key={key}", id="api_key"),
        pytest.param(f"key={key}", id="key"),
        pytest.param(f"token={key}", id="token"),
        pytest.param(f"access_token={key}", id="access_token"),
        pytest.param(f"apikey={key}", id="apikey"),
        pytest.param(f"x-api-key={key}", id="x-api-key"),
        pytest.param(f"API_KEY={key}", id="upper-case-name"),
        pytest.param(f"Token={key}", id="capitalised-name"),
        pytest.param(f"v=1&api_key={key}", id="second-parameter"),
        pytest.param(f"q={key}", id="msk-under-any-name"),
        pytest.param(f"v={key}", id="msk-as-variant"),
        pytest.param(f"next=/x?{key}", id="msk-inside-a-value"),
        pytest.param(f"token={encoded}", id="percent-encoded-key"),
        pytest.param(f"%61pi_key={key}", id="percent-encoded-name"),
        pytest.param("api_key=not-even-a-key", id="api_key-any-value"),
        pytest.param("token=not-even-a-key", id="token-any-value"),
        pytest.param("access_token=abc", id="access_token-any-value"),
        pytest.param("KEY=x", id="upper-case-key-any-value"),
    ]


_SAMPLE_KEY = "msk_" + "Q" * 43  # replaced by a real, valid key in the tests


@pytest.mark.parametrize("query", _key_queries(_SAMPLE_KEY))
@pytest.mark.parametrize("where", ["api", "thumbnail", "media", "page", "health"])
@pytest.mark.parametrize("with_header", [True, False], ids=["and-header", "url-only"])
def test_api_keys_in_urls_are_refused(
    site: Site, query: str, where: str, with_header: bool
) -> None:
    key = add_key(site.app, "viewer")  # a valid key: the refusal is about where it is
    query = query.replace(_SAMPLE_KEY, key).replace(
        quote(_SAMPLE_KEY, safe="").replace("_", "%5F"),
        quote(key, safe="").replace("_", "%5F"),
    )
    path = {
        "api": "/api/v1/items",
        "thumbnail": site.thumbnail,
        "media": "/media/a.jpg",
        "page": "/",
        "health": "/api/v1/health",
    }[where]
    headers = {"authorization": f"Bearer {key}"} if with_header else {}
    for method in ("GET", "HEAD") if where in ("thumbnail", "media") else ("GET",):
        resp = raw_request(site.app, path.encode(), query.encode(), method, headers)
        assert resp.status == 400, (method, path, query, resp.status)
        if method == "GET":
            assert resp.headers["content-type"] == "application/json"
            assert key.encode() not in resp.body  # not echoed back either
            assert b"header" in resp.body
    # And the same request with the key where it belongs works.
    assert raw_request(site.app, path.encode(), b"", "GET", headers).status in (
        (200,) if with_header or where == "health" else (401, 303)
    )


# -- no key in the logs -------------------------------------------------------------


def _leaks(lines: list[str], secrets: list[str]) -> list[str]:
    """Lines holding a key: as sent, or percent-encoded (as a request line keeps it)."""
    return [
        line
        for line in lines
        for text in {line, unquote(line)}
        if any(secret in text for secret in secrets) or KEY_PATTERN.search(text)
    ]


def _encoded(key: str) -> str:
    """A key as a client might percent-encode it in a URL."""
    return "%6D" + key[1:].replace("_", "%5F")


def test_no_api_key_reaches_the_logs_in_process(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """A realistic flow with every logger at DEBUG (SQL and its parameters included)."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
    try:
        secrets = _key_flow(site)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.NOTSET)
    # httpx logs each request URL the *test client* sends ("HTTP Request: GET …?api_key=");
    # that is our client's log, not the server's.
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert len(records) > 20, "nothing was logged: is logging captured at all?"
    lines = []
    for record in records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        lines.append(repr({k: v for k, v in vars(record).items() if k not in ("msg", "args")}))
    leaks = _leaks(lines, secrets)
    assert not leaks, "API keys in the logs:\n" + "\n".join(line[:300] for line in leaks[:10])


def _key_flow(site: Site) -> list[str]:
    """Create keys, use them, put one in a URL, revoke one: the secrets used."""
    user = _new_user(site, "member")
    secrets = []
    with _logged_in(site, user["username"]) as member:
        made = member.post("/api/v1/apikeys", json={"name": "script", "scope": "write"})
        assert made.status_code == 201
        key, key_id = made.json()["key"], made.json()["id"]
        other = member.post("/api/v1/apikeys", json={"name": "phone", "scope": "read"}).json()
        secrets += [key, other["key"]]
    bearer = {"authorization": f"Bearer {key}"}
    plain = TestClient(site.app)
    for path in ("/api/v1/items", "/api/v1/auth/me", site.thumbnail, "/media/a.jpg", "/"):
        assert plain.get(path, headers=bearer).status_code == 200, path
    assert plain.get("/api/v1/items", headers={"x-api-key": other["key"]}).status_code == 200
    item = plain.get("/api/v1/items", headers=bearer).json()["items"][0]
    assert plain.get(item["original"], headers=bearer).status_code == 200
    assert plain.get(f"/api/v1/items?api_key={key}").status_code == 400
    assert plain.get(f"{site.thumbnail}?token={other['key']}", headers=bearer).status_code == 400
    assert plain.get(f"/api/v1/items?token={_encoded(key)}", headers=bearer).status_code == 400
    assert plain.delete(f"/api/v1/apikeys/{key_id}", headers=bearer).status_code in (401, 403)
    assert site.admin.delete(f"/api/v1/apikeys/{key_id}").status_code == 200  # revoked
    assert plain.get("/api/v1/items", headers=bearer).status_code == 401
    unknown = "msk_" + uuid.uuid4().hex + uuid.uuid4().hex[:11]
    secrets.append(unknown)
    assert plain.get("/api/v1/items", headers={"x-api-key": unknown}).status_code == 401
    return secrets


# The real server: its own logging set-up, uvicorn's access log in --dev.


def _env(tmp: Path) -> dict[str, str]:
    media = tmp / "media"
    _files(media)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEDIA_DIR": str(media),
        "DATA_DIR": str(tmp / "data"),
        "CACHE_DIR": str(tmp / "cache"),
        "DATABASE_URL": f"sqlite:///{tmp / 'data' / 'mediashelf.db'}",
        "MANIFEST_FILE": str(tmp / "manifest.json"),
        "THUMBNAILS_FILE": str(tmp / "thumbnails.json"),
        "WATCH": "false",
        "AUTH": "true",
        "LOG_LEVEL": "debug",
        "WEB_WORKERS": "1",
        "WORKERS": "1",
    }


def _cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    done = mediashelf(env, *args, stdin=stdin)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.parametrize("dev", [True, False], ids=["dev", "production"])
def test_no_api_key_reaches_a_real_servers_output(tmp_path: Path, dev: bool) -> None:
    env = _env(tmp_path)
    cli_err = []
    made = _cli(env, "user", "add", "admin", "--admin", "--password-stdin", stdin=PASSWORD + "\n")
    cli_err.append(made.stderr)
    created = _cli(env, "apikey", "create", "-u", "admin", "-n", "cli", "-s", "admin")
    cli_err.append(created.stderr)
    admin_key = created.stdout.strip()
    assert KEY_PATTERN.fullmatch(admin_key), created.stdout
    cli_err.append(_cli(env, "scan").stderr)
    cli_err.append(_cli(env, "thumbs", "-i").stderr)

    log = tmp_path / "serve.log"
    secrets = [admin_key]
    with (
        served(env, tmp_path, dev=dev, log=log) as base,
        httpx.Client(base_url=base, timeout=30) as http,
    ):
        admin = {"authorization": f"Bearer {admin_key}"}
        items = http.get("/api/v1/items", headers=admin)
        assert items.status_code == 200, items.text
        item = items.json()["items"][0]
        made_key = http.post("/api/v1/apikeys", headers=admin, json={"name": "s", "scope": "read"})
        assert made_key.status_code == 201, made_key.text
        key, key_id = made_key.json()["key"], made_key.json()["id"]
        secrets.append(key)
        reader = {"x-api-key": key}
        thumb = item["thumbnails"]["small"]
        for url in ("/api/v1/items", item["original"], thumb, f"/media/{item['path']}", "/"):
            assert http.get(url, headers=reader).status_code == 200, url
        # Refused in a URL (the case a log would keep), with and without a header.
        assert http.get(f"/api/v1/items?api_key={key}").status_code == 400
        assert http.get(f"/api/v1/items?token={key}", headers=reader).status_code == 400
        assert http.get(f"{thumb}&key={key}", headers=reader).status_code == 400
        assert http.get(f"/?access_token={admin_key}").status_code == 400
        assert http.get(f"/api/v1/items?token={_encoded(key)}", headers=reader).status_code == 400
        assert http.get(f"/api/v1/items?q={_encoded(admin_key)}").status_code == 400
        # Revoked, then used; an unknown key; a login with a password.
        assert http.delete(f"/api/v1/apikeys/{key_id}", headers=admin).status_code == 200
        assert http.get("/api/v1/items", headers=reader).status_code == 401
        unknown = "msk_" + uuid.uuid4().hex + uuid.uuid4().hex[:11]
        secrets.append(unknown)
        assert http.get("/api/v1/items", headers={"x-api-key": unknown}).status_code == 401
        login = http.post("/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
        assert login.status_code == 200
    cli_err.append(_cli(env, "apikey", "revoke", "1").stderr)

    output = log.read_text(errors="replace").splitlines()
    assert output, "the server wrote nothing: is its output captured at all?"
    assert any("/api/v1/items" in line or "GET" in line for line in output) or not dev, (
        "no access log lines: is the dev server's access log on?\n" + "\n".join(output[-20:])
    )
    leaks = _leaks(output + "\n".join(cli_err).splitlines(), secrets)
    assert not leaks, "API keys in the server's output:\n" + "\n".join(leaks[:10])

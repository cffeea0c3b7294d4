"""The authorization matrix: every route of the app, for every kind of caller.

The table below is the design, written down independently of the code: each
route's access level, and a request that should succeed for whoever may
send it. The tests check that

- the table and the app's route table hold exactly the same routes (a new
  route fails here until someone places it);
- each route declares the level the table gives it;
- each route answers each caller as designed: 401 (or the login page) to
  anonymous callers, 403 to callers without the permission, and the expected
  success to the others. Thumbnail, stream and original-file URLs included.

Requests go to a real server (uvicorn in a thread), so that endless streams
(events, video) can be opened and closed after their status line.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from mediashelf.auth import apikeys, sessions, users
from mediashelf.db.models import Crop, Item, Job, Photoset, PhotosetItem, User
from mediashelf.library import names
from mediashelf.library.clock import utcnow
from mediashelf.web.app import create_app
from mediashelf.web.security import CSRF_HEADER, SESSION_COOKIE, route_access
from tests.serving import live_server
from tests.web.conftest import built_asset, prepared_library

PASSWORD = "matrix password"

# What each kind of caller may use, by access level (the design; see auth/access.py).
MAY: dict[str, set[str]] = {
    "anonymous": {"public"},
    "viewer": {"public", "user", "account", "read"},
    "member": {"public", "user", "account", "read", "write"},
    "admin": {"public", "user", "account", "read", "write", "admin", "worker"},
    "key:read": {"public", "user", "read"},
    "key:write": {"public", "user", "read", "write"},
    "key:admin": {"public", "user", "account", "read", "write", "admin"},
    "key:worker": {"public", "user", "worker"},
}
CALLERS = list(MAY)


@dataclass
class Ctx:
    """Real ids and names from the library, for requests that succeed."""

    image: dict[str, Any]
    video: dict[str, Any]
    victim: int
    job: int
    new_key: Callable[[], int]
    photoset: int
    new_photoset: Callable[[], int]
    new_named: Callable[[str], int]  # tags | performers | studios: a new one's id


@dataclass
class Case:
    level: str
    url: Callable[[Ctx], str]
    ok: set[int] = field(default_factory=lambda: {200})
    body: Callable[[Ctx], Any] | None = None
    page: bool = False


def fixed(url: str) -> Callable[[Ctx], str]:
    return lambda _ctx: url


def _sprite(ctx: Ctx) -> str:
    return str(ctx.video["previews"]["sprites"])  # the .vtt; its sheets sit beside it


def _strip(ctx: Ctx) -> str:
    return str(ctx.video["previews"]["strip"])


def named(kind: str, suffix: str = "") -> Callable[[Ctx], str]:
    """The URL of a new tag, performer or studio (made for each request)."""
    return lambda c: f"/api/v1/{kind}/{c.new_named(kind)}{suffix}"


IMG = "/api/v1/items/{ctx.image[id]}"
VID = "/api/v1/items/{ctx.video[id]}"
PS = "/api/v1/photosets/{ctx.photoset}"

MATRIX: dict[tuple[str, str], Case] = {
    # public
    ("GET", "/api/v1/health"): Case("public", fixed("/api/v1/health")),
    ("GET", "/login"): Case("public", fixed("/login")),
    ("GET", "/assets/{name}"): Case("public", lambda _c: f"/assets/{built_asset()}"),
    ("GET", "/api/v1/auth/setup"): Case("public", fixed("/api/v1/auth/setup")),
    ("POST", "/api/v1/auth/setup"): Case(
        "public", fixed("/api/v1/auth/setup"), {409},
        body=lambda _c: {"username": "late", "password": PASSWORD},
    ),
    ("POST", "/api/v1/auth/login"): Case(
        "public", fixed("/api/v1/auth/login"),
        body=lambda _c: {"username": "member", "password": PASSWORD},
    ),
    ("POST", "/api/v1/auth/logout"): Case("public", fixed("/api/v1/auth/logout")),
    # OIDC is not configured here: the routes exist and say so.
    ("GET", "/api/v1/auth/oidc/login"): Case("public", fixed("/api/v1/auth/oidc/login"), {404}),
    ("GET", "/api/v1/auth/oidc/callback"): Case(
        "public", fixed("/api/v1/auth/oidc/callback"), {404}
    ),
    # anyone logged in
    ("GET", "/api/v1/auth/me"): Case("user", fixed("/api/v1/auth/me")),
    # one's own account: a session, or an admin key
    ("POST", "/api/v1/auth/logout-everywhere"): Case(
        "account", fixed("/api/v1/auth/logout-everywhere")
    ),
    ("PATCH", "/api/v1/auth/me"): Case(
        "account", fixed("/api/v1/auth/me"), body=lambda _c: {"display_name": "Someone"}
    ),
    ("PUT", "/api/v1/auth/password"): Case(
        "account", fixed("/api/v1/auth/password"), {200, 403},  # 403: a key's user has none
        body=lambda _c: {"current_password": PASSWORD, "new_password": PASSWORD},
    ),
    ("GET", "/api/v1/apikeys"): Case("account", fixed("/api/v1/apikeys")),
    ("POST", "/api/v1/apikeys"): Case(
        "account", fixed("/api/v1/apikeys"), {201}, body=lambda _c: {"name": "m", "scope": "read"}
    ),
    ("DELETE", "/api/v1/apikeys/{key_id}"): Case(
        "account", lambda c: f"/api/v1/apikeys/{c.new_key()}", {200, 404}  # 404: not yours
    ),
    # read: browsing and playing
    ("GET", "/"): Case("read", fixed("/"), page=True),
    ("GET", "/admin"): Case("admin", fixed("/admin"), page=True),
    ("GET", "/account"): Case("account", fixed("/account"), page=True),
    ("GET", "/tags"): Case("read", fixed("/tags"), page=True),
    ("GET", "/performers"): Case("read", fixed("/performers"), page=True),
    ("GET", "/studios"): Case("read", fixed("/studios"), page=True),
    ("GET", "/discover"): Case("read", fixed("/discover"), page=True),
    ("GET", "/photosets"): Case("read", fixed("/photosets"), page=True),
    ("GET", "/photosets/{photoset_id}"): Case(
        "read", lambda c: f"/photosets/{c.photoset}", page=True
    ),
    ("GET", "/watch/{item_id}"): Case("read", lambda c: f"/watch/{c.video['id']}", page=True),
    ("GET", "/docs"): Case("read", fixed("/docs"), page=True),
    ("GET", "/openapi.json"): Case("read", fixed("/openapi.json")),
    ("GET", "/api/v1/items"): Case("read", fixed("/api/v1/items")),
    ("GET", "/api/v1/items/count"): Case("read", fixed("/api/v1/items/count")),
    ("GET", "/api/v1/folders"): Case("read", fixed("/api/v1/folders")),
    ("GET", "/api/v1/items/{item_id}"): Case("read", lambda c: IMG.format(ctx=c)),
    ("GET", "/api/v1/items/{item_id}/exif"): Case("read", lambda c: IMG.format(ctx=c) + "/exif"),
    ("GET", "/api/v1/items/{item_id}/related"): Case(
        "read", lambda c: IMG.format(ctx=c) + "/related"
    ),
    ("PATCH", "/api/v1/items/{item_id}"): Case(
        "write", lambda c: IMG.format(ctx=c), body=lambda _c: {"title": "A title"}
    ),
    ("GET", "/api/v1/items/{item_id}/original"): Case(
        "read", lambda c: IMG.format(ctx=c) + "/original"
    ),
    ("HEAD", "/api/v1/items/{item_id}/original"): Case(
        "read", lambda c: IMG.format(ctx=c) + "/original"
    ),
    ("GET", "/api/v1/items/{item_id}/thumbnail/{size}"): Case(
        "read", lambda c: IMG.format(ctx=c) + "/thumbnail/small", {307}
    ),
    ("GET", "/api/v1/items/{item_id}/stream"): Case(
        "read", lambda c: VID.format(ctx=c) + "/stream"
    ),
    ("HEAD", "/api/v1/items/{item_id}/stream"): Case(
        "read", lambda c: VID.format(ctx=c) + "/stream"
    ),
    ("GET", "/api/v1/items/{item_id}/hls/index.m3u8"): Case(
        "read", lambda c: VID.format(ctx=c) + "/hls/index.m3u8"
    ),
    ("GET", "/api/v1/items/{item_id}/hls/{n}.ts"): Case(
        "read", lambda c: VID.format(ctx=c) + "/hls/0.ts"
    ),
    ("HEAD", "/api/v1/items/{item_id}/hls/{n}.ts"): Case(
        "read", lambda c: VID.format(ctx=c) + "/hls/0.ts"
    ),
    ("GET", "/api/v1/thumbnails/{fingerprint}/{size}"): Case(
        "read", lambda c: c.image["thumbnails"]["small"]
    ),
    ("HEAD", "/api/v1/thumbnails/{fingerprint}/{size}"): Case(
        "read", lambda c: c.image["thumbnails"]["small"]
    ),
    ("GET", "/api/v1/previews/{fingerprint}/sprites/{name}"): Case("read", _sprite),
    ("HEAD", "/api/v1/previews/{fingerprint}/sprites/{name}"): Case("read", _sprite),
    ("GET", "/api/v1/previews/{fingerprint}/strip.jpg"): Case("read", _strip),
    ("HEAD", "/api/v1/previews/{fingerprint}/strip.jpg"): Case("read", _strip),
    ("GET", "/api/v1/previews/{fingerprint}/teaser-{size}.mp4"): Case(
        "read", lambda c: c.video["previews"]["teaser_small"]
    ),
    ("HEAD", "/api/v1/previews/{fingerprint}/teaser-{size}.mp4"): Case(
        "read", lambda c: c.video["previews"]["teaser_small"]
    ),
    ("GET", "/api/v1/events"): Case("read", fixed("/api/v1/events")),
    ("GET", "/media/{path:path}"): Case("read", fixed("/media/a.jpg")),
    ("HEAD", "/media/{path:path}"): Case("read", fixed("/media/a.jpg")),
    ("GET", "/video/{content_hash}"): Case(
        "read", lambda c: f"/video/{c.video['fingerprint']}", {307}
    ),
    ("GET", "/api/media/{what}/{content_hash}"): Case(
        "read", lambda c: f"/api/media/get-poster/{c.video['fingerprint']}", {307}
    ),
    # each user's own data on items: reading and recording views is browsing, the rest
    # (rating, favorites, captions) is editing
    ("GET", "/api/v1/items/{item_id}/rating"): Case(
        "read", lambda c: IMG.format(ctx=c) + "/rating"
    ),
    ("PUT", "/api/v1/items/{item_id}/rating"): Case(
        "write", lambda c: IMG.format(ctx=c) + "/rating", body=lambda _c: {"value": 60}
    ),
    ("DELETE", "/api/v1/items/{item_id}/rating"): Case(
        "write", lambda c: IMG.format(ctx=c) + "/rating"
    ),
    ("POST", "/api/v1/items/{item_id}/views"): Case(
        "read", lambda c: VID.format(ctx=c) + "/views", body=lambda _c: {"position": 1.5}
    ),
    ("PUT", "/api/v1/items/{item_id}/favorite"): Case(
        "write", lambda c: IMG.format(ctx=c) + "/favorite"
    ),
    ("DELETE", "/api/v1/items/{item_id}/favorite"): Case(
        "write", lambda c: IMG.format(ctx=c) + "/favorite"
    ),
    ("GET", "/api/v1/favorites"): Case("read", fixed("/api/v1/favorites")),
    ("POST", "/api/v1/favorites/add"): Case(
        "write", fixed("/api/v1/favorites/add"), body=lambda c: {"items": [c.image["id"]]}
    ),
    ("POST", "/api/v1/favorites/remove"): Case(
        "write", fixed("/api/v1/favorites/remove"), body=lambda c: {"items": [c.image["id"]]}
    ),
    ("POST", "/api/v1/ratings/set"): Case(
        "write",
        fixed("/api/v1/ratings/set"),
        body=lambda c: {"items": [c.image["id"]], "value": 80},
    ),
    ("GET", "/api/v1/items/{item_id}/caption"): Case(
        "read", lambda c: IMG.format(ctx=c) + "/caption"
    ),
    ("POST", "/api/v1/items/{item_id}/caption"): Case(
        "write", lambda c: IMG.format(ctx=c) + "/caption", {201}, body=lambda _c: {"text": "x"}
    ),
    ("GET", "/api/ratings/{media_hash}"): Case(
        "read", lambda c: f"/api/ratings/{c.image['fingerprint']}"
    ),
    ("POST", "/api/ratings/{media_hash}"): Case(
        "write", lambda c: f"/api/ratings/{c.image['fingerprint']}", body=lambda _c: {"rating": 3}
    ),
    ("POST", "/api/add-favourite/{media_hash}"): Case(
        "write", lambda c: f"/api/add-favourite/{c.video['fingerprint']}"
    ),
    ("POST", "/api/remove-favourite/{media_hash}"): Case(
        "write", lambda c: f"/api/remove-favourite/{c.video['fingerprint']}"
    ),
    ("GET", "/api/is-favourite/{media_hash}"): Case(
        "read", lambda c: f"/api/is-favourite/{c.video['fingerprint']}"
    ),
    ("GET", "/api/v1/items/{item_id}/crop"): Case("read", lambda c: IMG.format(ctx=c) + "/crop"),
    ("POST", "/api/v1/items/{item_id}/crop"): Case(
        "write",
        lambda c: IMG.format(ctx=c) + "/crop",
        body=lambda _c: {"name": "m", "x": 0, "y": 0, "width": 0.5, "height": 0.5},
    ),
    ("DELETE", "/api/v1/items/{item_id}/crop"): Case(
        "write", lambda c: IMG.format(ctx=c) + "/crop?name=m", {200, 404}  # 404: gone already
    ),
    ("GET", "/api/v1/items/{item_id}/cropped"): Case(
        "read", lambda c: IMG.format(ctx=c) + "/cropped?name=kept&size=small"
    ),
    ("GET", "/api/v1/random"): Case("read", fixed("/api/v1/random")),
    ("GET", "/api/v1/random/seeded/{seed}"): Case("read", fixed("/api/v1/random/seeded/3")),
    ("GET", "/api/v1/random/spotlight"): Case("read", fixed("/api/v1/random/spotlight")),
    ("GET", "/api/get-random-video"): Case("read", fixed("/api/get-random-video")),
    ("GET", "/api/get-random-video-seeded/{seed}"): Case(
        "read", fixed("/api/get-random-video-seeded/3")
    ),
    ("GET", "/api/get-random-spotlight-video"): Case(
        "read", fixed("/api/get-random-spotlight-video")
    ),
    ("GET", "/api/get-video-data/{media_hash}"): Case(
        "read", lambda c: f"/api/get-video-data/{c.video['fingerprint']}"
    ),
    # photosets: browsing is read, organizing is write
    ("GET", "/api/v1/photosets"): Case("read", fixed("/api/v1/photosets")),
    ("POST", "/api/v1/photosets"): Case(
        "write", fixed("/api/v1/photosets"), {201},
        body=lambda c: {"name": "m", "items": [c.image["id"], c.video["id"]]},
    ),
    ("POST", "/api/v1/photosets/from-folders"): Case(
        "write", fixed("/api/v1/photosets/from-folders"), {404},  # every file is at the top
        body=lambda _c: {"folders": [""], "recursive": True},
    ),
    ("GET", "/api/v1/photosets/{photoset_id}"): Case("read", lambda c: PS.format(ctx=c)),
    ("PATCH", "/api/v1/photosets/{photoset_id}"): Case(
        "write", lambda c: PS.format(ctx=c), body=lambda _c: {"description": "edited"}
    ),
    ("DELETE", "/api/v1/photosets/{photoset_id}"): Case(
        "write", lambda c: f"/api/v1/photosets/{c.new_photoset()}"
    ),
    ("GET", "/api/v1/photosets/{photoset_id}/items"): Case(
        "read", lambda c: PS.format(ctx=c) + "/items"
    ),
    ("PUT", "/api/v1/photosets/{photoset_id}/items"): Case(
        "write", lambda c: PS.format(ctx=c) + "/items",
        body=lambda c: {"items": [c.image["id"], c.video["id"]]},
    ),
    ("POST", "/api/v1/photosets/{photoset_id}/items/add"): Case(
        "write", lambda c: PS.format(ctx=c) + "/items/add",
        body=lambda c: {"items": [c.video["id"]], "position": 0},
    ),
    ("POST", "/api/v1/photosets/{photoset_id}/items/move"): Case(  # refused: not a member
        "write", lambda c: PS.format(ctx=c) + "/items/move", {200, 404},
        body=lambda c: {"items": [c.image["id"]]},
    ),
    ("POST", "/api/v1/photosets/{photoset_id}/items/remove"): Case(
        "write", lambda c: PS.format(ctx=c) + "/items/remove",
        body=lambda c: {"items": [c.video["id"]]},
    ),
    # tags, performers, studios: browsing is read; making, changing, linking, merging and
    # deleting them is write (members tag)
    ("GET", "/api/v1/tags"): Case("read", fixed("/api/v1/tags")),
    ("POST", "/api/v1/tags"): Case(
        "write", fixed("/api/v1/tags"), {201},
        body=lambda _c: {"name": f"t-{uuid.uuid4().hex}"},
    ),
    ("GET", "/api/v1/tags/{tag_id}"): Case("read", named("tags")),
    ("PATCH", "/api/v1/tags/{tag_id}"): Case(
        "write", named("tags"), body=lambda _c: {"category": "place"}
    ),
    ("DELETE", "/api/v1/tags/{tag_id}"): Case("write", named("tags")),
    ("POST", "/api/v1/tags/{tag_id}/merge"): Case(
        "write", named("tags", "/merge"), body=lambda c: {"from": [c.new_named("tags")]}
    ),
    ("POST", "/api/v1/tags/attach"): Case(
        "write", fixed("/api/v1/tags/attach"),
        body=lambda c: {
            "tags": ["matrix"], "items": [c.image["id"]], "photosets": [c.photoset]
        },
    ),
    ("POST", "/api/v1/tags/detach"): Case(
        "write", fixed("/api/v1/tags/detach"),
        body=lambda c: {"tags": [c.new_named("tags")], "items": [c.image["id"]]},
    ),
    ("GET", "/api/v1/performers"): Case("read", fixed("/api/v1/performers")),
    ("POST", "/api/v1/performers"): Case(
        "write", fixed("/api/v1/performers"), {201},
        body=lambda _c: {"name": f"p-{uuid.uuid4().hex}"},
    ),
    ("GET", "/api/v1/performers/{performer_id}"): Case("read", named("performers")),
    ("PATCH", "/api/v1/performers/{performer_id}"): Case(
        "write", named("performers"), body=lambda c: {"image_item_id": c.image["id"]}
    ),
    ("DELETE", "/api/v1/performers/{performer_id}"): Case("write", named("performers")),
    ("POST", "/api/v1/performers/{performer_id}/merge"): Case(
        "write", named("performers", "/merge"), body=lambda c: {"from": [c.new_named("performers")]}
    ),
    ("POST", "/api/v1/performers/attach"): Case(
        "write", fixed("/api/v1/performers/attach"),
        body=lambda c: {
            "performers": ["matrix"], "items": [c.image["id"]], "photosets": [c.photoset]
        },
    ),
    ("POST", "/api/v1/performers/detach"): Case(
        "write", fixed("/api/v1/performers/detach"),
        body=lambda c: {"performers": [c.new_named("performers")], "items": [c.image["id"]]},
    ),
    ("GET", "/api/v1/studios"): Case("read", fixed("/api/v1/studios")),
    ("POST", "/api/v1/studios"): Case(
        "write", fixed("/api/v1/studios"), {201},
        body=lambda _c: {"name": f"s-{uuid.uuid4().hex}"},
    ),
    ("GET", "/api/v1/studios/{studio_id}"): Case("read", named("studios")),
    ("PATCH", "/api/v1/studios/{studio_id}"): Case(
        "write", named("studios"), body=lambda c: {"parent_id": c.new_named("studios")}
    ),
    ("DELETE", "/api/v1/studios/{studio_id}"): Case("write", named("studios")),
    ("POST", "/api/v1/studios/{studio_id}/merge"): Case(
        "write", named("studios", "/merge"), body=lambda c: {"from": [c.new_named("studios")]}
    ),
    ("POST", "/api/v1/studios/attach"): Case(
        "write", fixed("/api/v1/studios/attach"),
        body=lambda c: {
            "studios": ["matrix"], "items": [c.image["id"]], "photosets": [c.photoset]
        },
    ),
    ("POST", "/api/v1/studios/detach"): Case(
        "write", fixed("/api/v1/studios/detach"),
        body=lambda c: {"studios": [c.new_named("studios")], "items": [c.image["id"]]},
    ),
    ("GET", "/api/get-performers"): Case("read", fixed("/api/get-performers")),
    ("GET", "/api/get-studios"): Case("read", fixed("/api/get-studios")),
    # admin: libraries, jobs, settings, users
    ("POST", "/api/v1/admin/rescan"): Case("admin", fixed("/api/v1/admin/rescan"), {202, 409}),
    ("POST", "/api/v1/admin/generate"): Case(
        "admin", fixed("/api/v1/admin/generate"), {202},
        body=lambda c: {"kinds": ["thumbnail"], "item_ids": [c.image["id"]], "force": True},
    ),
    ("GET", "/api/v1/admin/jobs"): Case("admin", fixed("/api/v1/admin/jobs")),
    ("GET", "/api/v1/admin/jobs/{job_id}"): Case("admin", lambda c: f"/api/v1/admin/jobs/{c.job}"),
    ("POST", "/api/v1/admin/jobs/retry-failed"): Case(
        "admin", fixed("/api/v1/admin/jobs/retry-failed")
    ),
    ("POST", "/api/v1/admin/jobs/{job_id}/cancel"): Case(
        "admin", lambda c: f"/api/v1/admin/jobs/{c.job}/cancel", {409}  # it is done
    ),
    ("POST", "/api/v1/admin/jobs/{job_id}/retry"): Case(
        "admin", lambda c: f"/api/v1/admin/jobs/{c.job}/retry", {409}  # it is done
    ),
    ("GET", "/api/v1/admin/queue"): Case("admin", fixed("/api/v1/admin/queue")),
    ("POST", "/api/v1/admin/pause"): Case("admin", fixed("/api/v1/admin/pause")),
    ("POST", "/api/v1/admin/resume"): Case("admin", fixed("/api/v1/admin/resume")),
    ("GET", "/api/v1/admin/libraries"): Case("admin", fixed("/api/v1/admin/libraries")),
    ("POST", "/api/v1/admin/libraries"): Case(  # a refused folder: nothing changes
        "admin", fixed("/api/v1/admin/libraries"), {400}, body=lambda _c: {"path": "/etc"}
    ),
    ("DELETE", "/api/v1/admin/libraries"): Case(
        "admin", fixed("/api/v1/admin/libraries?path=/no/such/root"), {404}
    ),
    ("GET", "/api/v1/admin/settings"): Case("admin", fixed("/api/v1/admin/settings")),
    ("PATCH", "/api/v1/admin/settings"): Case(
        "admin", fixed("/api/v1/admin/settings"), body=lambda _c: {"thumbnail_quality": 80}
    ),
    ("GET", "/api/v1/admin/content-filters"): Case("admin", fixed("/api/v1/admin/content-filters")),
    ("PUT", "/api/v1/admin/content-filters"): Case(
        "admin", fixed("/api/v1/admin/content-filters"), body=lambda _c: {}
    ),
    ("GET", "/api/v1/users"): Case("admin", fixed("/api/v1/users")),
    ("POST", "/api/v1/users"): Case(
        "admin", fixed("/api/v1/users"), {201},
        body=lambda _c: {"username": f"new-{uuid.uuid4().hex[:8]}", "password": PASSWORD},
    ),
    ("GET", "/api/v1/users/{user_id}"): Case("admin", lambda c: f"/api/v1/users/{c.victim}"),
    ("PATCH", "/api/v1/users/{user_id}"): Case(
        "admin", lambda c: f"/api/v1/users/{c.victim}", body=lambda _c: {"display_name": "V"}
    ),
    ("POST", "/api/v1/users/{user_id}/logout"): Case(
        "admin", lambda c: f"/api/v1/users/{c.victim}/logout"
    ),
}  # fmt: skip


def app_routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    return {
        (method, ctx.path): ctx.original_route
        for ctx in iter_route_contexts(app.routes)
        for method in ctx.methods or ()
    }


@dataclass
class World:
    url: str
    app: FastAPI
    ctx: Ctx
    keys: dict[str, str]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    app = create_app(prepared_library(tmp_path_factory.mktemp("matrix")))
    with app.state.sessions() as db:
        owners = {role: users.create(db, role, PASSWORD, role) for role in ("viewer", "member")}
        owners["admin"] = users.create(db, "admin", PASSWORD, "admin")
        keyholder = users.create(db, "keyholder", None, "admin")
        victim = users.create(db, "victim", PASSWORD, "viewer")
        keys = {
            f"key:{scope}": apikeys.create(db, keyholder, scope, scope)[1]
            for scope in ("read", "write", "admin", "worker")
        }
        job = db.scalar(select(Job.id).where(Job.status == "done").limit(1))
        assert job is not None
        photo = db.scalar(select(Item.id).where(Item.kind == "image"))
        now = utcnow()
        db.add(Crop(item_id=photo, name="kept", x=0, y=0, width=0.5, height=0.5,
                    created_at=now, updated_at=now))  # fmt: skip
        kept = Photoset(name="kept", description="", created_at=now, updated_at=now)
        db.add(kept)
        db.flush()
        db.add(PhotosetItem(photoset_id=kept.id, item_id=photo, position=0))
        db.commit()

    def new_photoset() -> int:
        with app.state.sessions() as db:
            now = utcnow()
            doomed = Photoset(name="doomed", description="", created_at=now, updated_at=now)
            db.add(doomed)
            db.commit()
            return doomed.id

    def new_key() -> int:
        with app.state.sessions() as db:
            owner = db.scalar(select(User).where(User.username == "viewer"))
            assert owner is not None
            return apikeys.create(db, owner, "throwaway", "read")[0].id

    def new_named(kind: str) -> int:
        with app.state.sessions() as db:
            entry = names.create(db, getattr(names, kind.upper()), f"{kind}-{uuid.uuid4().hex}")
            db.commit()
            return entry.id

    with live_server(app) as (url, _server), httpx.Client(base_url=url) as client:
        admin_key = {"authorization": f"Bearer {keys['key:admin']}"}
        listed = client.get("/api/v1/items", headers=admin_key).json()["items"]
        by_kind = {item["kind"]: item for item in listed}
        ctx = Ctx(
            by_kind["image"],
            by_kind["video"],
            victim.id,
            job,
            new_key,
            kept.id,
            new_photoset,
            new_named,
        )
        yield World(url, app, ctx, keys)
    app.state.engine.dispose()


def _headers(world: World, caller: str) -> dict[str, str]:
    if caller == "anonymous":
        return {}
    if caller.startswith("key:"):
        return {"authorization": f"Bearer {world.keys[caller]}"}
    with world.app.state.sessions() as db:  # a fresh session: some cases log out
        user = db.scalar(select(User).where(User.username == caller))
        assert user is not None
        token = sessions.start(db, user, 1, None, None)
    return {"cookie": f"{SESSION_COOKIE}={token}", CSRF_HEADER: sessions.csrf_token(token)}


def test_every_route_is_in_the_matrix(world: World) -> None:
    routes = app_routes(world.app)
    unplaced = sorted(set(routes) - set(MATRIX))
    assert not unplaced, f"place these routes in the authorization matrix: {unplaced}"
    stale = sorted(set(MATRIX) - set(routes))
    assert not stale, f"these matrix rows name no route: {stale}"


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{k[0]} {k[1]}")
def test_each_route_declares_its_level(world: World, key: tuple[str, str]) -> None:
    level, page = route_access(app_routes(world.app)[key])
    assert (level, page) == (MATRIX[key].level, MATRIX[key].page)


def _send(world: World, method: str, case: Case, caller: str) -> httpx.Response:
    headers = _headers(world, caller)
    body = case.body(world.ctx) if case.body else None
    with httpx.Client(base_url=world.url, timeout=60) as client:
        request = client.build_request(method, case.url(world.ctx), json=body, headers=headers)
        response = client.send(request, stream=True)  # endless streams: the status line only
        response.close()
    return response


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{k[0]} {k[1]}")
def test_each_caller_gets_what_the_design_says(
    world: World, key: tuple[str, str], caller: str
) -> None:
    method, _path = key
    case = MATRIX[key]
    resp = _send(world, method, case, caller)
    if case.level in MAY[caller]:
        assert resp.status_code in case.ok, (resp.status_code, resp.headers)
    elif caller == "anonymous" and case.page:
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=")
    elif caller == "anonymous":
        assert resp.status_code == 401
        assert resp.headers["www-authenticate"].startswith("Bearer")
    else:
        assert resp.status_code == 403
    if resp.status_code in (401, 403):  # a page refuses with a page, the API with JSON
        wanted = "text/html; charset=utf-8" if case.page else "application/json"
        assert resp.headers["content-type"] == wanted


def test_the_matrix_covers_the_file_routes() -> None:
    """The URLs that hand out bytes of people's files are in the table, behind `read`."""
    file_routes = [
        ("GET", "/api/v1/thumbnails/{fingerprint}/{size}"),
        ("GET", "/api/v1/items/{item_id}/original"),
        ("GET", "/api/v1/items/{item_id}/stream"),
        ("GET", "/api/v1/items/{item_id}/hls/{n}.ts"),
        ("GET", "/media/{path:path}"),
        ("GET", "/api/v1/previews/{fingerprint}/teaser-{size}.mp4"),
    ]
    assert all(MATRIX[route].level == "read" for route in file_routes)


def test_a_worker_key_reads_nothing(world: World) -> None:
    """Spelled out: a transcode worker's key cannot browse the library."""
    headers = {"authorization": f"Bearer {world.keys['key:worker']}"}
    with httpx.Client(base_url=world.url) as client:
        assert client.get("/api/v1/items", headers=headers).status_code == 403
        assert (
            client.get(world.ctx.image["thumbnails"]["small"], headers=headers).status_code == 403
        )

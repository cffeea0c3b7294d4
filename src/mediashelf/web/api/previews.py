"""A video's preview media by content: seek-bar sprites + WebVTT, the preview strip,
teasers. Like thumbnails, the URLs are keyed by fingerprint (plus `?v=` naming
the variant, see items.item_json), so responses are immutable.

The seed app's routes answer too: /video/{hash} (the file itself) and
/api/media/get-poster|get-seek-thumbnails|get-preview-thumbnails|
get-teaser-small|get-teaser-large/{hash}, as redirects to these.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from mediashelf.auth.access import Principal
from mediashelf.config import Settings
from mediashelf.library import previews
from mediashelf.library.cache import is_fingerprint
from mediashelf.web.api.items import by_hash, item_json, not_found
from mediashelf.web.api.thumbnails import content_hidden
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.responses import file_route
from mediashelf.web.security import PrincipalDep, access
from mediashelf.web.streaming import IMMUTABLE, send_file

router = APIRouter(tags=["previews"])
seed = APIRouter(tags=["seed"], include_in_schema=False)

_SHEET = re.compile(r"sheet\d{3}\.jpg")


def _send(request: Request, settings: Settings, path: Path, media_type: str, tag: str) -> Response:
    try:
        return send_file(
            request,
            path,
            media_type,
            etag=f'"{tag}"',
            cache_control=IMMUTABLE,
            accel_prefix=settings.accel_redirect_prefix,
        )
    except FileNotFoundError:
        raise not_found("preview") from None


def _fp(request: Request, principal: Principal, fingerprint: str) -> str:
    if not is_fingerprint(fingerprint) or content_hidden(request, principal, fingerprint):
        raise not_found("preview")
    return fingerprint


@file_route(router, "/previews/{fingerprint}/sprites/{name}")
def sprite_file(
    fingerprint: str, name: str, request: Request, settings: SettingsDep, principal: PrincipalDep
) -> Response:
    """sprites.vtt (cues `sheetNNN.jpg#xywh=x,y,w,h`), and the sheets it names."""
    if name != "sprites.vtt" and not _SHEET.fullmatch(name):
        raise not_found("preview")
    path = previews.sprites_dir(settings, _fp(request, principal, fingerprint)) / name
    media_type = "text/vtt; charset=utf-8" if name.endswith(".vtt") else "image/jpeg"
    return _send(
        request, settings, path, media_type, f"{fingerprint}-{settings.sprite_width}-{name}"
    )


@file_route(router, "/previews/{fingerprint}/strip.jpg")
def strip(
    fingerprint: str, request: Request, settings: SettingsDep, principal: PrincipalDep
) -> Response:
    """The preview strip: frames side by side, for hover scrubbing in grids."""
    path = previews.strip_path(settings, _fp(request, principal, fingerprint))
    return _send(request, settings, path, "image/jpeg", f"{fingerprint}-{path.name}")


@file_route(router, "/previews/{fingerprint}/teaser-{size}.mp4")
def teaser(
    fingerprint: str, size: str, request: Request, settings: SettingsDep, principal: PrincipalDep
) -> Response:
    """A teaser (small or large): a silent MP4 of short clips across the video."""
    width = previews.teaser_widths(settings).get(size)
    if width is None:
        raise not_found("preview")
    path = previews.teaser_path(settings, _fp(request, principal, fingerprint), width)
    return _send(request, settings, path, "video/mp4", f"{fingerprint}-{width}.mp4")


def preview_urls(settings: Settings, fp: str) -> dict[str, Any]:
    """What a probed video offers, with the variant in each URL (for item JSON)."""
    base = f"/api/v1/previews/{fp}"
    out: dict[str, Any] = {}
    if settings.video_sprites:
        out["sprites"] = f"{base}/sprites/sprites.vtt?v={settings.sprite_width}"
    if settings.video_preview_frames:
        count, height = settings.preview_frame_count, settings.preview_frame_height
        out["strip"] = f"{base}/strip.jpg?v={count}x{height}"
        out["strip_frames"] = count
    for size, width in previews.teaser_widths(settings).items():
        out[f"teaser_{size}"] = f"{base}/teaser-{size}.mp4?v={width}"
    return out


# -- the seed app's routes ----------------------------------------------------------

_SEED = {
    "get-poster": ("thumbnails", "large"),
    "get-seek-thumbnails": ("previews", "sprites"),
    "get-preview-thumbnails": ("previews", "strip"),
    "get-teaser-small": ("previews", "teaser_small"),
    "get-teaser-large": ("previews", "teaser_large"),
}


@seed.get(
    "/video/{content_hash}",
    openapi_extra=access("read"),
    status_code=307,
    response_class=RedirectResponse,
    responses={307: {"description": "Where it is"}},
)
def seed_video(
    content_hash: str, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> RedirectResponse:
    item = by_hash(db, settings, content_hash, principal, kind="video")
    return RedirectResponse(f"/api/v1/items/{item.id}/stream", status_code=307)


@seed.get(
    "/api/media/{what}/{content_hash}",
    openapi_extra=access("read"),
    status_code=307,
    response_class=RedirectResponse,
    responses={307: {"description": "Where it is"}},
)
def seed_media(
    what: str, content_hash: str, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> RedirectResponse:
    if what not in _SEED:
        raise not_found()
    group, key = _SEED[what]
    body = item_json(by_hash(db, settings, content_hash, principal, kind="video"), settings)
    url = (body.get(group) or {}).get(key)
    if not url:
        raise not_found("preview")
    return RedirectResponse(url, status_code=307)

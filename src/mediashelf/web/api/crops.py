"""Named crops of photos, and the crops rendered on demand.

A crop is a rectangle in 0..1 of the upright (EXIF-rotated) photo, with a name and an
optional aspect label. `GET …/cropped?name=&size=` renders it from the original at a
thumbnail size the first time, then serves the cached file: its path is keyed by the
content, the rectangle and the size, so an edited crop gets a new file.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from mediashelf.auth.access import Principal
from mediashelf.config import Settings
from mediashelf.db.models import Crop, Item, Root
from mediashelf.db.upsert import upsert
from mediashelf.library.cache import derived_relpath
from mediashelf.library.clock import utcnow
from mediashelf.library.paths import confine
from mediashelf.media.images import ImageError, make_crop
from mediashelf.web.api.auth import Strict
from mediashelf.web.api.items import ItemId, ThumbSize, lookup, not_found
from mediashelf.web.deps import DbDep, SettingsDep
from mediashelf.web.responses import FILE
from mediashelf.web.security import PrincipalDep, access
from mediashelf.web.streaming import IMMUTABLE, send_file

router = APIRouter(tags=["crops"])

EDGE = 1e-6  # rounding slack where a rectangle meets the photo's edge
# Renders at once per web process: a burst of new crops must not take every core.
_renders = threading.BoundedSemaphore(2)
CropName = Annotated[str, Query(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")]


class NewCrop(Strict):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f]+$")
    x: float = Field(ge=0, lt=1)
    y: float = Field(ge=0, lt=1)
    width: float = Field(gt=0, le=1)
    height: float = Field(gt=0, le=1)
    aspect: str | None = Field(default=None, max_length=20, pattern=r"^[^\x00-\x1f]+$")

    @model_validator(mode="after")
    def _inside(self) -> NewCrop:
        if self.x + self.width > 1 + EDGE or self.y + self.height > 1 + EDGE:
            raise ValueError("the rectangle must lie inside the photo: x+width and y+height ≤ 1")
        return self


def crop_json(crop: Crop, item_id: int) -> dict[str, Any]:
    return {
        "name": crop.name,
        "x": crop.x,
        "y": crop.y,
        "width": crop.width,
        "height": crop.height,
        "aspect": crop.aspect,
        "updated_at": crop.updated_at.isoformat(),
        "url": f"/api/v1/items/{item_id}/cropped?name={crop.name}",
    }


def _photo(db: Session, settings: Settings, item_id: int, principal: Principal) -> Item:
    item = lookup(db, settings, item_id, principal)
    if item.kind != "image" or item.error or not item.fingerprint:
        raise HTTPException(422, "crops are for photos that can be read")
    return item


def _crops(db: Session, item_id: int) -> dict[str, Any]:
    rows = db.scalars(select(Crop).where(Crop.item_id == item_id).order_by(Crop.name))
    return {"item_id": item_id, "crops": [crop_json(c, item_id) for c in rows]}


@router.get("/items/{item_id}/crop", openapi_extra=access("read"))
def list_crops(
    item_id: ItemId, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The photo's named crops."""
    return _crops(db, lookup(db, settings, item_id, principal).id)


@router.post("/items/{item_id}/crop", openapi_extra=access("write"))
def save_crop(
    item_id: ItemId, body: NewCrop, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Add a crop, or change the one of that name."""
    item = _photo(db, settings, item_id, principal)
    now = utcnow()
    rect = {"x": body.x, "y": body.y, "width": body.width, "height": body.height}
    values = {"item_id": item.id, "name": body.name, **rect, "aspect": body.aspect}
    changes = {**rect, "aspect": body.aspect, "updated_at": now}
    upsert(db, Crop, {**values, "created_at": now, "updated_at": now}, ["item_id", "name"], changes)
    db.commit()
    return _crops(db, item.id)


@router.delete("/items/{item_id}/crop", openapi_extra=access("write"))
def delete_crop(
    item_id: ItemId, name: CropName, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> dict[str, Any]:
    item = lookup(db, settings, item_id, principal)
    crop = db.scalar(select(Crop).where(Crop.item_id == item.id, Crop.name == name))
    if crop is None:
        raise not_found("crop")
    db.delete(crop)
    db.commit()
    return _crops(db, item.id)


def crop_path(settings: Settings, fingerprint: str, crop: Crop, px: int) -> Path:
    rect = f"{crop.x:.6f},{crop.y:.6f},{crop.width:.6f},{crop.height:.6f}"
    key = hashlib.sha1(rect.encode(), usedforsecurity=False).hexdigest()[:12]
    variant = f"{key}-{px}q{settings.thumbnail_quality}{settings.thumbnails_ext}"
    return settings.cache_dir / derived_relpath(fingerprint, "crop", variant)


@router.get("/items/{item_id}/cropped", openapi_extra=access("read"), responses=FILE)
def cropped(
    item_id: ItemId,
    name: CropName,
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    size: ThumbSize = ThumbSize.medium,
) -> Response:
    """The crop, rendered from the original at a thumbnail size (cached)."""
    item = _photo(db, settings, item_id, principal)
    crop = db.scalar(select(Crop).where(Crop.item_id == item.id, Crop.name == name))
    if crop is None:
        raise not_found("crop")
    assert item.fingerprint is not None
    px = settings.thumbnail_sizes[size.value]
    path = crop_path(settings, item.fingerprint, crop, px)
    if not path.is_file():
        root = db.scalar(select(Root.path).where(Root.id == item.root_id))
        original = confine(root, item.rel_path) if root else None
        if original is None or not original.is_file():
            raise not_found("file")
        box = (crop.x, crop.y, crop.width, crop.height)
        with _renders:
            try:
                make_crop(
                    original, path, box, px,
                    quality=settings.thumbnail_quality, max_pixels=settings.max_image_pixels,
                )  # fmt: skip
            except ImageError as exc:
                raise HTTPException(422, f"cannot render the crop: {exc}") from None
    media_type = "image/webp" if path.suffix == ".webp" else "image/jpeg"
    return send_file(request, path, media_type, etag=f'"{path.stem}"', cache_control=IMMUTABLE)

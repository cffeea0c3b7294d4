"""The backup document's shape, checked before anything is restored.

`validate` refuses what is not a Mediashelf backup, a backup of a newer
version, and one whose sections are malformed or refer to things it does not
hold, with a one-line message naming the place (`ratings[3].item: …`). It
returns the document with absent optional fields filled in (None, []), so the
restore reads every field directly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from mediashelf.config import ROLES
from mediashelf.library.sidecars import clean_title, clean_url

FORMAT = "mediashelf-backup"
VERSION = 1


class BackupError(ValueError):
    """A file that cannot be restored; the message says why. Nothing was changed."""


Check = Callable[[Any, "_Doc"], bool]


class _Doc:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.items = len(doc.get("items") or [])
        self.keys = {
            kind: {row.get("key") for row in doc.get(f"{kind}s") or [] if isinstance(row, dict)}
            for kind in ("tag", "performer", "studio")
        }


def _is_time(value: Any) -> bool:
    try:
        datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _index(value: Any, doc: _Doc) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < doc.items


def _ref(kind: str) -> Check:
    return lambda value, doc: value in doc.keys[kind]


def _optional(check: Check) -> Check:
    return lambda value, doc: value is None or check(value, doc)


def _list(check: Check) -> Check:
    return lambda value, doc: isinstance(value, list) and all(check(v, doc) for v in value)


def _text(value: Any, _: _Doc) -> bool:
    return isinstance(value, str)


def _int(value: Any, _: _Doc) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bool(value: Any, _: _Doc) -> bool:
    return isinstance(value, bool)


def _time(value: Any, _: _Doc) -> bool:
    return _is_time(value)


def _num(value: Any, _: _Doc) -> bool:
    return _number(value)


def _any(value: Any, _: _Doc) -> bool:
    return True


def _title(value: Any, _: _Doc) -> bool:
    """A title as the app stores one (stripped, not empty, one line, not too long)."""
    try:
        return isinstance(value, str) and clean_title(value) == value
    except ValueError:
        return False


def _url(value: Any, _: _Doc) -> bool:
    """An http(s) URL as the app stores one: never `javascript:`, which the UI would link."""
    try:
        return isinstance(value, str) and clean_url(value) == value
    except ValueError:
        return False


def _between(low: int, high: int | None) -> Check:
    return lambda v, doc: _int(v, doc) and v >= low and (high is None or v <= high)


def _one_of(*values: str) -> Check:
    return lambda v, _: v in values


TEXT, TEXT0 = _text, _optional(_text)
TITLE0, URL0 = _optional(_title), _optional(_url)
INT0 = _optional(_int)
NUM, NUM0 = _num, _optional(_num)
TIME, TIME0 = _time, _optional(_time)
ITEM, ITEM0 = _index, _optional(_index)
TAG, PERFORMER, STUDIO = _ref("tag"), _ref("performer"), _ref("studio")
STUDIO0 = _optional(STUDIO)
NAMES = _list(_text)

SCHEMA: dict[str, dict[str, Check]] = {
    "items": {"fingerprint": TEXT0, "full_hash": TEXT0, "root": TEXT, "path": TEXT},
    "users": {
        "username": TEXT,
        "display_name": TEXT0,
        "role": _one_of(*ROLES),
        "disabled": _bool,
        "oidc_issuer": TEXT0,
        "oidc_subject": TEXT0,
        "created_at": TIME,
    },
    "settings": {"key": TEXT, "value": _any, "updated_at": TIME},
    "tags": {"name": TEXT, "key": TEXT, "category": TEXT0, "aliases": NAMES, "created_at": TIME},
    "studios": {
        "name": TEXT,
        "key": TEXT,
        "aliases": NAMES,
        "parent": STUDIO0,
        "image": ITEM0,
        "created_at": TIME,
    },
    "performers": {"name": TEXT, "key": TEXT, "aliases": NAMES, "image": ITEM0, "created_at": TIME},
    "photosets": {
        "name": TEXT,
        "description": TEXT0,
        "year": INT0,
        "date": TIME0,
        "source_url": TEXT0,
        "original_filename": TEXT0,
        "cover": ITEM0,
        "studio": STUDIO0,
        "tags": _list(TAG),
        "performers": _list(PERFORMER),
        "items": _list(ITEM),
        "created_at": TIME,
        "updated_at": TIME,
    },
    "item_details": {"item": ITEM, "title": TITLE0, "source_url": URL0},
    "item_tags": {"item": ITEM, "tag": TAG},
    "item_performers": {"item": ITEM, "performer": PERFORMER},
    "item_studios": {"item": ITEM, "studio": STUDIO},
    "ratings": {
        "user": TEXT,
        "item": ITEM,
        "value": _between(0, 100),
        "updated_at": TIME,
    },
    "views": {
        "user": TEXT,
        "item": ITEM,
        "count": _between(0, None),
        "last_viewed_at": TIME,
        "position": NUM0,
    },
    "favorites": {"user": TEXT, "item": ITEM, "created_at": TIME},
    "captions": {
        "item": ITEM,
        "text": TEXT,
        "source": TEXT,
        "author": TEXT0,
        "model": TEXT0,
        "prompt": TEXT0,
        "created_at": TIME,
    },
    "crops": {
        "item": ITEM,
        "name": TEXT,
        "x": NUM,
        "y": NUM,
        "width": NUM,
        "height": NUM,
        "aspect": TEXT0,
        "created_at": TIME,
        "updated_at": TIME,
    },
    "content_filters": {
        "kind": _one_of("tag", "performer", "studio"),
        "target": TEXT,
        "created_at": TIME,
    },
}
OPTIONAL: dict[Check, Any] = {
    TEXT0: None,
    INT0: None,
    NUM0: None,
    TIME0: None,
    TITLE0: None,
    URL0: None,
    ITEM0: None,
    STUDIO0: None,
    NAMES: [],
}


def validate(doc: Any) -> dict[str, Any]:
    """The document, checked and with absent optional fields filled in; BackupError."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise BackupError('not a Mediashelf backup (no "format": "mediashelf-backup")')
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise BackupError(f"not a valid Mediashelf backup: version {version!r}")
    if version > VERSION:
        raise BackupError(
            f"this backup was made by a newer Mediashelf (format version {version}; this "
            f"version reads up to {VERSION}): upgrade Mediashelf to restore it"
        )
    context = _Doc(doc)
    out: dict[str, Any] = dict(doc)
    for section, fields in SCHEMA.items():
        rows = doc.get(section, [])
        if not isinstance(rows, list):
            raise BackupError(f"not a valid Mediashelf backup: {section} is not a list")
        checked = []
        for n, row in enumerate(rows):
            if not isinstance(row, dict):
                raise BackupError(f"not a valid Mediashelf backup: {section}[{n}] is not an object")
            row = dict(row)
            for name, check in fields.items():
                if name not in row and check in OPTIONAL:
                    row[name] = [] if isinstance(OPTIONAL[check], list) else None
                if name not in row or not check(row[name], context):
                    shown = repr(row.get(name))[:80]
                    raise BackupError(
                        f"not a valid Mediashelf backup: {section}[{n}].{name} is "
                        f"{'missing' if name not in row else 'invalid'}"
                        + ("" if name not in row else f" ({shown})")
                    )
            checked.append(row)
        out[section] = checked
    for n, row in enumerate(out["content_filters"]):
        if row["target"] not in context.keys[row["kind"]]:
            raise BackupError(
                f"not a valid Mediashelf backup: content_filters[{n}].target is invalid "
                f"(no {row['kind']} {row['target']!r} in the backup)"
            )
    return out

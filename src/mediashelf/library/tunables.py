"""User-tunable settings, kept in the database and edited through the API.

A tunable is a Settings field (declared once, with its help text, in
config.py) that users may change at run time: thumbnail sizes and quality,
the watcher, the rescan interval, job retries. The environment gives the
default; a row in the `settings` table overrides it. Deployment settings
(data and cache paths, DATABASE_URL, REDIS_URL, secrets) are not tunable: they stay in
the environment. The library roots are: MEDIA_DIR gives the first ones, the dashboard
adds more (each new root is checked: library/roots.py `check_new_root`).

Every process sees a change within `LiveSettings.ttl` seconds, without a
restart.
"""

from __future__ import annotations

import json
import threading
import time
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import ValidationError
from pydantic.fields import FieldInfo
from sqlalchemy import Engine, delete, select

from mediashelf.config import Settings
from mediashelf.db.models import SettingValue
from mediashelf.db.upsert import upsert
from mediashelf.library.clock import utcnow
from mediashelf.library.roots import check_new_root

TUNABLE = (
    "media_dir",  # the library roots: the dashboard adds and removes them
    "thumbnail_size_small",
    "thumbnail_size_medium",
    "thumbnail_size_large",
    "thumbnail_quality",
    "thumbnails_ext",
    "video_sprites",
    "sprite_width",
    "video_preview_frames",
    "preview_frame_count",
    "preview_frame_height",
    "teaser_small_width",
    "teaser_large_width",
    "teaser_segments",
    "teaser_segment_seconds",
    "watch",
    "watch_debounce_ms",
    "rescan_interval",
    "job_max_attempts",
    "job_retry_delay",
    "job_limits",
)


class TunableError(ValueError):
    """A change that cannot be applied; the message names the setting and says why."""


def overrides(engine: Engine) -> dict[str, Any]:
    """The values set through the API (tunables only; other rows are internal state)."""
    query = select(SettingValue.key, SettingValue.value).where(SettingValue.key.in_(TUNABLE))
    with engine.connect() as conn:
        return {key: json.loads(value) for key, value in conn.execute(query)}


def apply(base: Settings, values: dict[str, Any]) -> Settings:
    """`base` with these values, validated as if they came from the environment."""
    unknown = sorted(set(values) - set(TUNABLE))
    if unknown:
        raise TunableError(f"not a tunable setting: {', '.join(unknown)}")
    data = {name: getattr(base, name) for name in type(base).model_fields}
    try:
        return Settings.model_validate({**data, **values})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        raise TunableError(f"{loc[0] if loc else 'settings'}: {msg}") from None


def effective(engine: Engine, base: Settings) -> Settings:
    """The settings in force: the environment's, with the database's overrides.

    A stored value that no longer validates (made by an older version, say)
    is ignored rather than stopping the server.
    """
    stored = overrides(engine)
    try:
        return apply(base, stored)
    except TunableError:
        good: dict[str, Any] = {}
        for key, value in stored.items():
            try:
                apply(base, {**good, key: value})
            except TunableError:
                continue
            good[key] = value
        return apply(base, good)


def change(engine: Engine, base: Settings, values: dict[str, Any]) -> Settings:
    """Validate and store changes (None resets a setting to its default); the result."""
    current = overrides(engine)
    wanted = {k: v for k, v in {**current, **values}.items() if v is not None}
    result = apply(base, wanted)  # raises before anything is written
    if values.get("media_dir") is not None:
        _check_roots(base, effective(engine, base), result)
    now = utcnow()
    with engine.begin() as conn:
        for key, value in values.items():
            if value is None:
                conn.execute(delete(SettingValue).where(SettingValue.key == key))
                continue
            stored = json.dumps(result.model_dump(mode="json", include={key})[key])
            row = {"key": key, "value": stored, "updated_at": now}
            upsert(conn, SettingValue, row, ["key"], {"value": stored, "updated_at": now})
    return result


def _check_roots(base: Settings, before: Settings, after: Settings) -> None:
    """Each root that is new (neither in MEDIA_DIR nor a root already) must be a folder
    that can be one."""
    if len(set(after.root_paths)) != len(after.root_paths):
        raise TunableError("media_dir: a folder is listed twice")
    known = set(base.root_paths) | set(before.root_paths)
    seen = [r for r in after.root_paths if r in known]
    for root in after.root_paths:
        if root in known:
            continue
        try:
            check_new_root(root, base, seen)
        except ValueError as exc:
            raise TunableError(f"media_dir: {exc}") from None
        seen.append(root)


def describe(engine: Engine, base: Settings) -> list[dict[str, Any]]:
    """Each tunable: its value in force, its default, whether it is overridden, its help,
    and what a form needs to edit it (`form`)."""
    stored = overrides(engine)
    now = effective(engine, base).model_dump(mode="json", include=set(TUNABLE))
    default = base.model_dump(mode="json", include=set(TUNABLE))
    fields = type(base).model_fields
    return [
        {
            "key": key,
            "value": now[key],
            "default": default[key],
            "overridden": key in stored,
            "description": fields[key].description,
            **form(fields[key]),
        }
        for key in TUNABLE
    ]


# -- what a form needs, read from the field's one declaration (config.py) ----------------

Kind = Literal["boolean", "integer", "number", "string", "path", "enum", "list", "map"]


def form(field: FieldInfo) -> dict[str, Any]:
    """A field's type for a form: `type`, `items` (a list's or a map's values), `choices`
    (an enum's), `minimum`/`maximum` and whether they are exclusive, `nullable`."""
    annotation, nullable = _without_none(field.annotation)
    kind, choices = _kind(annotation)
    items: Kind | None = None
    if kind in ("list", "map"):
        items, choices = _kind(_without_none(get_args(annotation)[-1])[0])
    out: dict[str, Any] = {
        "type": kind,
        "items": items,
        "choices": choices,
        "minimum": None,
        "maximum": None,
        "exclusive_minimum": False,
        "exclusive_maximum": False,
        "nullable": nullable,
    }
    for rule in field.metadata:
        if isinstance(rule, annotated_types.Ge | annotated_types.Gt):
            out["minimum"] = rule.ge if isinstance(rule, annotated_types.Ge) else rule.gt
            out["exclusive_minimum"] = isinstance(rule, annotated_types.Gt)
        elif isinstance(rule, annotated_types.Le | annotated_types.Lt):
            out["maximum"] = rule.le if isinstance(rule, annotated_types.Le) else rule.lt
            out["exclusive_maximum"] = isinstance(rule, annotated_types.Lt)
    return out


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """`X | None` as (X, True); anything else as (it, False)."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) < len(get_args(annotation)):
            return (args[0] if len(args) == 1 else Union[tuple(args)]), True  # noqa: UP007
    return annotation, False


def _kind(annotation: Any) -> tuple[Kind, list[Any] | None]:
    """The form's type of an annotation, and its choices (a Literal's values)."""
    origin = get_origin(annotation)
    if origin is Literal:
        return "enum", list(get_args(annotation))
    if origin is list:
        return "list", None
    if origin is dict:
        return "map", None
    simple: list[tuple[type, Kind]] = [
        (bool, "boolean"),  # before int: a bool is an int
        (int, "integer"),
        (float, "number"),
        (Path, "path"),
    ]
    for cls, kind in simple:
        if isinstance(annotation, type) and issubclass(annotation, cls):
            return kind, None
    return "string", None


class LiveSettings:
    """The settings in force, re-read from the database at most every `ttl` seconds."""

    def __init__(self, engine: Engine, base: Settings, ttl: float = 2.0) -> None:
        self.engine = engine
        self.base = base
        self.ttl = ttl
        self._lock = threading.Lock()
        self._value = base
        self._at = float("-inf")

    def get(self) -> Settings:
        if time.monotonic() - self._at < self.ttl:
            return self._value
        with self._lock:
            if time.monotonic() - self._at >= self.ttl:
                self._value = effective(self.engine, self.base)
                self._at = time.monotonic()
        return self._value

    def refresh(self) -> Settings:
        self._at = float("-inf")
        return self.get()

"""Tunable settings: kept in the database, validated, seen by every process."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from mediashelf.config import Settings
from mediashelf.jobs.batch import run_thumbnails
from mediashelf.library import tunables
from mediashelf.library.cache import thumbnail_path
from mediashelf.library.scan import scan
from tests import factory


def test_defaults_come_from_the_environment(settings: Settings, engine: Engine) -> None:
    rows = {r["key"]: r for r in tunables.describe(engine, settings)}
    assert set(rows) == set(tunables.TUNABLE)
    assert rows["thumbnail_quality"]["value"] == settings.thumbnail_quality
    assert rows["thumbnail_quality"]["overridden"] is False
    assert all(r["description"] for r in rows.values())


def test_change_is_stored_validated_and_resettable(settings: Settings, engine: Engine) -> None:
    tunables.change(engine, settings, {"thumbnail_quality": 91, "watch": False})
    now = tunables.effective(engine, settings)
    assert (now.thumbnail_quality, now.watch) == (91, False)
    assert now.database_url == settings.database_url  # deployment settings untouched

    for bad, why in [
        ({"thumbnail_quality": 0}, "thumbnail_quality"),
        ({"thumbnail_size_small": 2000}, "THUMBNAIL_SIZE_SMALL <"),
        ({"database_url": "sqlite://"}, "not a tunable"),
        ({"thumbnails_ext": ".png"}, "thumbnails_ext"),
        ({"watch": False, "rescan_interval": -1}, "rescan_interval"),  # all or nothing
        ({"rescan_interval": 10**30}, "rescan_interval"),  # would overflow a timedelta
    ]:
        with pytest.raises(tunables.TunableError, match=why):
            tunables.change(engine, settings, bad)
    assert tunables.effective(engine, settings).rescan_interval == settings.rescan_interval

    tunables.change(engine, settings, {"thumbnail_quality": None})
    assert tunables.effective(engine, settings).thumbnail_quality == settings.thumbnail_quality
    assert tunables.effective(engine, settings).watch is False


def test_live_settings_see_a_change_within_the_ttl(settings: Settings, engine: Engine) -> None:
    live = tunables.LiveSettings(engine, settings, ttl=0.2)
    assert live.get().thumbnail_quality == 80
    tunables.change(engine, settings, {"thumbnail_quality": 70})
    deadline = time.monotonic() + 5
    while live.get().thumbnail_quality != 70:
        assert time.monotonic() < deadline, "the change never arrived"
        time.sleep(0.05)


def test_thumbnail_jobs_use_the_stored_sizes(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", (900, 600), seed=1)
    scan(engine, settings)
    tunables.change(engine, settings, {"thumbnail_size_small": 200, "thumbnails_ext": ".jpg"})
    assert run_thumbnails(engine, settings).made == 1
    fp = next(settings.cache_dir.rglob("*_200.jpg")).name.split("_")[0]
    assert thumbnail_path(settings.cache_dir, fp, 200, ".jpg").is_file()
    assert not list(settings.cache_dir.rglob("*.webp"))


def test_settings_api(client: TestClient, media: Path) -> None:
    listed = client.get("/api/v1/admin/settings").json()["settings"]
    assert {r["key"] for r in listed} == set(tunables.TUNABLE)

    resp = client.patch("/api/v1/admin/settings", json={"thumbnail_quality": 64})
    assert resp.status_code == 200, resp.text
    rows = {r["key"]: r for r in resp.json()["settings"]}
    assert rows["thumbnail_quality"] == {**rows["thumbnail_quality"], "value": 64, "default": 80}
    assert rows["thumbnail_quality"]["overridden"] is True

    # The change is in force at once: thumbnail URLs name the new variant.
    factory.jpeg(media / "b.jpg", seed=2)
    engine = client.app.state.engine  # type: ignore[attr-defined]
    scan(engine, client.app.state.settings)  # type: ignore[attr-defined]
    item = client.get("/api/v1/items").json()["items"][0]
    assert item["thumbnails"]["small"].endswith("q64")

    for body, status in [
        ({"thumbnail_quality": 101}, 422),
        ({"cache_dir": "/tmp"}, 422),
        ({}, 422),
        ([1, 2], 422),
    ]:
        bad = client.patch("/api/v1/admin/settings", json=body)
        assert bad.status_code == status, (body, bad.text)
        assert isinstance(bad.json()["detail"], (str, list))
    assert client.get("/api/v1/admin/settings").json()["settings"] == resp.json()["settings"]

    reset = client.patch("/api/v1/admin/settings", json={"thumbnail_quality": None})
    rows = {r["key"]: r for r in reset.json()["settings"]}
    assert (rows["thumbnail_quality"]["value"], rows["thumbnail_quality"]["overridden"]) == (
        80,
        False,
    )


def test_settings_api_gives_each_setting_its_type_from_the_declaration(
    client: TestClient,
) -> None:
    rows = {r["key"]: r for r in client.get("/api/v1/admin/settings").json()["settings"]}
    pick = ("type", "items", "choices", "minimum", "maximum", "exclusive_minimum", "nullable")

    def shape(key: str) -> tuple[object, ...]:
        return tuple(rows[key][k] for k in pick)

    assert shape("watch") == ("boolean", None, None, None, None, False, False)
    assert shape("thumbnail_quality") == ("integer", None, None, 1, 100, False, False)
    assert shape("teaser_segment_seconds") == ("number", None, None, 0, 10, True, False)
    assert shape("thumbnails_ext") == ("enum", None, [".webp", ".jpg"], None, None, False, False)
    assert shape("media_dir") == ("list", "path", None, None, None, False, False)
    assert shape("job_limits") == ("map", "integer", None, None, None, False, False)
    # The values keep their JSON types (a float stays a float, a path is a string).
    assert rows["teaser_segment_seconds"]["default"] == 1.0
    assert isinstance(rows["thumbnail_quality"]["value"], int)
    assert all(isinstance(p, str) for p in rows["media_dir"]["value"])
    # Every bound a field declares is given, none made up: from the one declaration.
    for key, field in Settings.model_fields.items():
        if key in rows:
            declared = {type(m).__name__ for m in field.metadata}
            assert (rows[key]["minimum"] is not None) == bool(declared & {"Ge", "Gt"}), key
            assert (rows[key]["maximum"] is not None) == bool(declared & {"Le", "Lt"}), key


def test_the_form_of_optional_and_literal_fields() -> None:
    from typing import Annotated, Literal

    from pydantic import BaseModel, Field

    class Sample(BaseModel):
        size: Annotated[int | None, Field(gt=0, lt=10)] = None
        mode: Literal["a", "b"] | None = None
        names: list[str] = []

    fields = Sample.model_fields
    assert tunables.form(fields["size"]) == {
        "type": "integer", "items": None, "choices": None, "minimum": 0, "maximum": 10,
        "exclusive_minimum": True, "exclusive_maximum": True, "nullable": True,
    }  # fmt: skip
    assert tunables.form(fields["mode"])["choices"] == ["a", "b"]
    assert tunables.form(fields["mode"])["nullable"] is True
    assert tunables.form(fields["names"])["items"] == "string"

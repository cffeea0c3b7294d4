"""A video through the whole pipeline: scan, probe, poster thumbnails, sprites, preview
strip and teasers, then served by content URL (and by the seed app's routes)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from mediashelf.config import Settings
from mediashelf.db.models import Derived, Job
from mediashelf.jobs.kinds import scan_now
from mediashelf.jobs.queue import Jobs
from mediashelf.jobs.runner import run_job
from mediashelf.library import tunables
from mediashelf.media.ffmpeg import ffprobe_binary
from tests import factory

pytestmark = pytest.mark.skipif(ffprobe_binary() is None, reason="no ffprobe on this machine")


def _drain(jobs: Jobs) -> dict[str, list[str]]:
    """Run every message until the queue is empty; {kind: [outcome, …]}."""
    ran: dict[str, list[str]] = {}
    while (task := jobs.huey.dequeue()) is not None:
        job_id = task.args[0]
        outcome = run_job(jobs, job_id)
        with jobs.engine.connect() as conn:
            kind = conn.execute(select(Job.kind).where(Job.id == job_id)).scalar_one()
        ran.setdefault(kind, []).append(outcome.status)
    return ran


def test_a_new_video_gets_all_its_preview_media(
    settings: Settings, engine: Engine, media: Path, client: TestClient
) -> None:
    factory.video(media / "trip.mp4", seconds=12.0, size="320x240")
    jobs: Jobs = client.app.state.jobs  # type: ignore[attr-defined]
    assert scan_now(jobs, [])
    ran = _drain(jobs)
    for kind in ("probe", "thumbnail", "sprites", "previews", "teaser"):
        assert ran.get(kind) == ["done"], (kind, ran)

    [item] = client.get("/api/v1/items").json()["items"]
    assert item["video"]["duration"] == pytest.approx(12.0, abs=0.2)
    poster = client.get(item["thumbnails"]["medium"])
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/webp"
    urls = item["previews"]
    assert set(urls) == {"sprites", "strip", "strip_frames", "teaser_small", "teaser_large"}

    vtt = client.get(urls["sprites"])
    assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/vtt")
    assert "immutable" in vtt.headers["cache-control"] and vtt.headers["etag"]
    assert vtt.text.startswith("WEBVTT")
    sheets = set(re.findall(r"(sheet\d{3}\.jpg)#xywh=", vtt.text))
    base = urls["sprites"].split("sprites.vtt")[0]
    for sheet in sheets:  # the cues' relative URLs resolve next to the VTT
        got = client.get(base + sheet)
        assert got.status_code == 200 and got.content[:2] == b"\xff\xd8"

    assert client.get(urls["strip"]).content[:2] == b"\xff\xd8"
    teaser = client.get(urls["teaser_small"], headers={"range": "bytes=0-1"})
    assert teaser.status_code == 206 and teaser.headers["content-type"] == "video/mp4"
    assert teaser.headers["content-range"].startswith("bytes 0-1/")

    with engine.connect() as conn:
        kinds = set(conn.execute(select(Derived.kind)).scalars())
    assert kinds == {"thumbnail", "sprites", "previews", "teaser"}

    # The seed app's routes answer with redirects to the same files.
    fp = item["fingerprint"]
    seen = client.get(f"/video/{fp}", follow_redirects=False)
    assert seen.headers["location"] == f"/api/v1/items/{item['id']}/stream"
    for what, key in [("get-poster", "large"), ("get-teaser-large", "teaser_large")]:
        resp = client.get(f"/api/media/{what}/{fp}", follow_redirects=False)
        assert resp.status_code == 307
        assert resp.headers["location"] in (item["thumbnails"]["large"], urls.get(key))
    assert client.get(f"/api/media/get-poster/{'0' * 32}").status_code == 404
    assert client.get(f"/api/media/nope/{fp}").status_code == 404


def test_switched_off_kinds_are_not_made(
    settings: Settings, engine: Engine, media: Path, client: TestClient
) -> None:
    tunables.change(engine, settings, {"video_sprites": False, "teaser_large_width": 0})
    client.app.state.live.refresh()  # type: ignore[attr-defined]
    factory.video(media / "clip.mp4", seconds=4.0, size="160x120")
    jobs: Jobs = client.app.state.jobs  # type: ignore[attr-defined]
    jobs.live.refresh()
    assert scan_now(jobs, [])
    ran = _drain(jobs)
    assert "sprites" not in ran and ran["teaser"] == ["done"]
    [item] = client.get("/api/v1/items").json()["items"]
    assert set(item["previews"]) == {"strip", "strip_frames", "teaser_small"}


def test_preview_urls_refuse_anything_else(client: TestClient) -> None:
    fp = "ab" * 16
    for url in [
        f"/api/v1/previews/{fp}/sprites/../../etc.vtt",
        f"/api/v1/previews/{fp}/sprites/sheet1.jpg",
        f"/api/v1/previews/{fp}/sprites/sprites.vtt",  # not made
        f"/api/v1/previews/{fp}/teaser-huge.mp4",
        "/api/v1/previews/NOTHEX/strip.jpg",
    ]:
        assert client.get(url).status_code == 404, url

"""The probe job: a scan queues it for new videos; it fills the item's video facts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from mediashelf.config import Settings
from mediashelf.db.models import Item, Job
from mediashelf.jobs.kinds import probe_jobs
from mediashelf.jobs.queue import Jobs
from mediashelf.jobs.runner import run_job
from mediashelf.library.scan import scan
from mediashelf.media.ffmpeg import ffprobe_binary
from tests import factory

pytestmark = pytest.mark.skipif(ffprobe_binary() is None, reason="no ffprobe on this machine")


def _run_all(settings: Settings, engine: Engine) -> dict[int, str]:
    jobs = Jobs(settings, engine)
    return {i: run_job(jobs, i).status for i, _ in jobs.submit(probe_jobs(engine, settings))}


def test_probe_fills_the_item_and_the_api_shows_it(
    settings: Settings, engine: Engine, media: Path, client: TestClient
) -> None:
    factory.video(media / "clip.mp4", seconds=2.0, size="320x240")
    (media / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 5000)
    scan(engine, settings)
    outcomes = _run_all(settings, engine)
    assert sorted(outcomes.values()) == ["done", "failed"]

    items = {i["name"]: i for i in client.get("/api/v1/items").json()["items"]}
    video = items["clip.mp4"]["video"]
    assert video["container"] == "mp4" and video["video_codec"] == "h264"
    assert video["duration"] == pytest.approx(2.0, abs=0.2)
    assert video["playable"] == "direct" and video["subtitles"] == []
    assert (items["clip.mp4"]["width"], items["clip.mp4"]["height"]) == (320, 240)
    # The unreadable one says why, and is not probed again on every scan.
    assert items["broken.mp4"]["error"].startswith("cannot read video")
    assert items["broken.mp4"]["video"] is None
    assert probe_jobs(engine, settings) == []


def test_a_changed_video_is_probed_again(settings: Settings, engine: Engine, media: Path) -> None:
    path = factory.video(media / "clip.mp4", seconds=1.0, size="160x120")
    scan(engine, settings)
    _run_all(settings, engine)
    factory.video(path, seconds=2.0, size="320x240")
    scan(engine, settings)
    with engine.connect() as conn:
        assert conn.execute(select(Item.container)).scalar() is None  # stale facts dropped
    _run_all(settings, engine)
    with engine.connect() as conn:
        row = conn.execute(select(Item.width, Item.duration)).one()
        assert row.width == 320 and row.duration == pytest.approx(2.0, abs=0.2)
        kinds = conn.execute(select(Job.kind).distinct()).scalars().all()
    assert "probe" in kinds

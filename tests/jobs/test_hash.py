"""Full hashes, and fingerprint collisions found by them."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from mediashelf.config import Settings
from mediashelf.db.models import Item, Job
from mediashelf.jobs.kinds import hash_jobs
from mediashelf.jobs.queue import Jobs
from mediashelf.jobs.runner import run_job
from mediashelf.library.identity import full_hash
from mediashelf.library.scan import scan
from tests import factory


def _items(engine: Engine) -> dict[str, Item]:
    with engine.connect() as conn:
        return {r.rel_path: r for r in conn.execute(select(Item))}  # type: ignore[misc]


def _run_hashes(settings: Settings, engine: Engine) -> Jobs:
    jobs = Jobs(settings, engine)
    for job_id, created in jobs.submit(hash_jobs(engine, settings)):
        assert created
        assert run_job(jobs, job_id).status == "done"
    return jobs


def test_collision_gets_its_own_identity(
    settings: Settings,
    engine: Engine,
    media: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Same size, same first and last 64 KiB, different middles: one fast fingerprint.
    jpeg = factory.jpeg(tmp_path / "head.jpg", (64, 48), seed=1).read_bytes()
    head = jpeg + b"\xff" * (70_000 - len(jpeg))  # past the fingerprint's first 64 KiB
    tail = bytes(range(256)) * 256
    (media / "a.jpg").write_bytes(head + b"\0" * 100_000 + tail)
    (media / "b.jpg").write_bytes(head + b"\1" * 100_000 + tail)
    scan(engine, settings)
    before = _items(engine)
    shared = before["a.jpg"].fingerprint
    assert shared == before["b.jpg"].fingerprint

    with caplog.at_level(logging.WARNING, logger="mediashelf.worker"):
        _run_hashes(settings, engine)

    after = _items(engine)
    hashes = {p: full_hash(str(media / p)) for p in ("a.jpg", "b.jpg")}
    assert {p: i.full_hash for p, i in after.items()} == hashes
    fps = {p: i.fingerprint for p, i in after.items()}
    assert fps["a.jpg"] != fps["b.jpg"]  # told apart
    assert shared in fps.values()  # one keeps the fast fingerprint...
    moved = next(p for p, fp in fps.items() if fp != shared)
    assert fps[moved] == hashes[moved]  # ...the other goes by its full hash
    assert after[moved].id == before[moved].id  # same row: metadata stays
    assert "fingerprint collision" in caplog.text

    # Both get their thumbnails made anew, under their own keys.
    with engine.connect() as conn:
        thumbs = conn.execute(select(Job.dedupe_key, Job.params).where(Job.kind == "thumbnail"))
        keyed = {key: params for key, params in thumbs}
    assert keyed == {
        f"thumbnail:{shared}": '{"force": true}',
        f"thumbnail:{fps[moved]}": '{"force": true}',
    }

    # A rescan of the unchanged files keeps the identities apart.
    scan(engine, settings)
    assert {p: i.fingerprint for p, i in _items(engine).items()} == fps


def test_true_duplicates_are_not_a_collision(
    settings: Settings, engine: Engine, media: Path, caplog: pytest.LogCaptureFixture
) -> None:
    factory.jpeg(media / "one.jpg", (300, 200), seed=4)
    shutil.copy(media / "one.jpg", media / "two.jpg")
    scan(engine, settings)
    with caplog.at_level(logging.WARNING, logger="mediashelf.worker"):
        _run_hashes(settings, engine)
    items = _items(engine)
    assert items["one.jpg"].fingerprint == items["two.jpg"].fingerprint
    assert items["one.jpg"].full_hash == items["two.jpg"].full_hash is not None
    assert "collision" not in caplog.text


def test_a_changed_file_is_hashed_again(settings: Settings, engine: Engine, media: Path) -> None:
    path = factory.jpeg(media / "c.jpg", (300, 200), seed=5)
    scan(engine, settings)
    _run_hashes(settings, engine)
    first = _items(engine)["c.jpg"].full_hash
    factory.jpeg(path, (320, 200), seed=6)
    scan(engine, settings)
    assert _items(engine)["c.jpg"].full_hash is None  # stale hash dropped by the scan
    _run_hashes(settings, engine)
    assert _items(engine)["c.jpg"].full_hash not in (None, first)

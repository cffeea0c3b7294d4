"""Scans as jobs: the watcher's inline scans, and the safety-net rescan without a watcher."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, select, update

from mediashelf.config import Settings
from mediashelf.db.models import Item, Job, Root
from mediashelf.jobs import store
from mediashelf.jobs.kinds import scan_job, scan_now
from mediashelf.jobs.queue import Jobs
from mediashelf.library.scan import scan
from tests import factory


def _jobs(engine: Engine, kind: str) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(Job.id).where(Job.kind == kind)).scalars())


def test_a_batch_plans_thumbnails_only_for_what_it_touched(
    settings: Settings, engine: Engine, media: Path
) -> None:
    for n in range(3):
        factory.jpeg(media / f"old{n}.jpg", seed=n + 1)
    scan(engine, settings)  # three images without thumbnails, and no jobs for them
    new = factory.jpeg(media / "new.jpg", seed=9)
    assert scan_now(Jobs(settings, engine), [str(new)]) is True
    with engine.connect() as conn:
        new_id = conn.execute(select(Item.id).where(Item.rel_path == "new.jpg")).scalar_one()
        planned = conn.execute(select(Job.item_id).where(Job.kind == "thumbnail")).scalars()
        assert list(planned) == [new_id]


def test_a_due_pending_scan_is_run_first(settings: Settings, engine: Engine, media: Path) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    jobs = Jobs(settings, engine)
    # A scan left queued for a retry (an earlier batch failed), its back-off over.
    [(left, _, _)] = store.create(engine, [scan_job(store.USER, [str(media / "a.jpg")])])
    b = factory.jpeg(media / "b.jpg", seed=2)
    assert scan_now(jobs, [str(b)]) is False  # it ran the waiting scan, with b added
    done = store.get(engine, left)
    assert done is not None and done.status == "done"
    assert json.loads(done.params)["paths"] == sorted([str(media / "a.jpg"), str(b)])
    with engine.connect() as conn:
        assert set(conn.execute(select(Item.rel_path)).scalars()) == {"a.jpg", "b.jpg"}
    assert scan_now(jobs, [str(b)]) is True  # the caller's own try, now free


def test_safety_net_rescan_without_a_watcher(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    watching = Jobs(settings.model_copy(update={"watch": True}), engine)
    watching.maintain()
    assert _jobs(engine, "scan") == []  # the watcher does its own rescans

    unwatched = Jobs(settings.model_copy(update={"watch": False, "rescan_interval": 3600}), engine)
    unwatched.maintain()  # never scanned: due
    assert len(_jobs(engine, "scan")) == 1
    unwatched.huey.flush()
    with engine.begin() as conn:
        conn.execute(update(Job).values(status="done"))
    scan(engine, settings)  # just scanned: not due for an hour
    unwatched.maintain()
    assert len(_jobs(engine, "scan")) == 1
    with engine.begin() as conn:  # a day later
        conn.execute(update(Root).values(last_scan_at=datetime(2000, 1, 1)))
    unwatched.maintain()
    assert len(_jobs(engine, "scan")) == 2

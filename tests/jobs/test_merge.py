"""Asking again for pending work: options merge in, and quarantine ends once it is done."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine, update

from mediashelf.config import Settings
from mediashelf.db.models import Job
from mediashelf.jobs import store
from mediashelf.jobs.kinds import quarantined
from mediashelf.jobs.store import NewJob


def test_a_forced_request_upgrades_the_waiting_job(engine: Engine) -> None:
    [(first, created, _)] = store.create(engine, [NewJob("thumbnail", "thumbnail:a", "item", 1)])
    [(again, created_again, _)] = store.create(
        engine, [NewJob("thumbnail", "thumbnail:a", "item", 1, params={"force": True})]
    )
    assert (again, created, created_again) == (first, True, False)
    job = store.get(engine, first)
    assert job is not None and json.loads(job.params) == {"force": True}


def test_quarantine_ends_when_the_work_is_done_later(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    [(failed, _, _)] = store.create(engine, [NewJob("thumbnail", "thumbnail:b", "item", 2)])
    with engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == failed).values(status="failed"))
    assert quarantined(engine, "thumbnail") == {"thumbnail:b"}
    [(forced, _, _)] = store.create(
        engine, [NewJob("thumbnail", "thumbnail:b", "item", 2, params={"force": True})]
    )
    with engine.begin() as conn:
        conn.execute(update(Job).where(Job.id == forced).values(status="done"))
    assert quarantined(engine, "thumbnail") == frozenset()

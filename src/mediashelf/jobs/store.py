"""The jobs table: create, claim, renew, finish, fail, cancel, retry.

Every state change is one conditional UPDATE, so two workers can never both
own a job: a claim succeeds only on a queued row, and a running job's
updates succeed only for the worker that holds it. Each change also appends
an event (library/events.py) for the live stream.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from mediashelf.db.models import PENDING, PENDING_SQL, Job, SettingValue
from mediashelf.library.clock import utcnow
from mediashelf.library.events import emit

# Priorities: higher runs first.
IDLE = -10  # work nobody waits for: full hashes
BACKGROUND = 0  # bulk work: a scan's new thumbnails, a rescan
USER = 10  # someone is waiting: a manual "generate", the page they are on


FEW = 20  # up to this many new jobs get an event each


@dataclass(frozen=True)
class NewJob:
    kind: str
    dedupe_key: str
    target: str = "library"  # library | folder | item
    item_id: int | None = None
    root_id: int | None = None
    path: str | None = None
    params: dict[str, Any] | None = None
    priority: int = BACKGROUND


def create(engine: Engine, jobs: list[NewJob]) -> list[tuple[int, bool, int | None]]:
    """Queue jobs unless the same work is already pending.

    Returns (job id, created, priority to send it at) for each. A duplicate
    gives the pending job's id, raised to the new priority if that is higher
    (then it is sent again at that priority); otherwise nothing needs sending.
    """
    if not jobs:
        return []
    now = utcnow()
    rows = [
        {
            "kind": j.kind,
            "target": j.target,
            "item_id": j.item_id,
            "root_id": j.root_id,
            "path": j.path,
            "params": json.dumps(j.params or {}, sort_keys=True),
            "dedupe_key": j.dedupe_key,
            "priority": j.priority,
            "status": "queued",
            "progress": 0.0,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for j in jobs
    ]
    insert_ = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    pending = Job.status.in_(PENDING)
    out: list[tuple[int, bool, int | None]] = []
    leftovers: list[NewJob] = []
    fresh: Counter[str] = Counter()
    with engine.begin() as conn:
        for start in range(0, len(rows), 500):
            chunk, asked = rows[start : start + 500], jobs[start : start + 500]
            stmt = (
                insert_(Job)
                .on_conflict_do_nothing(index_elements=["dedupe_key"], index_where=PENDING_SQL)
                .returning(Job.id, Job.dedupe_key)
            )
            # executemany with RETURNING (SQLAlchemy's "insertmanyvalues"): inserted rows only.
            made: dict[str, int] = {key: id_ for id_, key in conn.execute(stmt, chunk)}
            existing: dict[str, tuple[int, int, str, str]] = {}
            missing = [j.dedupe_key for j in asked if j.dedupe_key not in made]
            if missing:
                query = select(Job.id, Job.dedupe_key, Job.priority, Job.status, Job.params).where(
                    Job.dedupe_key.in_(missing), pending
                )
                existing = {r[1]: (r[0], r[2], r[3], r[4]) for r in conn.execute(query)}
            for j in asked:
                if j.dedupe_key in made:
                    out.append((made[j.dedupe_key], True, j.priority))
                    fresh[j.kind] += 1
                    if len(jobs) <= FEW:
                        emit(conn, "job", id=made[j.dedupe_key], kind=j.kind, status="queued")
                elif j.dedupe_key in existing:
                    id_, prio, status, params = existing[j.dedupe_key]
                    if j.params and status == "queued":
                        # Asked again with more (force=True, say): the waiting job does that.
                        merged = json.dumps(_merge(json.loads(params), j.params), sort_keys=True)
                        if merged != params:
                            conn.execute(update(Job).where(Job.id == id_).values(params=merged))
                    raised = j.priority > prio
                    if raised:
                        conn.execute(
                            update(Job)
                            .where(Job.id == id_)
                            .values(priority=j.priority, updated_at=now)
                        )
                    out.append((id_, False, j.priority if raised else None))
                else:
                    leftovers.append(j)
        if len(jobs) > FEW:  # bulk work: one event per kind, not one per job
            for kind, n in fresh.items():
                emit(conn, "jobs", kind=kind, queued=n)
    if leftovers:  # their pending twin ended between our insert and our look-up: try again
        return [*out, *create(engine, leftovers)]
    return out


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The params of a waiting job asked for again: new options win; scopes add up
    (`paths`: the union; no paths, a whole-library scan, covers everything)."""
    out = {**old, **new}
    if "paths" in old or "paths" in new:
        if old.get("paths") and new.get("paths"):
            out["paths"] = sorted(set(old["paths"]) | set(new["paths"]))
        else:
            out.pop("paths", None)
    return out


def bump(engine: Engine, dedupe_key: str, priority: int) -> list[tuple[int, int]]:
    """Raise a queued job's priority (someone is waiting for it); (id, priority) of the
    raised ones, to be sent again at that priority."""
    query = (
        update(Job)
        .where(Job.dedupe_key == dedupe_key, Job.status == "queued", Job.priority < priority)
        .values(priority=priority, updated_at=utcnow())
        .returning(Job.id)
    )
    with engine.begin() as conn:
        return [(job_id, priority) for job_id in conn.execute(query).scalars()]


def get(engine: Engine, job_id: int) -> Job | None:
    with Session(engine) as session:
        return session.get(Job, job_id)


def _change(conn: Connection, job_id: int, where: Any, **values: Any) -> bool:
    values["updated_at"] = utcnow()
    done = conn.execute(update(Job).where(Job.id == job_id, where).values(**values)).rowcount == 1
    if done and "status" in values:
        kind = conn.execute(select(Job.kind).where(Job.id == job_id)).scalar()
        emit(
            conn,
            "job",
            id=job_id,
            kind=kind,
            status=values["status"],
            error=values.get("error"),
        )
    return done


def claim(
    engine: Engine,
    job_id: int,
    worker: str,
    lease_s: float,
    limits: dict[str, int] | None = None,
) -> Job | None:
    """Take a queued job whose time has come; None if it is not there to take.

    `limits` (JOB_LIMITS): a job of a kind that already has that many running
    is not taken (see `at_limit`).
    """
    now = utcnow()
    where = and_(Job.status == "queued", or_(Job.run_after.is_(None), Job.run_after <= now))
    with engine.begin() as conn:
        limit = _limit_for(conn, job_id, limits)
        if limit is not None:
            if conn.dialect.name == "postgresql":
                # Claims of one limited kind take turns, or two could both see a free slot.
                conn.execute(select(func.pg_advisory_xact_lock(func.hashtext(limit[0]))))
            where = and_(where, _running_count(limit[0]) < limit[1])
        ok = _change(
            conn,
            job_id,
            where,
            status="running",
            attempts=Job.attempts + 1,
            worker=worker,
            lease_until=now + timedelta(seconds=lease_s),
            started_at=now,
            progress=0.0,
            message=None,
        )
    return get(engine, job_id) if ok else None


def _limit_for(
    conn: Connection, job_id: int, limits: dict[str, int] | None
) -> tuple[str, int] | None:
    if not limits:
        return None
    kind = conn.execute(select(Job.kind).where(Job.id == job_id)).scalar()
    return (kind, limits[kind]) if kind in limits else None


def _running_count(kind: str) -> Any:
    other = aliased(Job)
    return (
        select(func.count())
        .select_from(other)
        .where(other.kind == kind, other.status == "running")
        .scalar_subquery()
    )


def limit_wait(engine: Engine, job_id: int, limits: dict[str, int]) -> float | None:
    """Seconds before trying again a queued, due job that waits only for a free slot of
    its kind (JOB_LIMITS); None if that is not why it was not taken.

    The wait grows with the kind's backlog, so that its queued jobs together wake
    about `limit` times a second instead of spinning the workers through them.
    """
    now = utcnow()
    with engine.connect() as conn:
        limit = _limit_for(conn, job_id, limits)
        if limit is None:
            return None
        kind, most = limit
        waiting = conn.execute(
            select(Job.id).where(
                Job.id == job_id,
                Job.status == "queued",
                or_(Job.run_after.is_(None), Job.run_after <= now),
                _running_count(kind) >= most,
            )
        ).first()
        if waiting is None:
            return None
        backlog = conn.execute(
            select(func.count()).where(Job.kind == kind, Job.status == "queued")
        ).scalar_one()
    return max(1.0, backlog / most)


def _held(worker: str) -> Any:
    return and_(Job.status == "running", Job.worker == worker)


def renew(
    engine: Engine,
    job_id: int,
    worker: str,
    lease_s: float,
    progress: float | None = None,
    message: str | None = None,
    done: int | None = None,
    total: int | None = None,
) -> bool:
    """Extend the lease (and record progress: the `progress` event carries `done` and
    `total` when `done` is given). False: the job is no longer ours (cancelled)."""
    values: dict[str, Any] = {"lease_until": utcnow() + timedelta(seconds=lease_s)}
    if progress is not None:
        values["progress"] = max(0.0, min(1.0, progress))
    if message is not None:
        values["message"] = message[:500]
    with engine.begin() as conn:
        ok = _change(conn, job_id, _held(worker), **values)
        if ok and progress is not None:
            counts = {"done": done, "total": total} if done is not None else {}
            emit(
                conn, "progress", id=job_id, progress=values["progress"], message=message, **counts
            )
    return ok


def finish(engine: Engine, job_id: int, worker: str, message: str | None = None) -> bool:
    with engine.begin() as conn:
        return _change(
            conn,
            job_id,
            _held(worker),
            status="done",
            progress=1.0,
            message=message,
            error=None,
            lease_until=None,
            finished_at=utcnow(),
        )


def fail(
    engine: Engine,
    job_id: int,
    worker: str,
    error: str,
    *,
    max_attempts: int,
    retry_delay: float,
    permanent: bool = False,
) -> float | None:
    """Record a failure. Returns the delay before the retry, or None: given up (quarantined)."""
    job = get(engine, job_id)
    if job is None:
        return None
    now = utcnow()
    with engine.begin() as conn:
        if permanent or job.attempts >= max_attempts:
            _change(
                conn,
                job_id,
                _held(worker),
                status="failed",
                error=error[:2000],
                lease_until=None,
                finished_at=now,
            )
            return None
        delay = retry_delay * 2 ** (job.attempts - 1)
        ok = _change(
            conn,
            job_id,
            _held(worker),
            status="queued",
            error=error[:2000],
            lease_until=None,
            run_after=now + timedelta(seconds=delay),
        )
    return delay if ok else None


def expire_leases(
    engine: Engine, max_attempts: int, only: int | None = None
) -> list[tuple[int, int]]:
    """Running jobs whose worker stopped renewing: queued again, or failed after the last try.

    `only`: this job, whose worker is known to be dead, whatever its lease says.
    Returns (id, priority) of the jobs queued again, to be sent to the queue.
    """
    now = utcnow()
    if only is not None:
        with engine.begin() as conn:
            conn.execute(
                update(Job)
                .where(Job.id == only, Job.status == "running")
                .values(lease_until=now - timedelta(seconds=1))
            )
    query = select(Job.id, Job.attempts, Job.priority).where(
        Job.status == "running", Job.lease_until < now
    )
    back: list[tuple[int, int]] = []
    with engine.begin() as conn:
        for id_, attempts, priority in conn.execute(query).all():
            lost = and_(Job.status == "running", Job.lease_until < now)
            error = "the worker running it stopped (killed, or its machine went away)"
            if attempts >= max_attempts:
                _change(conn, id_, lost, status="failed", error=error, finished_at=now)
            elif _change(conn, id_, lost, status="queued", error=error, lease_until=None):
                back.append((id_, priority))
    return back


def stale_queued(engine: Engine, older_than: timedelta) -> list[tuple[int, int]]:
    """Queued jobs nothing has touched for a while, whose wake-up may have been lost."""
    now = utcnow()
    query = select(Job.id, Job.priority).where(
        Job.status == "queued",
        Job.updated_at < now - older_than,
        or_(Job.run_after.is_(None), Job.run_after <= now),
    )
    with engine.connect() as conn:
        return [(r.id, r.priority) for r in conn.execute(query)]


def cancel(engine: Engine, job_id: int) -> bool:
    """Cancel a queued or running job. A running one stops at its next lease renewal."""
    with engine.begin() as conn:
        return _change(
            conn,
            job_id,
            Job.status.in_(PENDING),
            status="cancelled",
            lease_until=None,
            finished_at=utcnow(),
        )


def retry(engine: Engine, where: Any) -> list[tuple[int, int]]:
    """Queue failed or cancelled jobs again, attempts reset; (id, priority) of each.

    A job whose work is pending again under another job stays as it is.
    """
    query = select(Job.id, Job.dedupe_key, Job.priority).where(
        Job.status.in_(("failed", "cancelled")), where
    )
    back: list[tuple[int, int]] = []
    with engine.begin() as conn:
        for id_, key, priority in conn.execute(query).all():
            busy = conn.execute(
                select(func.count()).where(Job.dedupe_key == key, Job.status.in_(PENDING))
            ).scalar_one()
            if busy:
                continue
            ok = _change(
                conn,
                id_,
                Job.status.in_(("failed", "cancelled")),
                status="queued",
                attempts=0,
                run_after=None,
                finished_at=None,
                progress=0.0,
            )
            if ok:
                back.append((id_, priority))
    return back


def depth(engine: Engine) -> dict[str, dict[str, int]]:
    """{kind: {status: count}} over pending and failed jobs."""
    query = (
        select(Job.kind, Job.status, func.count())
        .where(Job.status.in_((*PENDING, "failed")))
        .group_by(Job.kind, Job.status)
    )
    out: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for kind, status, n in conn.execute(query):
            out.setdefault(kind, {"queued": 0, "running": 0, "failed": 0})[status] = n
    return out


# -- soft pause ------------------------------------------------------------------

_PAUSED = "jobs.paused"


def set_paused(engine: Engine, paused: bool) -> None:
    insert_ = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    stmt = insert_(SettingValue).values(key=_PAUSED, value=json.dumps(paused), updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"], set_={"value": json.dumps(paused), "updated_at": now}
    )
    with engine.begin() as conn:
        conn.execute(stmt)
        emit(conn, "jobs", paused=paused)


def is_paused(engine: Engine) -> bool:
    with engine.connect() as conn:
        raw = conn.execute(select(SettingValue.value).where(SettingValue.key == _PAUSED)).scalar()
    return bool(raw and json.loads(raw))

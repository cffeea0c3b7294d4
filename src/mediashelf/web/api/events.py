"""GET /api/v1/events: the live stream (Server-Sent Events) of job progress and
library changes, read from the events table (library/events.py).

Each event is sent as `id: N`, `event: TYPE`, `data: JSON`. A browser's
EventSource reconnects by itself and sends the last id it saw as
Last-Event-ID, so it misses nothing that is still kept; `?since=N` does the
same for clients that cannot set the header. With neither, the stream starts
with what happens after the request.

The events (`type`: the JSON data; the emit() calls in jobs/store.py, jobs/kinds.py):

- `job` {id, kind, status, error?}: a job was queued, started, finished, failed,
  cancelled, or queued again for a retry.
- `progress` {id, progress, message}: a running job's fraction done (0..1) and a line for
  people. A scan's also carry `done` (files looked at) and `total` (the files its walks
  found; null while a walk is still counting them): `done` grows to `total`.
- `jobs` {kind, queued}: many jobs of a kind queued at once; {paused}: the queue was
  paused or resumed.
- `library` {job, paths, new, changed, moved, missing, errors}: what a scan changed.

The stream polls the table every POLL_S seconds, each time on a pooled
connection taken for that one query: an idle stream holds no database
connection. No authentication yet (a later issue).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from mediashelf.library import events
from mediashelf.web.security import access

router = APIRouter(tags=["events"])
log = logging.getLogger("mediashelf.web")

POLL_S = 0.5  # how often the table is read
HEARTBEAT_S = 15.0  # a comment after this long without an event, so proxies keep the line open
RETRY_MS = 2000  # how soon a browser reconnects after the line drops
BATCH = 500  # events read at once; a full batch is followed at once by the next
# An id missing below newer ones may be an insert whose transaction has not committed
# yet (PostgreSQL hands out ids before commit): wait this long for it before moving on.
GAP_WAIT_S = 5.0

MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def _resume_id(header: str | None, since: int | None) -> int | None:
    """Where to resume: the Last-Event-ID header, else ?since=, else None (from now)."""
    if header is not None and header.strip():
        value = header.strip()
        if not _DIGITS.fullmatch(value) or int(value) > MAX_ID:
            raise HTTPException(400, "Last-Event-ID must be an event id sent by this stream")
        return int(value)
    return since


def _format(id_: int, type_: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.splitlines() or [""])
    return f"id: {id_}\nevent: {type_}\n{lines}\n"


async def _stream(request: Request, engine: Engine, last: int) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n\n"  # also gets the response under way at once
    quiet_since = time.monotonic()
    gap_since: float | None = None
    while not await request.is_disconnected():
        try:
            rows = await run_in_threadpool(events.since, engine, last, BATCH)
        except SQLAlchemyError as exc:  # the browser reconnects and resumes from `last`
            log.warning("event stream ended: the database failed: %s", exc)
            return
        now = time.monotonic()
        out: list[str] = []
        for id_, type_, data in rows:
            if id_ > last + 1:
                gap_since = gap_since if gap_since is not None else now
                if now - gap_since < GAP_WAIT_S:
                    break
            gap_since = None
            out.append(_format(id_, type_, data))
            last = id_
        if out:
            yield "".join(out)
            quiet_since = now
            if len(rows) == BATCH and len(out) == len(rows):
                continue
        elif now - quiet_since >= HEARTBEAT_S:
            yield ": ping\n\n"
            quiet_since = now
            try:
                newest = await run_in_threadpool(events.last_id, engine)
            except SQLAlchemyError:
                newest = last
            if newest < last:
                # Ids started again (SQLite reuses them once pruning empties the table).
                last = 0
        await anyio.sleep(POLL_S)


@router.get(
    "/events",
    openapi_extra=access("read"),
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "The event stream"}},
)
async def stream_events(
    request: Request,
    since: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Resume after this event id")
    ] = None,
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> StreamingResponse:
    """Job progress and library changes as they happen (text/event-stream)."""
    engine: Engine = request.app.state.engine
    last = _resume_id(last_event_id, since)
    newest = await run_in_threadpool(events.last_id, engine)
    if last is None:
        last = newest
    elif last > newest:
        last = 0  # ids started again since the client's last one (see above): all is new
    return StreamingResponse(
        _stream(request, engine, last),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
    )

"""The live event stream (/api/v1/events), read by a real client from a real server.

Starlette's TestClient cannot be trusted with an endless response, so each
test runs uvicorn in a thread on a free port and reads with httpx.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from mediashelf.config import Settings
from mediashelf.library import events
from mediashelf.web.api import events as events_api
from mediashelf.web.app import create_app
from tests.conftest import add_key
from tests.serving import live_server

TIMEOUT = httpx.Timeout(5.0)  # no read waits longer: a broken stream fails, never hangs


@dataclass
class Live:
    url: str
    app: FastAPI
    key: str
    server: uvicorn.Server

    def client(self) -> httpx.Client:
        headers = {"authorization": f"Bearer {self.key}"}
        return httpx.Client(base_url=self.url, timeout=TIMEOUT, headers=headers)


@pytest.fixture
def live(settings: Settings, engine: Engine) -> Iterator[Live]:
    app = create_app(settings)
    try:
        with live_server(app) as (url, server):
            yield Live(url, app, add_key(app, "admin"), server)
    finally:
        app.state.engine.dispose()


class Reader:
    """The blocks of an SSE stream: {"id", "event", "data"} or {"comment"} or {"retry"}."""

    def __init__(self, resp: httpx.Response) -> None:
        self.lines = resp.iter_lines()

    def block(self) -> dict[str, Any]:
        block: dict[str, Any] = {}
        for line in self.lines:
            if line == "":
                if block:
                    return block
                continue
            if line.startswith(":"):
                block["comment"] = line[1:].strip()
                continue
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "data":
                block["data"] = json.loads(value)
            elif field == "id":
                block["id"] = int(value)
            else:
                block[field] = value
        raise AssertionError("the stream ended")

    def events_until(
        self, last: Callable[[dict[str, Any]], bool], within: float = 10.0
    ) -> list[dict[str, Any]]:
        """The events read up to the first for which `last` is true."""
        got = []
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            block = self.block()
            if "id" in block:
                got.append(block)
                if last(block):
                    return got
        raise AssertionError(f"not there in {within} s; got {got}")


def emit(engine: Engine, type_: str = "test", **data: Any) -> int:
    with engine.begin() as conn:
        events.emit(conn, type_, **data)
    return events.last_id(engine)


def is_marker(block: dict[str, Any]) -> bool:
    return block["event"] == "test" and block["data"].get("marker") is True


@contextmanager
def stream(
    client: httpx.Client, headers: dict[str, str] | None = None, **params: Any
) -> Iterator[Reader]:
    with client.stream("GET", "/api/v1/events", headers=headers, params=params) as resp:
        assert resp.status_code == 200, resp.read()
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert resp.headers["cache-control"] == "no-cache"
        reader = Reader(resp)
        assert reader.block() == {"retry": str(events_api.RETRY_MS)}
        yield reader


def test_a_client_receives_what_happens_after_it_connects(live: Live, engine: Engine) -> None:
    emit(engine, n="before")
    with live.client() as client, stream(client) as reader:
        resp = client.post("/api/v1/admin/rescan")  # on this server, while the stream is open
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["job"]["id"]
        got = reader.events_until(lambda e: e["event"] == "job")
        client.post(f"/api/v1/admin/jobs/{job_id}/cancel")
        got += reader.events_until(lambda e: e["data"].get("status") == "cancelled")
    assert [(e["event"], e["data"]["id"], e["data"]["status"]) for e in got] == [
        ("job", job_id, "queued"),
        ("job", job_id, "cancelled"),
    ]
    assert got[0]["data"]["kind"] == "scan"
    assert got[1]["id"] == got[0]["id"] + 1 == events.last_id(engine)


def test_last_event_id_resumes_without_loss_or_duplicates(live: Live, engine: Engine) -> None:
    ids = [emit(engine, n=n) for n in range(5)]
    with live.client() as client:
        with stream(client, {"Last-Event-ID": str(ids[1])}) as reader:
            got = reader.events_until(lambda e: e["data"].get("n") == 4)
            assert [e["id"] for e in got] == ids[2:]
            assert [e["data"] for e in got] == [{"n": 2}, {"n": 3}, {"n": 4}]
            ids.append(emit(engine, n=5))
            got = reader.events_until(lambda e: e["data"].get("n") == 5)
            assert [e["id"] for e in got] == ids[5:]
        # Disconnected: what happens meanwhile comes on the next connection.
        ids += [emit(engine, n=n) for n in (6, 7)]
        for how in ({"headers": {"Last-Event-ID": str(ids[5])}}, {"since": ids[5]}):
            with stream(client, **how) as reader:  # type: ignore[arg-type]
                ids.append(emit(engine, marker=True))
                got = reader.events_until(lambda e: e["id"] == ids[-1])
            assert [e["id"] for e in got] == ids[6:], how
        # The header wins over ?since= (a browser keeps its first URL).
        with stream(client, {"Last-Event-ID": str(ids[-1])}, since=0) as reader:
            marker = emit(engine, marker=True)
            assert [e["id"] for e in reader.events_until(is_marker)] == [marker]


def test_resume_from_the_start(live: Live, engine: Engine) -> None:
    first = emit(engine, n=0)
    with live.client() as client, stream(client, since=0) as reader:
        got = reader.events_until(lambda e: e["data"].get("n") == 0)
    assert [e["id"] for e in got] == [first]


def test_many_events_arrive_in_order(
    live: Live, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_api, "BATCH", 7)  # several batches
    start = events.last_id(engine)
    with engine.begin() as conn:
        for n in range(30):
            events.emit(conn, "test", n=n)
    with live.client() as client, stream(client, since=start) as reader:
        got = reader.events_until(lambda e: e["data"].get("n") == 29)
    assert [e["data"]["n"] for e in got] == list(range(30))


@pytest.mark.parametrize(
    ("headers", "params"),
    [
        ({"Last-Event-ID": "abc"}, {}),
        ({"Last-Event-ID": "-1"}, {}),
        ({"Last-Event-ID": "1.5"}, {}),
        ({"Last-Event-ID": b"\xb2"}, {}),  # '²' in latin-1: isdigit(), but no digit
        ({"Last-Event-ID": str(2**63)}, {}),
        ({"Last-Event-ID": "1" * 50}, {}),
        ({}, {"since": "-1"}),
        ({}, {"since": "abc"}),
        ({}, {"since": str(2**63)}),
    ],
)
def test_bad_resume_points_are_refused(
    live: Live, headers: dict[str, str | bytes], params: dict[str, str]
) -> None:
    with live.client() as client:
        # A refusal, not a stream: no read to bound tightly (a loaded CI machine once
        # took over 5 s to answer a new app's first request).
        resp = client.get("/api/v1/events", headers=headers, params=params, timeout=60)
    assert resp.status_code == 400, resp.text
    assert resp.headers["content-type"] == "application/json"


def test_heartbeat_while_nothing_happens(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events_api, "HEARTBEAT_S", 0.3)
    with live.client() as client, stream(client) as reader:
        assert reader.block() == {"comment": "ping"}
        assert reader.block() == {"comment": "ping"}


def test_an_idle_stream_holds_no_database_connection(live: Live) -> None:
    pool = live.app.state.engine.pool
    with live.client() as client, stream(client):
        time.sleep(0.6)  # a poll or two
        held = []
        for _ in range(20):
            held.append(pool.checkedout())
            time.sleep(0.05)
    assert sum(held) <= 2, held  # a poll takes one for a moment, no more


def test_the_stream_stops_when_the_client_goes(live: Live) -> None:
    tasks = live.server.server_state.tasks
    with live.client() as client:
        with stream(client):
            assert len(tasks) == 1  # this request's
        deadline = time.monotonic() + 5
        while tasks and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not tasks, "the stream went on after its client left"


def test_events_that_commit_late_are_not_skipped(
    live: Live, engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL gives out ids before commit: a stream that had moved past a
    later-committing event would never send it."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite writes one transaction at a time: ids commit in order")
    with live.client() as client, stream(client) as reader:
        slow = engine.connect()
        try:
            txn = slow.begin()
            events.emit(slow, "test", n="slow")  # id N, not committed yet
            fast = emit(engine, n="fast")  # id N+1, committed
            time.sleep(1.0)  # polls see N+1 but not N
            txn.commit()
        finally:
            slow.close()
        got = reader.events_until(lambda e: e["data"].get("n") == "fast")
        assert [(e["id"], e["data"]["n"]) for e in got] == [(fast - 1, "slow"), (fast, "fast")]

        # A gap that never fills (a rolled-back insert) holds the stream back only a while.
        monkeypatch.setattr(events_api, "GAP_WAIT_S", 0.5)
        with engine.connect() as conn:
            txn = conn.begin()
            events.emit(conn, "test", n="lost")
            txn.rollback()
        after = emit(engine, n="after")
        got = reader.events_until(lambda e: e["data"].get("n") == "after")
        assert [e["id"] for e in got] == [after]

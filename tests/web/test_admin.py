"""The admin jobs API: rescan, generate, jobs (list, cancel, retry), queue, pause."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from mediashelf.config import Settings
from mediashelf.db.models import Event, Item, Job
from mediashelf.jobs import queue, store
from mediashelf.jobs.kinds import KINDS, thumbnail_jobs
from mediashelf.jobs.queue import Jobs
from mediashelf.jobs.runner import run_job
from mediashelf.jobs.store import BACKGROUND, USER, NewJob
from mediashelf.library import events
from mediashelf.library.scan import scan
from mediashelf.web.api.admin import JobKind
from mediashelf.web.app import create_app
from tests import factory
from tests.conftest import make_settings, signed_in

API = "/api/v1/admin"
WORKER = "test:1"
JSON = {"content-type": "application/json"}


def detail(resp: Any, status: int) -> Any:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/json"
    return resp.json()["detail"]


def job_row(engine: Engine, job_id: int) -> Job:
    job = store.get(engine, job_id)
    assert job is not None
    return job


def queued_messages(jobs: Jobs) -> list[int]:
    """Job ids of the waiting queue messages, in the order workers get them (drains it)."""
    out = []
    while (task := jobs.huey.dequeue()) is not None:
        out.append(task.args[0])
    return out


def fail_for_good(engine: Engine, job_id: int, error: str = "broken file") -> None:
    assert store.claim(engine, job_id, WORKER, 60) is not None
    store.fail(engine, job_id, WORKER, error, max_attempts=1, retry_delay=0, permanent=True)
    assert job_row(engine, job_id).status == "failed"


def item_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {rel: id_ for id_, rel in conn.execute(select(Item.id, Item.rel_path))}


@pytest.fixture
def jobs(client: TestClient) -> Jobs:
    app_jobs: Jobs = client.app.state.jobs  # type: ignore[attr-defined]
    return app_jobs


@pytest.fixture
def photos(media: Path, settings: Settings, engine: Engine) -> dict[str, int]:
    """Four distinct photos, scanned: {relative path: item id}."""
    for n, rel in enumerate(["a.jpg", "b.jpg", "sub/c.jpg", "sub/deep/d.jpg"]):
        factory.jpeg(media / rel, seed=n + 1)
    scan(engine, settings)
    return item_ids(engine)


# -- rescan ----------------------------------------------------------------------


def test_rescan_answers_202_with_the_queued_job(
    client: TestClient, engine: Engine, jobs: Jobs
) -> None:
    resp = client.post(f"{API}/rescan")
    assert resp.status_code == 202, resp.text
    job = resp.json()["job"]
    assert (job["kind"], job["status"], job["target"]) == ("scan", "queued", "library")
    assert job["priority"] == BACKGROUND
    row = job_row(engine, job["id"])
    assert (row.kind, row.status, row.dedupe_key) == ("scan", "queued", "scan")
    assert queued_messages(jobs) == [job["id"]]  # a worker is woken for it


def test_a_second_rescan_is_refused_naming_the_pending_one(
    client: TestClient, engine: Engine, media: Path
) -> None:
    (media / "sub").mkdir()
    first = client.post(f"{API}/rescan", json={}).json()["job"]["id"]
    for body in [None, {"path": "sub"}]:
        resp = client.post(f"{API}/rescan", json=body)
        assert f"job {first}" in detail(resp, 409)
        assert "queued" in resp.json()["detail"]
        assert resp.json()["job"]["id"] == first
    assert store.claim(engine, first, WORKER, 60) is not None  # a worker runs it
    resp = client.post(f"{API}/rescan")
    assert f"already running (job {first})" in detail(resp, 409)
    with engine.connect() as conn:
        assert conn.execute(select(Job.id).where(Job.kind == "scan")).scalars().all() == [first]

    assert client.post(f"{API}/jobs/{first}/cancel").status_code == 200
    resp = client.post(f"{API}/rescan")
    assert resp.status_code == 202, resp.text
    assert resp.json()["job"]["id"] != first


def test_rescan_of_a_sub_path(client: TestClient, engine: Engine, media: Path) -> None:
    factory.jpeg(media / "trips" / "x.jpg")
    real = os.path.realpath(media / "trips")
    for path, expected in [
        ("trips", [real]),
        ("trips/", [real]),
        ("./trips/../trips", [real]),
        (str(media / "trips"), [real]),
        ("trips/x.jpg", [os.path.join(real, "x.jpg")]),
    ]:
        resp = client.post(f"{API}/rescan", json={"path": path})
        assert resp.status_code == 202, (path, resp.text)
        job = resp.json()["job"]
        assert (job["target"], job["params"]) == ("folder", {"paths": expected})
        assert json.loads(job_row(engine, job["id"]).params) == {"paths": expected}
        client.post(f"{API}/jobs/{job['id']}/cancel")


def test_rescan_paths_outside_the_library_are_refused(
    client: TestClient, engine: Engine, media: Path, tmp_path: Path
) -> None:
    (media / "sub").mkdir()
    outside = tmp_path / "outside"
    factory.jpeg(outside / "secret.jpg")
    (media / "escape").symlink_to(outside)
    for path in [
        "..",
        "../outside",
        "sub/../../outside",
        "escape",  # a link out of the root
        "escape/secret.jpg",
        str(outside),
        str(media / ".." / "outside"),
        "/etc",
        "/",
        "sub\\..\\..\\outside",
        "nowhere",
        "sub/nowhere",
    ]:
        assert "in the library roots" in detail(
            client.post(f"{API}/rescan", json={"path": path}), 404
        ), path
    for path, status in [
        ("", 422),
        ("sub\x00", 422),
        ("x" * 5000, 422),
        (7, 422),
        (["sub"], 422),
    ]:
        resp = client.post(f"{API}/rescan", json={"path": path})
        assert resp.status_code == status, (path, resp.text)
    assert client.post(f"{API}/rescan", json={"paths": ["sub"]}).status_code == 422
    assert client.post(f"{API}/rescan", content=b"{", headers=JSON).status_code == 422
    with engine.connect() as conn:
        assert conn.execute(select(Job.id)).first() is None  # nothing was queued


def test_rescan_relative_path_in_several_roots(tmp_path: Path, db_url: str) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    factory.jpeg(one / "2020" / "a.jpg")
    factory.jpeg(two / "2020" / "b.jpg")
    factory.jpeg(two / "2021" / "c.jpg")
    settings = make_settings(tmp_path, one, db_url, media_dir=[one, two])
    app = create_app(settings)
    try:
        with signed_in(app) as client:
            both = client.post(f"{API}/rescan", json={"path": "2020"}).json()["job"]
            assert both["params"]["paths"] == [
                os.path.realpath(one / "2020"),
                os.path.realpath(two / "2020"),
            ]
            client.post(f"{API}/jobs/{both['id']}/cancel")
            only = client.post(f"{API}/rescan", json={"path": "2021"}).json()["job"]
            assert only["params"]["paths"] == [os.path.realpath(two / "2021")]
    finally:
        app.state.engine.dispose()


def test_a_scan_job_emits_a_library_event(
    client: TestClient, engine: Engine, media: Path, jobs: Jobs
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(media / "b.jpg", seed=2)
    before = events.last_id(engine)
    job_id = client.post(f"{API}/rescan").json()["job"]["id"]
    assert run_job(jobs, job_id).status == "done"
    assert job_row(engine, job_id).status == "done"
    library = [json.loads(d) for _, t, d in events.since(engine, before) if t == "library"]
    assert library == [
        {
            "job": job_id,
            "paths": None,
            "new": 2,
            "changed": 0,
            "moved": 0,
            "missing": 0,
            "errors": 0,
        }
    ]

    factory.jpeg(media / "sub" / "c.jpg", seed=3)
    (media / "b.jpg").unlink()  # outside the sub-path: not looked at
    before = events.last_id(engine)
    job_id = client.post(f"{API}/rescan", json={"path": "sub"}).json()["job"]["id"]
    assert run_job(jobs, job_id).status == "done"
    library = [json.loads(d) for _, t, d in events.since(engine, before) if t == "library"]
    assert library == [
        {
            "job": job_id,
            "paths": [os.path.realpath(media / "sub")],
            "new": 1,
            "changed": 0,
            "moved": 0,
            "missing": 0,
            "errors": 0,
        }
    ]
    assert sorted(item_ids(engine)) == ["a.jpg", "b.jpg", "sub/c.jpg"]


def test_a_scans_progress_events_carry_a_growing_done_and_a_total(
    client: TestClient, engine: Engine, media: Path, settings: Settings, jobs: Jobs
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(media / "b.jpg", seed=2)
    scan(engine, settings)
    for n in range(3):
        factory.jpeg(media / "new" / f"{n}.jpg", seed=10 + n)
    before = events.last_id(engine)
    job_id = client.post(f"{API}/rescan").json()["job"]["id"]
    assert run_job(jobs, job_id).status == "done"
    sent = [json.loads(d) for _, t, d in events.since(engine, before) if t == "progress"]
    ours = [e for e in sent if e["id"] == job_id]
    # The walk ends first (sent at once): the two unchanged files are looked at, of five;
    # then the new ones, up to five of five (sent at once at the end).
    counts = [(e["done"], e["total"]) for e in ours]
    assert counts[0] == (2, 5) and counts[-1] == (5, 5) and counts == sorted(counts), counts
    assert (ours[0]["progress"], ours[-1]["progress"]) == (0.4, 1.0)  # the fields clients read
    assert ours[-1]["message"] == "5 of 5 files looked at"
    assert job_row(engine, job_id).progress == 1.0


# -- generate --------------------------------------------------------------------


def test_generate_jumps_ahead_of_background_work(
    client: TestClient, engine: Engine, jobs: Jobs, photos: dict[str, int]
) -> None:
    ids = photos
    background = [j for j in thumbnail_jobs(engine, jobs.live.get()) if j.item_id != ids["b.jpg"]]
    assert len(background) == 3
    jobs.submit(background)  # a scan's bulk work: a.jpg, sub/c.jpg, sub/deep/d.jpg

    resp = client.post(
        f"{API}/generate",
        json={"kinds": ["thumbnail"], "item_ids": [ids["b.jpg"], ids["sub/c.jpg"]]},
    )
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert (body["queued"], body["already_queued"], body["skipped"]) == (1, 1, [])
    wanted = body["jobs"]
    for job_id in wanted:  # the new job and the raised one both wait at the user's priority
        assert job_row(engine, job_id).priority == USER
    with engine.connect() as conn:
        rest = conn.execute(select(Job.id).where(Job.id.not_in(wanted))).scalars().all()
    assert {job_row(engine, j).priority for j in rest} == {BACKGROUND}

    order = queued_messages(jobs)
    assert sorted(order[:2]) == sorted(wanted)  # the user's work comes out first
    assert sorted(set(order[2:])) == sorted(rest + wanted[1:])  # then the bulk (and a stale one)

    outcomes = [(job_id, run_job(jobs, job_id).status) for job_id in order]  # a worker's order
    assert outcomes[:2] == [(wanted[0], "done"), (wanted[1], "done")]
    assert [s for _, s in outcomes[2:]].count("done") == 2  # c.jpg's old wake-up: skipped
    finished = {j: job_row(engine, j).finished_at for j in wanted + rest}
    assert max(finished[j] for j in wanted) <= min(finished[j] for j in rest)


def test_generate_for_every_image_lacking_thumbnails(
    client: TestClient, engine: Engine, jobs: Jobs, photos: dict[str, int]
) -> None:
    made = client.post(
        f"{API}/generate", json={"kinds": ["thumbnail"], "item_ids": [photos["a.jpg"]]}
    )
    assert run_job(jobs, made.json()["jobs"][0]).status == "done"

    resp = client.post(f"{API}/generate", json={"kinds": ["thumbnail"]})
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert (body["queued"], body["already_queued"]) == (3, 0)
    rows = [job_row(engine, j) for j in body["jobs"]]
    assert {r.item_id for r in rows} == set(photos.values()) - {photos["a.jpg"]}
    assert {(r.kind, r.priority, r.params) for r in rows} == {("thumbnail", USER, "{}")}

    again = client.post(f"{API}/generate", json={"kinds": ["thumbnail"]}).json()
    assert (again["queued"], again["already_queued"]) == (0, 3)
    assert sorted(again["jobs"]) == sorted(body["jobs"])

    forced = client.post(f"{API}/generate", json={"kinds": ["thumbnail"], "force": True}).json()
    assert (forced["queued"], forced["already_queued"]) == (1, 3)  # a.jpg made again too
    new = job_row(engine, next(j for j in forced["jobs"] if j not in body["jobs"]))
    assert (new.item_id, json.loads(new.params)) == (photos["a.jpg"], {"force": True})


def test_generate_for_items_skips_done_and_quarantined_unless_forced(
    client: TestClient, engine: Engine, jobs: Jobs, photos: dict[str, int]
) -> None:
    a, b, c = photos["a.jpg"], photos["b.jpg"], photos["sub/c.jpg"]
    first = client.post(f"{API}/generate", json={"kinds": ["thumbnail"], "item_ids": [a, b]})
    job_a, job_b = first.json()["jobs"]
    assert run_job(jobs, job_a).status == "done"
    fail_for_good(engine, job_b)

    resp = client.post(f"{API}/generate", json={"kinds": ["thumbnail"], "item_ids": [a, b, c, c]})
    body = resp.json()
    assert (body["queued"], body["already_queued"]) == (1, 0)
    assert job_row(engine, body["jobs"][0]).item_id == c
    assert [s["item_id"] for s in body["skipped"]] == [a, b]
    assert "already has thumbnails" in body["skipped"][0]["why"]
    assert "quarantined" in body["skipped"][1]["why"]

    every = client.post(f"{API}/generate", json={"kinds": ["thumbnail"]}).json()
    # c (pending) and d: bulk work leaves quarantined b alone
    assert {job_row(engine, j).item_id for j in every["jobs"]} == {c, photos["sub/deep/d.jpg"]}

    forced = client.post(
        f"{API}/generate", json={"kinds": ["thumbnail"], "item_ids": [a, b], "force": True}
    ).json()
    assert (forced["queued"], forced["skipped"]) == (2, [])
    for job_id in forced["jobs"]:
        assert json.loads(job_row(engine, job_id).params) == {"force": True}
        assert run_job(jobs, job_id).status == "done"


def test_generate_refuses_bad_requests(
    client: TestClient, engine: Engine, media: Path, settings: Settings, photos: dict[str, int]
) -> None:
    (media / "b.jpg").unlink()
    scan(engine, settings)  # b.jpg is now missing
    a, b = photos["a.jpg"], photos["b.jpg"]
    for body in [
        {},
        {"kinds": []},
        {"kinds": ["poster"]},
        {"kinds": "thumbnail"},
        {"kinds": ["thumbnail"], "item_ids": []},
        {"kinds": ["thumbnail"], "item_ids": [0]},
        {"kinds": ["thumbnail"], "item_ids": [-1]},
        {"kinds": ["thumbnail"], "item_ids": [2**63]},
        {"kinds": ["thumbnail"], "item_ids": ["a"]},
        {"kinds": ["thumbnail"], "item_ids": list(range(1, 5002))},
        {"kinds": ["thumbnail"], "force": "maybe"},
        {"kinds": ["thumbnail"], "items": [a]},
    ]:
        resp = client.post(f"{API}/generate", json=body)
        assert resp.status_code == 422, (body, resp.text)
    unknown = client.post(f"{API}/generate", json={"kinds": ["thumbnail"], "item_ids": [a, 999]})
    assert detail(unknown, 404) == "no such items in the library: 999"
    missing = client.post(f"{API}/generate", json={"kinds": ["thumbnail"], "item_ids": [a, b]})
    assert f"{b} is missing from disk" in detail(missing, 422)
    with engine.connect() as conn:
        assert conn.execute(select(Job.id)).first() is None  # nothing was queued


# -- jobs ------------------------------------------------------------------------


def make_jobs(jobs: Jobs) -> dict[str, list[int]]:
    """Jobs of each kind and state: {state: ids}."""
    thumbs = [NewJob("thumbnail", f"thumbnail:{n}", target="item", item_id=n) for n in range(1, 6)]
    hashes = [NewJob("hash", f"hash:{n}", target="item", item_id=n) for n in range(1, 4)]
    ids = [job_id for job_id, _ in jobs.submit([*thumbs, *hashes, NewJob("scan", "scan")])]
    engine = jobs.engine
    store.cancel(engine, ids[0])
    fail_for_good(engine, ids[1])
    fail_for_good(engine, ids[5])
    store.claim(engine, ids[2], WORKER, 60)
    store.claim(engine, ids[3], WORKER, 60)
    store.finish(engine, ids[3], WORKER, "made 3 thumbnails")
    return {
        "cancelled": [ids[0]],
        "failed": [ids[1], ids[5]],
        "running": [ids[2]],
        "done": [ids[3]],
        "queued": [ids[4], ids[6], ids[7], ids[8]],
        "all": ids,
    }


def listed(client: TestClient, **params: Any) -> list[int]:
    resp = client.get(f"{API}/jobs", params={"limit": 500, **params})
    assert resp.status_code == 200, resp.text
    assert resp.json()["next_cursor"] is None
    return [j["id"] for j in resp.json()["jobs"]]


def test_list_jobs_filters_newest_first(client: TestClient, jobs: Jobs) -> None:
    made = make_jobs(jobs)
    everything = sorted(made["all"], reverse=True)
    assert listed(client) == everything
    assert listed(client, status="failed") == sorted(made["failed"], reverse=True)
    assert listed(client, status=["queued", "running"]) == sorted(
        made["queued"] + made["running"], reverse=True
    )
    assert listed(client, kind="hash") == everything[1:4]
    assert listed(client, kind="scan") == everything[:1]
    assert listed(client, kind="thumbnail", item_id=2) == [made["all"][1]]
    assert listed(client, item_id=2) == [made["all"][6], made["all"][1]]
    assert listed(client, item_id=99) == []
    assert listed(client, kind="hash", status="failed") == [made["all"][5]]

    job = client.get(f"{API}/jobs/{made['done'][0]}").json()
    assert (job["kind"], job["status"], job["message"], job["progress"]) == (
        "thumbnail",
        "done",
        "made 3 thumbnails",
        1.0,
    )
    assert job["item_id"] == 4 and job["worker"] == WORKER and job["finished_at"]
    failed = client.get(f"{API}/jobs/{made['failed'][0]}").json()
    assert (failed["error"], failed["attempts"]) == ("broken file", 1)


def test_list_jobs_pages_with_a_cursor(client: TestClient, jobs: Jobs) -> None:
    everything = sorted(make_jobs(jobs)["all"], reverse=True)
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"{API}/jobs", params=params).json()
        seen += [j["id"] for j in page["jobs"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    page = client.get(f"{API}/jobs", params={"limit": 2, "status": "queued"}).json()
    nxt = client.get(
        f"{API}/jobs", params={"limit": 2, "status": "queued", "cursor": page["next_cursor"]}
    ).json()
    assert [j["status"] for j in page["jobs"] + nxt["jobs"]] == ["queued"] * 4
    assert nxt["next_cursor"] is None


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "status=queued&status=nope",
        "status=QUEUED",
        "kind=poster",
        "kind=",
        "item_id=0",
        "item_id=-1",
        "item_id=abc",
        f"item_id={2**63}",
        "limit=0",
        "limit=501",
        "limit=x",
        "cursor=0",
        "cursor=abc",
        f"cursor={2**64}",
    ],
)
def test_list_jobs_refuses_bad_filters(client: TestClient, query: str) -> None:
    assert detail(client.get(f"{API}/jobs?{query}"), 400)


def test_get_job_errors(client: TestClient) -> None:
    assert detail(client.get(f"{API}/jobs/12345"), 404) == "job 12345 not found"
    for bad in ["0", "-3", "abc", str(2**63), "1.5"]:
        assert detail(client.get(f"{API}/jobs/{bad}"), 422), bad
        assert detail(client.post(f"{API}/jobs/{bad}/cancel"), 422), bad
        assert detail(client.post(f"{API}/jobs/{bad}/retry"), 422), bad


def test_cancel(client: TestClient, engine: Engine, jobs: Jobs) -> None:
    made = make_jobs(jobs)
    queued, running = made["queued"][0], made["running"][0]
    before = events.last_id(engine)
    resp = client.post(f"{API}/jobs/{queued}/cancel")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "cancelled"
    assert job_row(engine, queued).status == "cancelled"
    assert run_job(jobs, queued).status == "skipped"  # its wake-up finds nothing to run
    [(_, kind, data)] = events.since(engine, before)
    assert (kind, json.loads(data)["id"], json.loads(data)["status"]) == (
        "job",
        queued,
        "cancelled",
    )

    assert client.post(f"{API}/jobs/{running}/cancel").json()["status"] == "cancelled"
    assert not store.renew(engine, running, WORKER, 60)  # the worker learns it at its next renewal

    for job_id, status in [(queued, "cancelled"), (made["done"][0], "done")]:
        msg = detail(client.post(f"{API}/jobs/{job_id}/cancel"), 409)
        assert msg == f"job {job_id} is {status}: only pending jobs can be cancelled"
    assert detail(client.post(f"{API}/jobs/999/cancel"), 404) == "job 999 not found"


def test_retry(client: TestClient, engine: Engine, jobs: Jobs) -> None:
    made = make_jobs(jobs)
    queued_messages(jobs)  # drain the submits' wake-ups
    failed, cancelled = made["failed"][0], made["cancelled"][0]
    for job_id in (failed, cancelled):
        resp = client.post(f"{API}/jobs/{job_id}/retry")
        assert resp.status_code == 200, resp.text
        job = resp.json()
        assert (job["status"], job["attempts"], job["finished_at"]) == ("queued", 0, None)
    assert queued_messages(jobs) == [failed, cancelled]  # sent to the queue again

    for job_id, status in [(failed, "queued"), (made["done"][0], "done")]:
        msg = detail(client.post(f"{API}/jobs/{job_id}/retry"), 409)
        assert msg == f"job {job_id} is {status}: only failed or cancelled jobs can be retried"
    assert detail(client.post(f"{API}/jobs/999/retry"), 404) == "job 999 not found"

    # The same work queued again meanwhile: the old job stays failed.
    old = made["failed"][1]  # hash:1
    [(twin, created)] = jobs.submit([NewJob("hash", "hash:1", target="item", item_id=1)])
    assert created
    msg = detail(client.post(f"{API}/jobs/{old}/retry"), 409)
    assert msg == f"the same work is already pending as job {twin}: follow that one instead"
    assert job_row(engine, old).status == "failed"


def test_retry_all_failed(client: TestClient, engine: Engine, jobs: Jobs) -> None:
    made = make_jobs(jobs)
    thumb_failed, hash_failed = made["failed"]
    queued_messages(jobs)
    resp = client.post(f"{API}/jobs/retry-failed", params={"kind": "hash"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"retried": 1, "jobs": [hash_failed]}
    assert job_row(engine, thumb_failed).status == "failed"

    assert client.post(f"{API}/jobs/retry-failed").json() == {"retried": 1, "jobs": [thumb_failed]}
    assert queued_messages(jobs) == [hash_failed, thumb_failed]
    assert job_row(engine, made["cancelled"][0]).status == "cancelled"  # not a failure
    assert client.post(f"{API}/jobs/retry-failed").json() == {"retried": 0, "jobs": []}
    assert detail(client.post(f"{API}/jobs/retry-failed", params={"kind": "x"}), 400)


# -- queue, pause ----------------------------------------------------------------


def test_queue_depth(client: TestClient, jobs: Jobs) -> None:
    zero = {"queued": 0, "running": 0, "failed": 0}
    assert client.get(f"{API}/queue").json() == {
        "paused": False,
        "kinds": {kind: zero for kind in KINDS},
    }
    make_jobs(jobs)
    assert client.get(f"{API}/queue").json() == {
        "paused": False,
        "kinds": {
            **{kind: zero for kind in KINDS},
            "thumbnail": {"queued": 1, "running": 1, "failed": 1},
            "hash": {"queued": 2, "running": 0, "failed": 1},
            "scan": {"queued": 1, "running": 0, "failed": 0},
        },
    }


def test_pause_and_resume(
    client: TestClient, engine: Engine, jobs: Jobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queue, "PAUSE_CHECK_S", 0.0)  # no cached answer in this test
    running = jobs.submit([NewJob("hash", "hash:2", target="item", item_id=2)])[0][0]
    assert jobs.huey.dequeue().args == (running,)  # taken by a worker, which runs it
    assert store.claim(engine, running, WORKER, 60) is not None
    [(job_id, _)] = jobs.submit([NewJob("hash", "hash:1", target="item", item_id=1)])

    resp = client.post(f"{API}/pause")
    assert resp.status_code == 200, resp.text
    assert resp.json()["paused"] is True
    assert client.get(f"{API}/queue").json()["paused"] is True
    assert jobs.huey.dequeue() is None  # a message waits, but no worker takes it
    assert jobs.huey.pending_count() == 1
    assert store.finish(engine, running, WORKER)  # a running job still finishes
    assert client.post(f"{API}/pause").json()["paused"] is True  # pausing twice is fine

    assert client.post(f"{API}/resume").json()["paused"] is False
    assert client.get(f"{API}/queue").json()["paused"] is False
    task = jobs.huey.dequeue()
    assert task is not None and task.args == (job_id,)


def test_job_kinds_allowlist_matches_the_kinds() -> None:
    assert {k.value for k in JobKind} == set(KINDS)


def test_job_events_are_in_the_events_table(client: TestClient, engine: Engine) -> None:
    job_id = client.post(f"{API}/rescan").json()["job"]["id"]
    client.post(f"{API}/jobs/{job_id}/cancel")
    with engine.connect() as conn:
        rows = conn.execute(select(Event.type, Event.data).order_by(Event.id)).all()
    assert [(t, json.loads(d)["status"]) for t, d in rows] == [
        ("job", "queued"),
        ("job", "cancelled"),
    ]


@pytest.mark.parametrize("url", ["/api/v1/admin/rescan", "/api/v1/admin/generate"])
def test_unencodable_json_is_a_422_not_a_500(client: TestClient, url: str) -> None:
    # A lone surrogate is valid JSON but cannot be encoded back; the error must still be 422.
    body = b'{"path": "\\ud800", "kinds": ["\\ud800"]}'
    resp = client.post(url, content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/json"
    assert resp.json()["detail"]


def test_a_thumbnail_someone_is_waiting_for_jumps_the_queue(
    client: TestClient, engine: Engine, jobs: Jobs, photos: dict[str, int]
) -> None:
    queued = jobs.submit(thumbnail_jobs(engine, client.app.state.settings))  # type: ignore[attr-defined]
    assert len(queued) == 4
    last_id = queued[-1][0]
    last = store.get(engine, last_id)
    assert last is not None and last.priority == store.BACKGROUND
    fp = last.dedupe_key.removeprefix("thumbnail:")
    # The page asks for it before it is made: 404, and its job goes first.
    assert client.get(f"/api/v1/thumbnails/{fp}/small").status_code == 404
    bumped = store.get(engine, last_id)
    assert bumped is not None and bumped.priority == store.USER
    first = jobs.huey.dequeue()
    assert first is not None and first.args == (last_id,)

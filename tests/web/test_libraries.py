"""Library roots from the dashboard: listed with counts, added (checked, then scanned),
taken out (rows kept, hidden) and put back with everything on their items."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from mediashelf.config import Settings
from mediashelf.db.models import Item
from mediashelf.jobs import store
from mediashelf.jobs.queue import Jobs
from mediashelf.jobs.runner import run_job
from mediashelf.library.scan import scan
from mediashelf.web.app import create_app
from tests import factory
from tests.conftest import make_settings, signed_in
from tests.library.test_watch import wait_for
from tests.web.conftest import all_items

API = "/api/v1/admin/libraries"


@pytest.fixture
def jobs(client: TestClient) -> Jobs:
    app_jobs: Jobs = client.app.state.jobs  # type: ignore[attr-defined]
    return app_jobs


def paths(client: TestClient) -> set[str]:
    return {i["path"] for i in all_items(client)}


def test_add_scan_remove_and_add_again(
    client: TestClient, media: Path, tmp_path: Path, settings: Settings, engine: Engine, jobs: Jobs
) -> None:
    factory.jpeg(media / "home.jpg", seed=1)
    factory.video(media / "clip.mp4", seconds=0.3)
    scan(engine, settings)
    (only,) = client.get(API).json()["libraries"]
    assert (only["images"], only["videos"], only["missing"], only["online"]) == (1, 1, 0, True)
    assert only["last_scan_at"] is not None

    trip = tmp_path / "disk" / "trip"
    factory.jpeg(trip / "beach.jpg", seed=2)
    factory.jpeg(trip / "day2" / "dune.jpg", seed=3)
    added = client.post(API, json={"path": str(trip)})
    assert added.status_code == 201, added.text
    body = added.json()
    assert [lib["path"] for lib in body["libraries"]] == [str(media), str(trip)]
    job = body["job"]
    assert (job["kind"], job["status"]) == ("scan", "queued")
    assert run_job(jobs, job["id"]).status == "done"
    assert paths(client) == {"home.jpg", "clip.mp4", "beach.jpg", "day2/dune.jpg"}
    new = client.get(API).json()["libraries"][1]
    assert (new["images"], new["videos"]) == (2, 0)

    beach = next(i for i in all_items(client) if i["path"] == "beach.jpg")
    assert client.post(
        "/api/v1/tags/attach", json={"tags": ["sea"], "items": [beach["id"]]}
    ).is_success
    gone = client.request("DELETE", API, params={"path": str(trip)})
    assert gone.status_code == 200, gone.text
    assert [lib["path"] for lib in gone.json()["libraries"]] == [str(media)]
    assert paths(client) == {"home.jpg", "clip.mp4"}  # hidden, not deleted
    assert client.get(f"/api/v1/items/{beach['id']}").status_code == 404
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Item)) == 4

    again = client.post(API, json={"path": str(trip) + "/"})  # the same folder, written otherwise
    assert again.status_code == 201, again.text
    back = client.get(f"/api/v1/items/{beach['id']}").json()
    assert [t["name"] for t in back["tags"]] == ["sea"]


def test_each_root_says_whether_the_pending_scan_looks_at_it(
    client: TestClient, media: Path, tmp_path: Path, settings: Settings, engine: Engine, jobs: Jobs
) -> None:
    factory.jpeg(media / "home.jpg", seed=1)
    scan(engine, settings)
    trip = tmp_path / "trip"
    factory.jpeg(trip / "beach.jpg", seed=2)
    added = client.post(API, json={"path": str(trip)}).json()
    # The new root's scan (of that root only) is queued: the other root is not in it.
    assert [lib["scan"] for lib in added["libraries"]] == [None, "queued"]
    assert [lib["last_scan_at"] is None for lib in added["libraries"]] == [False, True]
    assert [lib["scan"] for lib in client.get(API).json()["libraries"]] == [None, "queued"]
    assert run_job(jobs, added["job"]["id"]).status == "done"
    listed = client.get(API).json()
    assert ([lib["scan"] for lib in listed["libraries"]], listed["scan"]) == ([None, None], None)
    assert listed["libraries"][1]["images"] == 1
    assert listed["libraries"][1]["last_scan_at"] is not None

    whole = client.post("/api/v1/admin/rescan").json()["job"]  # every root
    assert [lib["scan"] for lib in client.get(API).json()["libraries"]] == ["queued", "queued"]
    assert store.claim(engine, whole["id"], "test:1", 60) is not None  # a worker takes it
    assert [lib["scan"] for lib in client.get(API).json()["libraries"]] == ["running", "running"]
    assert store.finish(engine, whole["id"], "test:1")
    assert [lib["scan"] for lib in client.get(API).json()["libraries"]] == [None, None]


def test_folders_that_cannot_be_roots_are_refused(
    client: TestClient, media: Path, tmp_path: Path, settings: Settings
) -> None:
    (tmp_path / "file.txt").write_text("x")
    (media / "inner").mkdir()
    before = client.get(API).json()
    cases: list[tuple[Any, str]] = [
        ("relative/path", "absolute"),
        (str(tmp_path / "nowhere"), "not a folder"),
        (str(tmp_path / "file.txt"), "not a folder"),
        ("/etc", "system folder"),
        ("/", "system folder"),
        ("/proc/self", "system folder"),
        (str(settings.data_dir), "own files"),
        (str(tmp_path), "own files"),  # it holds the data and cache folders
        (str(media), "is the library root"),
        (str(media / "inner"), "overlaps"),
        (str(media) + "/../media", "is the library root"),
    ]
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    for path, why in cases:
        resp = client.post(API, json={"path": path})
        assert resp.status_code == 400, (path, resp.text)
        assert why in resp.json()["detail"], (path, resp.json())
    for bad in ({}, {"path": ""}, {"path": "/x", "extra": 1}, {"path": 7}, {"path": "/tmp\x00/x"}):
        assert client.post(API, json=bad).status_code == 422, bad
    assert client.get(API).json() == before  # nothing changed


def test_the_last_root_stays_and_unknown_roots_are_404(client: TestClient, media: Path) -> None:
    resp = client.request("DELETE", API, params={"path": str(media)})
    assert resp.status_code == 409 and "at least one root" in resp.json()["detail"]
    resp = client.request("DELETE", API, params={"path": "/not/a/root"})
    assert resp.status_code == 404 and "not a library root" in resp.json()["detail"]


def test_the_settings_api_checks_new_roots_too(client: TestClient, media: Path) -> None:
    resp = client.patch("/api/v1/admin/settings", json={"media_dir": [str(media), "/etc"]})
    assert resp.status_code == 422 and "system folder" in resp.json()["detail"]
    resp = client.patch("/api/v1/admin/settings", json={"media_dir": [str(media), str(media)]})
    assert resp.status_code == 422 and "twice" in resp.json()["detail"]


def test_the_watcher_follows_a_root_added_from_the_dashboard(tmp_path: Path, media: Path) -> None:
    """`mediashelf watch` starts over on the new roots: a file landing in the added
    folder is in the API within seconds, with no restart and no rescan asked for."""
    db = tmp_path / "data" / "mediashelf.db"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEDIA_DIR": str(media),
        "DATA_DIR": str(tmp_path / "data"),
        "CACHE_DIR": str(tmp_path / "cache"),
        "DATABASE_URL": f"sqlite:///{db}",
        "LOG_LEVEL": "info",
        "RESCAN_INTERVAL": "0",
    }
    log = tmp_path / "watch.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mediashelf", "watch"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    app = create_app(make_settings(tmp_path, media, f"sqlite:///{db}"))
    try:
        wait_for(lambda: "watcher ready" in log.read_text(), timeout=30, what="the watcher")
        other = tmp_path / "other"
        other.mkdir()
        with signed_in(app) as client:
            assert client.post(API, json={"path": str(other)}).status_code == 201
            wait_for(
                lambda: (
                    "library roots changed" in log.read_text()
                    and log.read_text().count("watcher ready") == 2
                ),
                timeout=30,
                what="the watcher on the new roots",
            )
            factory.jpeg(other / "late.jpg", seed=9)
            wait_for(lambda: "late.jpg" in paths(client), timeout=30, what="the new file")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0, log.read_text()
    finally:
        app.state.engine.dispose()
        if proc.poll() is None:
            proc.kill()
            proc.wait()

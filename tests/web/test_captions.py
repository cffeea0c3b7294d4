"""Captions: written by hand, every version kept, the newest current."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from mediashelf.library.scan import scan
from tests import factory
from tests.conftest import signed_in


def test_captions_keep_their_history(client: TestClient, media: Path) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    app = client.app
    scan(app.state.engine, app.state.settings)  # type: ignore[attr-defined]
    item_id = client.get("/api/v1/items").json()["items"][0]["id"]
    url = f"/api/v1/items/{item_id}/caption"
    assert client.get(url).json() == {"item_id": item_id, "current": None, "history": []}

    first = client.post(url, json={"text": "  A dog on a beach  "})
    assert first.status_code == 201
    assert first.json()["current"]["text"] == "A dog on a beach"  # trimmed
    assert first.json()["current"]["source"] == "manual"
    assert first.json()["current"]["author"].startswith("admin-")
    second = client.post(url, json={"text": "A dog on a beach at sunset"}).json()
    assert second["current"]["text"] == "A dog on a beach at sunset"
    assert [c["text"] for c in second["history"]] == [
        "A dog on a beach at sunset",
        "A dog on a beach",
    ]
    listed = client.get("/api/v1/items").json()["items"][0]
    assert listed["caption"] == "A dog on a beach at sunset"

    cleared = client.post(url, json={"text": ""}).json()
    assert cleared["current"] is None and len(cleared["history"]) == 3
    assert client.get(f"/api/v1/items/{item_id}").json()["caption"] is None

    for bad in ({"text": "x" * 20_001}, {"text": 5}, {}, {"text": "a", "source": "ai"}):
        resp = client.post(url, json=bad)
        assert resp.status_code == 422, bad

    with signed_in(app, "viewer") as viewer:  # type: ignore[arg-type]
        assert viewer.get(url).json()["current"] is None
        assert viewer.post(url, json={"text": "mine now"}).status_code == 403
    assert client.get("/api/v1/items/999999/caption").status_code == 404


def test_the_current_caption_is_the_newest_by_time(client: TestClient, media: Path) -> None:
    """A restore may insert an older version after a newer one: time decides, not order."""
    from datetime import timedelta

    from mediashelf.db.models import Caption
    from mediashelf.library.clock import utcnow

    factory.jpeg(media / "a.jpg", seed=1)
    app = client.app
    scan(app.state.engine, app.state.settings)  # type: ignore[attr-defined]
    item_id = client.get("/api/v1/items").json()["items"][0]["id"]
    client.post(f"/api/v1/items/{item_id}/caption", json={"text": "written today"})
    with app.state.sessions() as db:  # type: ignore[attr-defined]
        old = utcnow() - timedelta(days=30)
        db.add(Caption(item_id=item_id, text="from last month", source="import", created_at=old))
        db.commit()
    shown = client.get(f"/api/v1/items/{item_id}/caption").json()
    assert shown["current"]["text"] == "written today"
    assert [c["text"] for c in shown["history"]] == ["written today", "from last month"]
    assert client.get(f"/api/v1/items/{item_id}").json()["caption"] == "written today"

"""A root taken out of MEDIA_DIR: its rows stay, but nothing lists, serves or thumbnails it."""

from __future__ import annotations

import json
from pathlib import Path

from mediashelf.db.engine import make_engine, upgrade
from mediashelf.jobs.batch import run_thumbnails
from mediashelf.library import manifest
from mediashelf.library.scan import scan
from mediashelf.web.app import create_app
from tests import factory
from tests.conftest import make_settings, signed_in


def test_removed_root_is_hidden_but_kept(tmp_path: Path, db_url: str) -> None:
    kept, dropped = tmp_path / "kept", tmp_path / "dropped"
    factory.jpeg(kept / "k.jpg", seed=1)
    factory.jpeg(dropped / "d.jpg", seed=2)
    both = make_settings(tmp_path, kept, db_url, media_dir=[kept, dropped])
    engine = make_engine(both.db_url)
    upgrade(engine)
    try:
        scan(engine, both)
        app = create_app(both)
        with signed_in(app) as client:
            items = {i["path"]: i for i in client.get("/api/v1/items").json()["items"]}
        app.state.engine.dispose()
        assert set(items) == {"k.jpg", "d.jpg"}

        only = make_settings(tmp_path, kept, db_url)  # "dropped" is gone from MEDIA_DIR
        report = run_thumbnails(engine, only)
        assert report.made == 1  # k.jpg only
        made = {p.name.split("_")[0] for p in only.cache_dir.rglob("*.webp")}
        assert made == {items["k.jpg"]["fingerprint"]}

        app = create_app(only)
        with signed_in(app) as client:
            listed = [i["path"] for i in client.get("/api/v1/items").json()["items"]]
            assert listed == ["k.jpg"]
            assert client.get("/api/v1/items/count").json() == {"count": 1}
            gone = items["d.jpg"]["id"]
            for url in (
                f"/api/v1/items/{gone}",
                f"/api/v1/items/{gone}/original",
                f"/api/v1/items/{gone}/thumbnail/small",
                "/media/d.jpg",
            ):
                resp = client.get(url, follow_redirects=False)
                assert resp.status_code == 404, url
            assert client.get(f"/api/v1/items/{items['k.jpg']['id']}").status_code == 200
        app.state.engine.dispose()

        manifest.write(engine, only)
        assert "d.jpg" not in only.manifest_file.read_text()
        assert "k.jpg" in json.loads(only.manifest_file.read_text()).__repr__()

        # Put back, everything is there again, same ids.
        app = create_app(both)
        with signed_in(app) as client:
            again = {i["path"]: i["id"] for i in client.get("/api/v1/items").json()["items"]}
        app.state.engine.dispose()
        assert again == {p: i["id"] for p, i in items.items()}
    finally:
        engine.dispose()

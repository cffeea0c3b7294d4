"""GET /api/v1/folders: a level of the library's folders at a time, with counts that
include sub-folders, names sorted, and no way out of the library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests import factory
from tests.web.conftest import scanned_library


def _files(media: Path) -> None:
    for n, rel in enumerate(
        [
            "top.jpg",
            "Trips/italy/rome/1.jpg",
            "Trips/italy/rome/2.jpg",
            "Trips/italy/venice.jpg",
            "Trips/notes.jpg",
            "archive/old.jpg",
            "Ärger/x.jpg",
        ]
    ):
        factory.jpeg(media / rel, seed=n + 1)


@pytest.fixture(scope="module")
def lib(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with scanned_library(tmp_path_factory.mktemp("folders"), module_db_url, _files) as (c, _):
        yield c


def test_the_top_level_with_counts(lib: TestClient) -> None:
    top = lib.get("/api/v1/folders").json()
    assert top == {
        "parent": "",
        "items": 1,
        "folders": [
            {"path": "archive", "name": "archive", "items": 1, "has_children": False},
            {"path": "Trips", "name": "Trips", "items": 4, "has_children": True},
            {"path": "Ärger", "name": "Ärger", "items": 1, "has_children": False},
        ],
    }


def test_drilling_down(lib: TestClient) -> None:
    trips = lib.get("/api/v1/folders", params={"parent": "Trips"}).json()
    assert trips["items"] == 1 and [f["path"] for f in trips["folders"]] == ["Trips/italy"]
    italy = lib.get("/api/v1/folders", params={"parent": "Trips/italy/"}).json()
    assert italy["parent"] == "Trips/italy" and italy["items"] == 1
    assert italy["folders"] == [
        {"path": "Trips/italy/rome", "name": "rome", "items": 2, "has_children": False}
    ]
    # The item list's folder filter takes the same paths.
    listed = lib.get("/api/v1/items", params={"folder": "Trips/italy/rome"}).json()["items"]
    assert len(listed) == 2


@pytest.mark.parametrize("parent", ["../etc", "/etc", "Trips/../../x", "nowhere", "Trip"])
def test_unknown_or_outside_folders_are_404(lib: TestClient, parent: str) -> None:
    resp = lib.get("/api/v1/folders", params={"parent": parent})
    assert resp.status_code == 404 and resp.json()["detail"]

"""Sidecar metadata: which files apply to a media file, what they hold, and the scan
storing it (tags, performers, studio, title, source URL, caption, date, rating) once,
on both databases."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from mediashelf.auth import users
from mediashelf.config import Settings
from mediashelf.db.models import (
    Caption,
    Item,
    ItemPerformer,
    ItemStudio,
    ItemTag,
    Performer,
    Rating,
    SettingValue,
    Studio,
    Tag,
)
from mediashelf.library import sidecars
from mediashelf.library.clock import utcnow
from mediashelf.library.scan import scan, scan_paths
from mediashelf.library.sidecars import Sidecar, SidecarError, find, merge, read
from tests import factory

# -- find -------------------------------------------------------------------------------


def touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("{}")


def found(path: Path) -> list[str]:
    return [p.name for p in find(path)]


def test_plain_sidecars_weakest_first(tmp_path: Path) -> None:
    touch(tmp_path, "IMG_1.jpg", "IMG_1.json", "IMG_1.txt", "IMG_1.jpg.json", "folder.json")
    touch(tmp_path, "IMG_10.json", "IMG_10.jpg.json", "other.txt", "IMG_1.jpg.xml")

    assert found(tmp_path / "IMG_1.jpg") == [
        "folder.json",
        "IMG_1.txt",
        "IMG_1.json",
        "IMG_1.jpg.json",
    ]
    assert found(tmp_path / "IMG_2.jpg") == ["folder.json"]  # applies to every file


def test_folder_json_does_not_reach_subfolders(tmp_path: Path) -> None:
    touch(tmp_path, "folder.json")
    touch(tmp_path / "sub", "a.jpg")
    assert found(tmp_path / "sub" / "a.jpg") == []


def test_hidden_files_and_other_extensions_are_not_sidecars(tmp_path: Path) -> None:
    touch(tmp_path, "._a.json", ".a.json", "a.jsonl", "a.yaml", "a.JSON")
    assert found(tmp_path / "a.jpg") == ["a.JSON"]  # the extension in any case


@pytest.mark.parametrize(
    ("media", "sidecar"),
    [
        ("IMG_1.jpg", "IMG_1.jpg.supplemental-metadata.json"),
        ("IMG_1.jpg", "IMG_1.jpg.supplemental-metad.json"),
        ("IMG_1.jpg", "IMG_1.jpg.suppl.json"),
        ("IMG_1(1).jpg", "IMG_1.jpg(1).json"),
        ("IMG_1(1).jpg", "IMG_1.jpg.supplemental-metadata(1).json"),
        ("IMG_1(2).jpg", "IMG_1(2).jpg.json"),
        ("IMG_1-edited.jpg", "IMG_1.jpg.json"),
        ("IMG_1-edited.jpg", "IMG_1.jpg.supplemental-metadata.json"),
        # Takeout keeps a JSON name to 51 characters: the media name is cut at 46.
        (
            "PXL_20230415_123456789.PORTRAIT.ORIGINAL.jpg",
            "PXL_20230415_123456789.PORTRAIT.ORIGINAL.jpg.s.json",
        ),
        (
            "Screenshot_20200101-123456_Some_Long_App_Name.jpg",
            "Screenshot_20200101-123456_Some_Long_App_Name.json",
        ),
        (
            "Screenshot_20200101-123456_Some_Long_App_Name_Really.jpg",
            "Screenshot_20200101-123456_Some_Long_App_Na.json",
        ),
        (
            "Screenshot_20200101-123456_Some_Long_App_Name_Really(1).jpg",
            "Screenshot_20200101-123456_Some_Long_App_Na(1).json",
        ),
    ],
)
def test_google_takeout_names(tmp_path: Path, media: str, sidecar: str) -> None:
    touch(tmp_path, sidecar)
    assert found(tmp_path / media) == [sidecar]
    assert sidecars.owned([sidecar], [media, "other.jpg"]) == [sidecar]  # the watcher's test


@pytest.mark.parametrize(
    ("media", "sidecar"),
    [
        ("IMG_1.jpg", "IMG_1.jpg(1).json"),  # the numbered copy's
        ("IMG_1(1).jpg", "IMG_1.jpg.json"),  # the original's
        ("IMG_1(1).jpg", "IMG_1.jpg.supplemental-metadata.json"),
        ("IMG_10.jpg", "IMG_1.jpg.json"),
        ("IMG_1.jpg", "IMG_10.jpg.supplemental-metadata.json"),
        ("IMG_1.jpg", "IMG_1.json.txt"),
        ("a.jpg", "a.jp.json"),  # a short name is never cut
    ],
)
def test_sidecars_of_other_files_do_not_apply(tmp_path: Path, media: str, sidecar: str) -> None:
    touch(tmp_path, sidecar)
    assert found(tmp_path / media) == []
    assert sidecars.owned([sidecar], [media]) == []


def test_owned_tells_sidecars_from_unrelated_files() -> None:
    """What the watcher asks of a folder's changed .json/.txt files: do they belong to
    one of the media files there? The same answer `find` gives, name by name."""
    media = ["IMG_1.jpg", "IMG_2(1).jpg", "b-edited.mp4", "a" * 60 + ".jpg", "clip.MP4"]
    every = {c for m in media for c in sidecars.candidates(m)}
    assert sorted(sidecars.owned(sorted(every), media)) == sorted(every)
    changed = ["notes.txt", "package.json", "IMG_10.json", "IMG_1.JSON", "folder.json"]
    changed += ["IMG_2.jpg(1).json", "b.mp4.json", "clip.txt", "clip.MP4.json", "a.json"]
    assert sidecars.owned(changed, media) == [
        "IMG_1.JSON",
        "folder.json",
        "IMG_2.jpg(1).json",
        "b.mp4.json",
        "clip.txt",
        "clip.MP4.json",
    ]
    assert sidecars.owned(["folder.json", "a.txt"], []) == []  # no media: nothing is a sidecar


def test_symlinked_sidecar_leaving_the_root_is_ignored(tmp_path: Path) -> None:
    root = tmp_path / "root"
    outside = tmp_path / "secret.txt"
    outside.write_text("private")
    touch(root, "a.json")
    (root / "a.txt").symlink_to(outside)
    real = os.path.realpath(root)
    assert sorted(sidecars.listing(root, real).values()) == ["a.json"]
    assert sorted(sidecars.listing(root).values()) == ["a.json", "a.txt"]


# -- read -------------------------------------------------------------------------------


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), "utf-8")
    return path


def test_json_fields(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.json",
        {
            "title": " Sunset\n over  the sea ",
            "description": "At the beach.\n",
            "tags": ["beach", "Beach", " summer  2020 "],
            "performers": "Ann, Bob",
            "studio": "Acme",
            "date": "2020-06-05T14:30:00Z",
            "url": "https://example.com/a",
            "rating": 4,
            "unknown": {"ignored": True},
        },
    )
    assert read(path) == Sidecar(
        title="Sunset over the sea",  # one line
        description="At the beach.",
        tags=("beach", "summer 2020"),
        performers=("Ann", "Bob"),
        studio="Acme",
        date=datetime(2020, 6, 5, 14, 30),
        url="https://example.com/a",
        rating=80,
    )


def test_nulls_and_empties_are_absent(tmp_path: Path) -> None:
    path = write(tmp_path / "a.json", {"title": "", "tags": None, "studio": " ", "rating": 0})
    assert read(path) == Sidecar()
    assert not read(path)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        *[(1, 20), (4, 80), (4.5, 90), (5, 100), (80, 80), (100, 100), (0.2, 4), ("4", 80)],
        *[("4/5", 80), ("7/10", 70), (" 3 / 5 ", 60), ("80%", 80), ("3%", 3)],
        *[(0, None), ("0/5", None)],
    ],
)
def test_ratings(tmp_path: Path, value: Any, stored: int | None) -> None:
    assert read(write(tmp_path / "a.json", {"rating": value})).rating == stored


@pytest.mark.parametrize(
    ("value", "when"),
    [
        ("2020-06-05T14:30:00+02:00", datetime(2020, 6, 5, 12, 30)),
        ("2020-06-05 14:30:00", datetime(2020, 6, 5, 14, 30)),  # no offset: as written
        ("2020-06-05", datetime(2020, 6, 5)),
        ("2020-06", datetime(2020, 6, 1)),
        ("2020", datetime(2020, 1, 1)),
        ("2020:06:05 14:30:00", datetime(2020, 6, 5, 14, 30)),  # EXIF's
        (1591367400, datetime(2020, 6, 5, 14, 30)),
        ("1591367400", datetime(2020, 6, 5, 14, 30)),
        ("1591367400.25", datetime(2020, 6, 5, 14, 30, 0, 250000)),
        (1591367400000, datetime(2020, 6, 5, 14, 30)),  # milliseconds
    ],
)
def test_dates(tmp_path: Path, value: Any, when: datetime) -> None:
    assert read(write(tmp_path / "a.json", {"date": value})).date == when


def test_google_takeout_json(tmp_path: Path) -> None:
    path = write(
        tmp_path / "IMG_1.jpg.supplemental-metadata.json",
        {
            "title": "IMG_1.jpg",
            "description": "Grandma's birthday",
            "imageViews": "12",
            "creationTime": {"timestamp": "1700000000", "formatted": "..."},
            "photoTakenTime": {"timestamp": "1591367400", "formatted": "5 Jun 2020, 14:30:00 UTC"},
            "geoData": {"latitude": 0.0, "longitude": 0.0},
            "people": [{"name": "Grandma"}, {"name": "Ann"}, {"nope": 1}],
            "url": "https://photos.google.com/photo/x",
        },
    )
    assert read(path) == Sidecar(
        description="Grandma's birthday",
        performers=("Grandma", "Ann"),
        date=datetime(2020, 6, 5, 14, 30),
        url="https://photos.google.com/photo/x",
    )  # the title is the file's name: ignored


def test_google_takeout_without_a_taken_time(tmp_path: Path) -> None:
    data = {"title": "a.jpg", "description": "", "photoTakenTime": {"timestamp": "0"}}
    assert read(write(tmp_path / "a.jpg.json", data)) == Sidecar()


def test_text_is_the_description(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeffA day out.\nWith friends.\n\n".encode())
    assert read(path) == Sidecar(description="A day out.\nWith friends.")
    path.write_text("  \n")
    assert read(path) == Sidecar()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"tags": ["a",}', "not valid JSON"),
        ("", "not valid JSON"),
        ("[1, 2]", "expected a JSON object, not a list"),
        ('"text"', "expected a JSON object"),
        ({"tags": 5}, "tags: expected a list of names"),
        ({"tags": ["a", 1]}, "tags: expected names"),
        ({"performers": {"a": 1}}, "performers"),
        ({"studio": ["A"]}, "studio: expected a name"),
        ({"title": 5}, "title: expected a string"),
        ({"title": "x" * 501}, "title: the title is longer than 500 characters"),
        ({"title": "a\x07b"}, "title: the title holds a control character"),
        ({"url": 5}, "url: expected a string"),
        ({"url": "javascript:alert(1)"}, "url: the url 'javascript:alert(1)' is not an http"),
        ({"url": " JavaScript:alert(1)//https://x.org"}, "is not an http:// or https:// URL"),
        ({"url": "data:text/html,<script>"}, "is not an http"),
        ({"url": "ftp://example.com/a"}, "is not an http"),
        ({"url": "https://"}, "with a host"),
        ({"url": "//example.com/a"}, "is not an http"),
        ({"url": "https://exa mple.com/"}, "without spaces"),
        ({"url": "https://example.com/a\u0085b"}, "is not an http"),
        ({"url": "https://[::1/"}, "is not an http"),
        ({"url": "https://example.com/" + "a" * 2000}, "url: the url is longer than 2,000"),
        ({"description": False}, "description: expected a string"),
        ({"tags": ["x" * 201]}, "tags: the tags is longer than 200"),
        ({"tags": ["a\x00b"]}, "control character"),
        ({"tags": [f"t{i}" for i in range(501)]}, "more than 500"),
        ({"rating": "s"}, "rating: 's' is not a rating"),
        ({"rating": 150}, "not 1-5 stars or 0-100"),
        ({"rating": -1}, "not 1-5 stars or 0-100"),
        ({"rating": "6/5"}, "is not a rating"),
        ({"rating": True}, "rating: expected a number"),
        ('{"rating": NaN}', "not 1-5 stars"),
        ({"date": "yesterday"}, "date: 'yesterday' is not a date"),
        ({"date": "2020-13-45"}, "is not a date"),
        ({"date": [2020]}, "date: expected a date"),
        ({"date": 1e30}, "not a time in epoch seconds"),
        ({"date": "0001-01-01"}, "out of range"),
        ({"description": "x" * 20_001}, "longer than 20,000"),
        ({"photoTakenTime": "1591367400"}, "photoTakenTime: expected an object"),
        ({"photoTakenTime": {"timestamp": "soon"}}, "photoTakenTime.timestamp"),
        ({"photoTakenTime": {"timestamp": "1"}, "people": "Ann"}, "people: expected a list"),
        ("[" * 100_000 + "]" * 100_000, "not usable JSON"),
        ('{"rating": ' + "9" * 5000 + "}", "not usable JSON"),
    ],
)
def test_malformed(tmp_path: Path, content: Any, message: str) -> None:
    path = write(tmp_path / "a.json", content)
    with pytest.raises(SidecarError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read(path)


def test_huge_and_binary_files_are_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    huge.write_text('{"description": "' + "x" * (1 << 20) + '"}')
    with pytest.raises(SidecarError, match="larger than 1 MiB"):
        read(huge)
    binary = tmp_path / "b.txt"
    binary.write_bytes(b"caf\xe9")
    with pytest.raises(SidecarError, match="not UTF-8"):
        read(binary)
    with pytest.raises(SidecarError, match="cannot read"):
        read(tmp_path / "gone.json")
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    with pytest.raises(SidecarError, match="not a regular file"):
        read(fifo)  # and does not hang


def test_merge_later_wins_lists_add_up() -> None:
    folder = Sidecar(tags=("trip",), studio="A", description="folder", rating=40)
    own = Sidecar(tags=("Trip", "beach"), studio="B", date=datetime(2020, 1, 1))
    assert merge([folder, own]) == Sidecar(
        tags=("trip", "beach"),
        studio="B",
        description="folder",
        rating=40,
        date=datetime(2020, 1, 1),
    )


def test_the_caption_is_the_description_and_a_title_is_not_the_file_name() -> None:
    assert Sidecar(title="T", description="D").caption() == "D"
    assert Sidecar(title="Sunset").caption() is None  # a title is not a caption
    assert Sidecar(title="Sunset").own_title("a.jpg") == "Sunset"
    assert Sidecar(title="IMG_1").own_title("IMG_1.jpg") is None
    assert Sidecar(title="img_1.JPG").own_title("IMG_1.jpg") is None
    assert Sidecar(title="IMG_1 at the lake").own_title("IMG_1.jpg") == "IMG_1 at the lake"


def test_urls_that_are_kept(tmp_path: Path) -> None:
    for url in (
        "http://example.com",
        "HTTPS://Example.com:8443/a%20b?q=1#frag",
        "https://例え.jp/パス",
        "https://[2001:db8::1]/x",
    ):
        assert read(write(tmp_path / "a.json", {"url": f" {url} "})).url == url
    assert read(write(tmp_path / "a.json", {"url": "  "})).url is None


# -- the scan ---------------------------------------------------------------------------


def settle() -> None:
    """Let file times move past the kernel's coarse clock tick (sidecars.TICK_NS)."""
    time.sleep(sidecars.TICK_NS / 1e9 + 0.02)


def add_admin(engine: Engine, name: str = "admin") -> int:
    with Session(engine) as db:
        return users.create(db, name, None, "admin").id


def names_of(engine: Engine, rel: str) -> dict[str, Any]:
    """What the item at `rel` has: tags, performers, studio, title, source URL, captions,
    date, ratings."""
    with Session(engine) as db:
        item = db.scalars(select(Item).where(Item.rel_path == rel)).one()

        def linked(model: Any, link: Any, column: Any) -> list[str]:
            query = select(model.name).join(link, column == model.id).where(link.item_id == item.id)
            return sorted(db.scalars(query))

        captions = db.execute(
            select(Caption.text, Caption.source)
            .where(Caption.item_id == item.id)
            .order_by(Caption.created_at, Caption.id)
        ).all()
        return {
            "tags": linked(Tag, ItemTag, ItemTag.tag_id),
            "performers": linked(Performer, ItemPerformer, ItemPerformer.performer_id),
            "studio": linked(Studio, ItemStudio, ItemStudio.studio_id),
            "title": item.title,
            "source_url": item.source_url,
            "captions": [tuple(c) for c in captions],
            "date": item.date,
            "taken_at": item.taken_at,
            "ratings": sorted(
                tuple(r)
                for r in db.execute(
                    select(Rating.user_id, Rating.value).where(Rating.item_id == item.id)
                )
            ),
        }


def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real: Callable[..., Sidecar] = sidecars.read

    def counted(path: Any) -> Sidecar:
        calls.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(sidecars, "read", counted)
    return calls


@pytest.fixture
def library(media: Path) -> Path:
    """A folder of photos with sidecars of each kind."""
    album = media / "2020" / "Beach"
    factory.jpeg(album / "a.jpg", seed=1)
    write(
        album / "a.json",
        {
            "title": "Sunset",
            "description": "Sunset at the beach",
            "url": "https://example.com/sunset",
            "tags": ["beach", "sunset"],
            "performers": ["Ann"],
            "studio": "Acme",
            "date": "2020-06-05T14:30:00Z",
            "rating": "4/5",
        },
    )
    factory.jpeg(album / "IMG_2(1).jpg", seed=2)
    write(
        album / "IMG_2.jpg.supplemental-metadata(1).json",
        {
            "title": "IMG_2(1).jpg",
            "description": "",
            "photoTakenTime": {"timestamp": "1591000000"},
            "people": [{"name": "Bob"}],
        },
    )
    factory.jpeg(album / "c.jpg", seed=3)
    (album / "c.txt").write_text("Only a description\n")
    factory.jpeg(album / "d.jpg", seed=4)  # folder.json only
    write(
        album / "folder.json",
        {
            "tags": ["trip 2020"],
            "studio": "Folder Studio",
            "title": "Beach",
            "description": "Set",
            "url": "https://example.com/beach",
        },
    )  # the folder's title, description and url are not each file's
    factory.jpeg(media / "plain.jpg", seed=5)  # no sidecar at all
    settle()
    return album


def test_scan_stores_what_sidecars_say(
    settings: Settings, engine: Engine, media: Path, library: Path
) -> None:
    admin = add_admin(engine)

    report = scan(engine, settings)

    assert (report.new, report.errors, report.sidecars) == (5, [], 4)
    assert names_of(engine, "2020/Beach/a.jpg") == {
        "tags": ["beach", "sunset", "trip 2020"],
        "performers": ["Ann"],
        "studio": ["Acme"],  # the file's own sidecar is stronger than folder.json
        "title": "Sunset",
        "source_url": "https://example.com/sunset",
        "captions": [("Sunset at the beach", "sidecar")],
        "date": datetime(2020, 6, 5, 14, 30),
        "taken_at": None,
        "ratings": [(admin, 80)],
    }
    takeout = names_of(engine, "2020/Beach/IMG_2(1).jpg")
    assert (takeout["performers"], takeout["captions"], takeout["date"]) == (
        ["Bob"],
        [],  # an empty description, and Takeout's title is the file name
        datetime(2020, 6, 1, 8, 26, 40),
    )
    assert takeout["title"] is None
    assert names_of(engine, "2020/Beach/c.jpg")["captions"] == [("Only a description", "sidecar")]
    d = names_of(engine, "2020/Beach/d.jpg")
    assert (d["tags"], d["studio"], d["captions"]) == (["trip 2020"], ["Folder Studio"], [])
    assert (d["title"], d["source_url"]) == (None, None)  # folder.json's are the folder's
    plain = names_of(engine, "plain.jpg")
    assert (plain["tags"], plain["captions"], plain["ratings"]) == ([], [], [])
    with engine.connect() as conn:  # one tag per name, shared by the files
        assert sorted(conn.scalars(select(Tag.name))) == ["beach", "sunset", "trip 2020"]


def test_rescan_reads_nothing_and_duplicates_nothing(
    settings: Settings,
    engine: Engine,
    media: Path,
    library: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_admin(engine)
    scan(engine, settings)
    before = {rel: names_of(engine, rel) for rel in ("2020/Beach/a.jpg", "2020/Beach/d.jpg")}
    reads = counting_reads(monkeypatch)

    report = scan(engine, settings)

    assert (report.unchanged, report.sidecars, report.errors, reads) == (5, 0, [], [])
    assert {rel: names_of(engine, rel) for rel in before} == before


def test_a_changed_file_reads_its_sidecars_again_without_duplicates(
    settings: Settings, engine: Engine, media: Path, library: Path
) -> None:
    add_admin(engine)
    scan(engine, settings)
    before = names_of(engine, "2020/Beach/a.jpg")
    factory.jpeg(library / "a.jpg", (80, 60), seed=11)  # new content: read again

    report = scan(engine, settings)

    assert (report.changed, report.sidecars) == (1, 1)
    assert names_of(engine, "2020/Beach/a.jpg") == before


def test_malformed_sidecar_is_reported_and_the_scan_goes_on(
    settings: Settings, engine: Engine, media: Path, caplog: pytest.LogCaptureFixture
) -> None:
    factory.jpeg(media / "bad.jpg", seed=1)
    write(media / "bad.json", '{"tags": ["a",')
    write(media / "bad.txt", "the text sidecar still applies")
    factory.jpeg(media / "good.jpg", seed=2)
    write(media / "good.json", {"tags": ["fine"]})
    factory.jpeg(media / "sub" / "e.jpg", seed=3)
    factory.jpeg(media / "sub" / "f.jpg", seed=4)
    write(media / "sub" / "folder.json", {"rating": "lots"})
    settle()

    with caplog.at_level(logging.WARNING, "mediashelf.scanner"):
        report = scan(engine, settings)

    assert report.new == 4
    assert sorted(report.errors) == [
        (
            str(media / "bad.json"),
            "sidecar not applied: not valid JSON: Expecting value at line 1 column 15",
        ),
        (str(media / "sub" / "folder.json"), "sidecar not applied: rating: 'lots' is not a rating"),
    ]  # folder.json once, for its two files
    assert names_of(engine, "good.jpg")["tags"] == ["fine"]
    assert names_of(engine, "bad.jpg")["captions"] == [
        ("the text sidecar still applies", "sidecar")
    ]
    assert str(media / "bad.json") in caplog.text
    # Reported once: an unchanged library does not read it again.
    assert scan(engine, settings).errors == []


def test_exif_date_wins_over_the_sidecar(settings: Settings, engine: Engine, media: Path) -> None:
    exif = datetime(2019, 3, 4, 5, 6, 7)
    factory.jpeg(media / "exif.jpg", taken_at=exif, seed=1)
    write(media / "exif.json", {"date": "2001-01-01T00:00:00Z"})
    factory.jpeg(media / "none.jpg", seed=2)
    write(media / "none.json", {"date": "2001-01-01T00:00:00Z"})
    settle()

    scan(engine, settings)

    assert (names_of(engine, "exif.jpg")["date"], names_of(engine, "exif.jpg")["taken_at"]) == (
        exif,
        exif,
    )
    assert names_of(engine, "none.jpg")["date"] == datetime(2001, 1, 1)


def test_an_edited_sidecar_is_picked_up_on_the_next_scan(
    settings: Settings, engine: Engine, media: Path, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan(engine, settings)
    settle()
    write(
        library / "a.json",
        {"description": "Sunset, edited", "tags": ["beach", "golden hour"], "studio": "Other"},
    )
    settle()
    reads = counting_reads(monkeypatch)

    report = scan(engine, settings)

    assert (report.changed, report.sidecars, report.errors) == (0, 1, [])
    assert sorted(reads) == ["a.json", "folder.json"]  # a.jpg's sidecars, nobody else's
    got = names_of(engine, "2020/Beach/a.jpg")
    assert got["tags"] == ["beach", "golden hour", "sunset", "trip 2020"]  # added, never removed
    assert got["studio"] == ["Other"]
    assert got["captions"][-1] == ("Sunset, edited", "sidecar")
    reads.clear()
    assert scan(engine, settings).sidecars == 0 and reads == []


def test_a_folder_json_edit_reaches_every_file_in_the_folder(
    settings: Settings, engine: Engine, media: Path, library: Path
) -> None:
    scan(engine, settings)
    settle()
    write(library / "folder.json", {"tags": ["holiday"]})

    report = scan(engine, settings)

    assert report.sidecars == 4
    for name in ("a.jpg", "IMG_2(1).jpg", "c.jpg", "d.jpg"):
        assert "holiday" in names_of(engine, f"2020/Beach/{name}")["tags"]


def test_a_sidecar_copied_in_with_an_old_mtime_is_seen(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    settle()
    scan(engine, settings)
    settle()
    path = write(media / "a.json", {"tags": ["late"]})
    os.utime(path, (1_000_000_000, 1_000_000_000))  # as `cp -p` or an unzip leaves it

    assert scan(engine, settings).sidecars == 1
    assert names_of(engine, "a.jpg")["tags"] == ["late"]


def test_a_caption_edited_in_the_app_survives_an_unchanged_sidecar(
    settings: Settings, engine: Engine, media: Path, library: Path
) -> None:
    scan(engine, settings)
    item_id = rows_id(engine, "2020/Beach/c.jpg")
    with Session(engine) as db:
        db.add(Caption(item_id=item_id, text="Mine", source="manual", created_at=utcnow()))
        db.commit()
    os.utime(library / "c.txt")  # read again, same text

    scan(engine, settings)

    assert names_of(engine, "2020/Beach/c.jpg")["captions"][-1] == ("Mine", "manual")
    settle()
    (library / "c.txt").write_text("A new text")  # an edit wins

    scan(engine, settings)

    assert names_of(engine, "2020/Beach/c.jpg")["captions"][-1] == ("A new text", "sidecar")


def rows_id(engine: Engine, rel: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(Item.id).where(Item.rel_path == rel)) or 0)


def test_ratings_go_to_the_first_admin_and_never_replace_one(
    settings: Settings, engine: Engine, media: Path
) -> None:
    with Session(engine) as db:
        users.create(db, "viewer", None, "viewer")
        gone = users.create(db, "old-admin", None, "admin")
        gone.disabled = True
        db.commit()
    admin = add_admin(engine, "boss")
    add_admin(engine, "later")
    factory.jpeg(media / "a.jpg", seed=1)
    write(media / "a.json", {"rating": 5})
    factory.jpeg(media / "b.jpg", seed=2)
    write(media / "b.json", {"rating": 5})
    settle()
    scan(engine, settings, progress=None)
    b_id = rows_id(engine, "b.jpg")
    with Session(engine) as db:  # the admin changes b's rating in the app
        db.get(Rating, (admin, b_id)).value = 40  # type: ignore[union-attr]
        db.commit()
    factory.jpeg(media / "b.jpg", (70, 50), seed=3)  # b changes: its sidecar is read again

    scan(engine, settings)

    assert names_of(engine, "a.jpg")["ratings"] == [(admin, 100)]
    assert names_of(engine, "b.jpg")["ratings"] == [(admin, 40)]


def test_without_an_admin_the_rating_is_skipped(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    write(media / "a.json", {"rating": 5, "tags": ["kept"]})
    settle()

    report = scan(engine, settings)

    assert (report.sidecars, report.errors) == (1, [])
    assert names_of(engine, "a.jpg")["ratings"] == []
    assert names_of(engine, "a.jpg")["tags"] == ["kept"]


def test_a_library_scanned_before_sidecars_gets_them_once(
    settings: Settings, engine: Engine, media: Path, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan(engine, settings)
    with engine.begin() as conn:  # as a version that did not read sidecars left it
        for table in (ItemTag, ItemPerformer, ItemStudio, Caption):
            conn.execute(delete(table))
        conn.execute(delete(SettingValue).where(SettingValue.key.like("scan.sidecars.%")))

    report = scan(engine, settings)

    assert (report.unchanged, report.sidecars) == (5, 4)
    assert names_of(engine, "2020/Beach/a.jpg")["tags"] == ["beach", "sunset", "trip 2020"]
    reads = counting_reads(monkeypatch)
    assert scan(engine, settings).sidecars == 0 and reads == []


def test_names_match_existing_entries_by_alias(
    settings: Settings, engine: Engine, media: Path
) -> None:
    from mediashelf.library import names

    with Session(engine) as db:
        names.create(db, names.TAGS, "New York", aliases=["NYC"])
        db.commit()
    factory.jpeg(media / "a.jpg", seed=1)
    write(media / "a.json", {"tags": ["nyc", "NEW YORK"]})
    settle()

    scan(engine, settings)

    assert names_of(engine, "a.jpg")["tags"] == ["New York"]


def test_a_moved_file_reads_the_sidecars_at_its_new_place(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    write(media / "a.json", {"tags": ["old place"]})
    settle()
    scan(engine, settings)
    (media / "new").mkdir()
    (media / "a.jpg").rename(media / "new" / "b.jpg")
    write(media / "new" / "b.json", {"tags": ["new place"]})

    report = scan(engine, settings)

    assert (report.moved, report.sidecars) == (1, 1)
    assert names_of(engine, "new/b.jpg")["tags"] == ["new place", "old place"]


def test_scan_paths_of_a_folder_and_of_a_sidecar(
    settings: Settings, engine: Engine, media: Path, library: Path
) -> None:
    report = scan_paths(engine, settings, [str(library)])
    assert (report.new, report.sidecars) == (4, 4)
    settle()
    write(library / "c.txt", "Edited while watched")

    report = scan_paths(engine, settings, [str(library / "c.txt")])

    assert (report.new, report.changed, report.sidecars) == (0, 0, 1)
    assert names_of(engine, "2020/Beach/c.jpg")["captions"][-1] == (
        "Edited while watched",
        "sidecar",
    )


# -- titles and source URLs: fill only ---------------------------------------------------


def set_fields(engine: Engine, rel: str, **values: Any) -> None:
    """As an edit in the app (PATCH /api/v1/items/{id}) leaves the row."""
    with Session(engine) as db:
        item = db.scalars(select(Item).where(Item.rel_path == rel)).one()
        for name, value in values.items():
            setattr(item, name, value)
        db.commit()


def test_a_sidecar_fills_an_empty_title_and_url_and_never_replaces_one(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    write(media / "a.json", {"title": "First", "url": "https://example.com/1"})
    factory.jpeg(media / "b.jpg", seed=2)
    write(media / "b.json", {"title": "Bee", "url": "https://example.com/b", "tags": ["t"]})
    settle()
    scan(engine, settings)
    assert (names_of(engine, "a.jpg")["title"], names_of(engine, "a.jpg")["source_url"]) == (
        "First",
        "https://example.com/1",
    )
    set_fields(engine, "b.jpg", title="Mine", source_url=None)  # edited in the app
    settle()
    write(media / "a.json", {"title": "Second", "url": "https://example.com/2"})
    write(media / "b.json", {"title": "Bee 2", "url": "https://example.com/b2", "tags": ["u"]})
    settle()

    report = scan(engine, settings)

    assert (report.sidecars, report.errors) == (2, [])
    a, b = names_of(engine, "a.jpg"), names_of(engine, "b.jpg")
    assert (a["title"], a["source_url"]) == ("First", "https://example.com/1")  # the earlier
    assert (b["title"], b["source_url"]) == ("Mine", "https://example.com/b2")  # only the empty
    assert b["tags"] == ["t", "u"]  # the rest of the sidecar applies as before
    assert a["captions"] == b["captions"] == []  # a title is not a caption

    set_fields(engine, "a.jpg", title=None)  # cleared in the app: the next reading fills it
    settle()
    os.utime(media / "a.json")
    scan(engine, settings)
    assert names_of(engine, "a.jpg")["title"] == "Second"


def test_a_title_that_is_the_file_name_is_not_stored(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "IMG_1.jpg", seed=1)
    write(media / "IMG_1.json", {"title": "img_1.JPG", "url": "https://example.com/1"})
    factory.jpeg(media / "IMG_2.jpg", seed=2)
    write(media / "IMG_2.jpg.json", {"title": "IMG_2"})
    settle()

    scan(engine, settings)

    one, two = names_of(engine, "IMG_1.jpg"), names_of(engine, "IMG_2.jpg")
    assert (one["title"], one["source_url"]) == (None, "https://example.com/1")
    assert (two["title"], two["captions"]) == (None, [])


def test_a_bad_url_is_never_stored_and_is_reported(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "x.jpg", seed=1)
    write(media / "x.json", {"title": "Click me", "url": "javascript:alert(document.cookie)"})
    write(media / "x.txt", "the other sidecar still applies")
    settle()

    report = scan(engine, settings)

    assert report.errors == [
        (
            str(media / "x.json"),
            "sidecar not applied: url: the url 'javascript:alert(document.cookie)' is not "
            "an http:// or https:// URL (with a host, without spaces)",
        )
    ]  # malformed, as any bad value is: none of that sidecar is stored
    x = names_of(engine, "x.jpg")
    assert (x["title"], x["source_url"]) == (None, None)
    assert x["captions"] == [("the other sidecar still applies", "sidecar")]
    settle()
    write(media / "x.json", {"title": "Click me", "url": "https://example.com/x"})  # fixed

    assert scan(engine, settings).errors == []
    x = names_of(engine, "x.jpg")
    assert (x["title"], x["source_url"]) == ("Click me", "https://example.com/x")


def test_titles_stay_on_a_moved_file(settings: Settings, engine: Engine, media: Path) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    write(media / "a.json", {"title": "Old place"})
    settle()
    scan(engine, settings)
    item_id = rows_id(engine, "a.jpg")
    (media / "new").mkdir()
    (media / "a.jpg").rename(media / "new" / "b.jpg")
    write(media / "new" / "b.json", {"title": "New place", "url": "https://example.com/b"})

    assert scan(engine, settings).moved == 1
    b = names_of(engine, "new/b.jpg")
    assert rows_id(engine, "new/b.jpg") == item_id
    assert (b["title"], b["source_url"]) == ("Old place", "https://example.com/b")

"""Backups: export, restore into a fresh database (SQLite and PostgreSQL), merge rules,
the nightly copy, and the seed video server's JSON files."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.db.models import (
    Caption,
    ContentFilter,
    Crop,
    Favorite,
    Item,
    ItemPerformer,
    ItemStudio,
    ItemTag,
    Job,
    Performer,
    Photoset,
    PhotosetItem,
    PhotosetPerformer,
    PhotosetTag,
    Rating,
    Studio,
    Tag,
    User,
    View,
)
from mediashelf.jobs import runner
from mediashelf.jobs.queue import Jobs
from mediashelf.library import backup, tunables
from mediashelf.library.backup import BackupError
from mediashelf.library.clock import utcnow
from mediashelf.library.restore import restore
from mediashelf.library.scan import scan
from mediashelf.library.seed_import import SeedError, import_seed
from tests import factory
from tests.conftest import fresh_pg_database, make_settings

T0 = datetime(2024, 5, 1, 12, 0, 0, 123456)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_media(media: Path) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(media / "sub" / "b.jpg", seed=2)
    factory.jpeg(media / "c.jpg", seed=3)
    (media / "copies").mkdir()
    shutil.copy(media / "a.jpg", media / "copies" / "a.jpg")  # a copy: the same fingerprint


def items(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {path: item_id for path, item_id in conn.execute(select(Item.rel_path, Item.id))}


def fill(engine: Engine, settings: Settings) -> None:
    """A row in every table people write to."""
    ids = items(engine)
    a, b, c, dup = ids["a.jpg"], ids["sub/b.jpg"], ids["c.jpg"], ids["copies/a.jpg"]
    with Session(engine) as db:
        alice = User(
            username="alice",
            display_name="Alice",
            password_hash="$argon2id$secret",
            role="admin",
            disabled=False,
            created_at=at(0),
            updated_at=at(0),
        )
        bob = User(
            username="bob",
            display_name="",
            password_hash=None,
            role="member",
            disabled=True,
            oidc_issuer="https://id.example.com",
            oidc_subject="b-123",
            created_at=at(1),
            updated_at=at(1),
        )
        beach = Tag(
            name="Beach", key="beach", category="place", aliases='["Seaside"]', created_at=at(2)
        )
        summer = Tag(name="Summer", key="summer", aliases="[]", created_at=at(2))
        ann = Performer(name="Ann", key="ann", aliases='["A."]', image_item_id=a, created_at=at(3))
        network = Studio(name="Network", key="network", aliases="[]", created_at=at(3))
        db.add_all([alice, bob, beach, summer, ann, network])
        db.flush()
        label = Studio(
            name="Label",
            key="label",
            aliases="[]",
            parent_id=network.id,
            image_item_id=b,
            created_at=at(4),
        )
        db.add(label)
        db.flush()
        holiday = Photoset(
            name="Holiday",
            description="By the sea",
            year=2023,
            date=datetime(2023, 8, 1),
            source_url="https://example.com/set",
            original_filename="holiday.zip",
            cover_item_id=b,
            studio_id=label.id,
            created_at=at(5),
            updated_at=at(6),
        )
        empty = Photoset(name="Empty", description="", created_at=at(5), updated_at=at(5))
        db.add_all([holiday, empty])
        db.flush()
        db.add_all(
            [
                PhotosetItem(photoset_id=holiday.id, item_id=c, position=0),
                PhotosetItem(photoset_id=holiday.id, item_id=a, position=1),
                PhotosetItem(photoset_id=holiday.id, item_id=b, position=2),
                PhotosetTag(photoset_id=holiday.id, tag_id=beach.id),
                PhotosetPerformer(photoset_id=holiday.id, performer_id=ann.id),
                ItemTag(item_id=a, tag_id=beach.id),
                ItemTag(item_id=b, tag_id=summer.id),
                ItemTag(item_id=dup, tag_id=summer.id),
                ItemPerformer(item_id=a, performer_id=ann.id),
                ItemStudio(item_id=b, studio_id=label.id),
                Rating(user_id=alice.id, item_id=a, value=80, updated_at=at(7)),
                Rating(user_id=bob.id, item_id=b, value=40, updated_at=at(7)),
                View(user_id=alice.id, item_id=a, count=3, last_viewed_at=at(8), position=12.5),
                View(user_id=bob.id, item_id=dup, count=1, last_viewed_at=at(8)),
                Favorite(user_id=alice.id, item_id=c, created_at=at(9)),
                Caption(
                    item_id=a,
                    text="A beach.",
                    source="manual",
                    author_id=alice.id,
                    created_at=at(10),
                ),
                Caption(
                    item_id=a,
                    text="A sandy beach at noon.",
                    source="ai",
                    model="florence-2",
                    prompt="Describe.",
                    created_at=at(11),
                ),
                Crop(
                    item_id=a,
                    name="square",
                    x=0.1,
                    y=0.2,
                    width=0.5,
                    height=0.5,
                    aspect="1:1",
                    created_at=at(12),
                    updated_at=at(12),
                ),
                ContentFilter(kind="tag", target_id=summer.id, created_at=at(13)),
                ContentFilter(kind="performer", target_id=ann.id, created_at=at(13)),
                ContentFilter(kind="studio", target_id=network.id, created_at=at(13)),
            ]
        )
        for item_id, title, url in (
            (a, "Beach day", "https://example.com/a"),
            (b, None, "https://example.com/b?x=1"),
            (dup, "The copy", None),
        ):
            item = db.get(Item, item_id)
            assert item is not None
            item.title, item.source_url = title, url
        db.commit()
    tunables.change(engine, settings, {"thumbnail_quality": 70, "job_limits": {"scan": 1}})


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "created_at"}


@contextmanager
def fresh(
    settings: Settings, tmp_path: Path, name: str = "fresh"
) -> Iterator[tuple[Settings, Engine]]:
    """Another, empty database of the same kind, with the same media folder."""

    @contextmanager
    def url() -> Iterator[str]:
        if settings.db_url.startswith("sqlite"):
            yield f"sqlite:///{tmp_path / f'{name}.db'}"
        else:
            with fresh_pg_database() as pg:
                yield pg

    with url() as db_url:
        other = make_settings(tmp_path, settings.media_dir[0], db_url)
        engine = make_engine(db_url)
        upgrade(engine)
        try:
            yield other, engine
        finally:
            engine.dispose()


def test_round_trip_into_a_fresh_database_is_equal(
    settings: Settings, engine: Engine, media: Path, tmp_path: Path
) -> None:
    make_media(media)
    scan(engine, settings)
    fill(engine, settings)
    doc = backup.export(engine)
    text = json.dumps(doc)
    assert "secret" not in text and "password" not in text
    assert {"format": "mediashelf-backup", "version": 1}.items() <= doc.items()
    assert len(doc["items"]) == 4 and all("id" not in row for row in doc["items"])
    holiday = next(p for p in doc["photosets"] if p["name"] == "Holiday")
    assert [doc["items"][i]["path"] for i in holiday["items"]] == ["c.jpg", "a.jpg", "sub/b.jpg"]
    details = {
        doc["items"][d["item"]]["path"]: (d["title"], d["source_url"]) for d in doc["item_details"]
    }
    assert details == {
        "a.jpg": ("Beach day", "https://example.com/a"),
        "sub/b.jpg": (None, "https://example.com/b?x=1"),
        "copies/a.jpg": ("The copy", None),  # the copy's, not the other file's with its content
    }

    with fresh(settings, tmp_path) as (other, fresh_engine):
        scan(fresh_engine, other)
        report = restore(fresh_engine, json.loads(text), settings=other)
        assert report.missing == [] and report.by_path == 0
        assert report.new_users == ["alice", "bob"]
        assert report.added["ratings"] == 2 and report.added["captions"] == 2
        assert report.added["item_details"] == 3
        again = backup.export(fresh_engine)
        assert comparable(again) == comparable(doc)
        with Session(fresh_engine) as db:
            alice = db.scalars(select(User).where(User.username == "alice")).one()
            assert alice.password_hash is None  # must set one: `mediashelf user passwd`
            # The copy's data went to the copy, not to the other file with its content.
            dup = items(fresh_engine)["copies/a.jpg"]
            assert db.scalar(select(func.count()).where(View.item_id == dup)) == 1
            assert db.scalar(select(Item.title).where(Item.id == dup)) == "The copy"
        assert tunables.effective(fresh_engine, other).thumbnail_quality == 70

        # Twice is once: nothing changes the second time.
        second = restore(fresh_engine, json.loads(text), settings=other)
        assert second.changes == 0, (second.added, second.updated)
        assert comparable(backup.export(fresh_engine)) == comparable(doc)


def test_files_not_scanned_yet_are_reported_then_restored_later(
    settings: Settings, engine: Engine, media: Path, tmp_path: Path
) -> None:
    make_media(media)
    scan(engine, settings)
    fill(engine, settings)
    doc = backup.export(engine)
    away = tmp_path / "away"
    away.mkdir()
    shutil.move(media / "c.jpg", away / "c.jpg")
    with fresh(settings, tmp_path) as (other, fresh_engine):
        scan(fresh_engine, other)
        report = restore(fresh_engine, doc, settings=other)
        assert report.missing == [f"{media.resolve()}/c.jpg"]
        assert report.skipped["favorites"] == 1 and report.skipped["photoset items"] == 1
        shutil.move(away / "c.jpg", media / "c.jpg")
        scan(fresh_engine, other)
        later = restore(fresh_engine, doc, settings=other)
        assert later.missing == [] and later.added["favorites"] == 1
        assert later.updated["photosets"] == 1  # c.jpg takes its place at the front
        assert comparable(backup.export(fresh_engine)) == comparable(doc)


def test_a_moved_or_edited_file_is_found(
    settings: Settings, engine: Engine, media: Path, tmp_path: Path
) -> None:
    make_media(media)
    scan(engine, settings)
    fill(engine, settings)
    doc = backup.export(engine)
    (media / "sub" / "b.jpg").rename(media / "moved-b.jpg")  # same content, new path
    factory.jpeg(media / "c.jpg", seed=99)  # same path, new content
    with fresh(settings, tmp_path) as (other, fresh_engine):
        scan(fresh_engine, other)
        report = restore(fresh_engine, doc, settings=other)
        assert report.missing == [] and report.by_path == 1
        ids = items(fresh_engine)
        with Session(fresh_engine) as db:
            assert db.scalar(select(Favorite.item_id)) == ids["c.jpg"]
            assert db.scalar(select(ItemStudio.item_id)) == ids["moved-b.jpg"]


def test_merge_rules(settings: Settings, engine: Engine, media: Path) -> None:
    """Into a database with data of its own: the newer rating wins, views take the
    larger count, a newer photoset replaces its items, names are unioned, a title or
    source URL fills only an empty one."""
    make_media(media)
    scan(engine, settings)
    fill(engine, settings)
    doc = backup.export(engine)
    ids = items(engine)
    with Session(engine) as db:
        alice = db.scalars(select(User).where(User.username == "alice")).one()
        rating = db.get(Rating, (alice.id, ids["a.jpg"]))
        assert rating is not None
        rating.value, rating.updated_at = 20, at(100)  # newer here: stays
        view = db.get(View, (alice.id, ids["a.jpg"]))
        assert view is not None
        view.count = 10  # more here: stays
        holiday = db.scalars(select(Photoset).where(Photoset.name == "Holiday")).one()
        holiday.updated_at = at(-100)  # older here: the backup's version wins
        db.execute(PhotosetItem.__table__.delete().where(PhotosetItem.item_id == ids["c.jpg"]))
        beach = db.scalars(select(Tag).where(Tag.key == "beach")).one()
        beach.aliases = '["Shore"]'
        a_item, b_item = db.get(Item, ids["a.jpg"]), db.get(Item, ids["sub/b.jpg"])
        assert a_item is not None and b_item is not None
        a_item.title = "Renamed here"  # edited since the backup: stays
        a_item.source_url = None  # cleared here: the backup's fills it
        b_item.title = "Titled here"  # the backup has none: stays
        db.commit()
    newer = copy.deepcopy(doc)
    bob_rating = next(r for r in newer["ratings"] if r["user"] == "bob")
    bob_rating["value"], bob_rating["updated_at"] = 100, at(200).isoformat()  # newer there
    next(v for v in newer["views"] if v["user"] == "alice")["count"] = 2

    report = restore(engine, newer, settings=settings)
    assert report.added["users"] == 0 and report.updated["ratings"] == 1
    assert report.updated["item_details"] == 1
    merged = backup.export(engine)
    details = {
        merged["items"][d["item"]]["path"]: (d["title"], d["source_url"])
        for d in merged["item_details"]
    }
    assert details == {
        "a.jpg": ("Renamed here", "https://example.com/a"),
        "sub/b.jpg": ("Titled here", "https://example.com/b?x=1"),
        "copies/a.jpg": ("The copy", None),
    }
    values = {(r["user"], r["value"]) for r in merged["ratings"]}
    assert values == {("alice", 20), ("bob", 100)}
    assert next(v for v in merged["views"] if v["user"] == "alice")["count"] == 10
    holiday = next(p for p in merged["photosets"] if p["name"] == "Holiday")
    assert [merged["items"][i]["path"] for i in holiday["items"]] == ["c.jpg", "a.jpg", "sub/b.jpg"]
    assert next(t for t in merged["tags"] if t["key"] == "beach")["aliases"] == ["Shore", "Seaside"]
    assert restore(engine, newer, settings=settings).changes == 0


def test_names_are_found_by_alias_and_aliases_never_clash(
    settings: Settings, engine: Engine, media: Path, tmp_path: Path
) -> None:
    make_media(media)
    scan(engine, settings)
    fill(engine, settings)
    doc = backup.export(engine)
    with fresh(settings, tmp_path) as (other, fresh_engine):
        scan(fresh_engine, other)
        with Session(fresh_engine) as db:  # made here before: "Beach" is an alias, "Summer"
            db.add(Tag(name="Coast", key="coast", aliases='["beach"]', created_at=at(0)))
            db.add(Tag(name="Seaside", key="seaside", aliases="[]", created_at=at(0)))
            db.commit()
        report = restore(fresh_engine, doc, settings=other)
        assert report.added["tags"] == 1  # Summer; Beach is Coast's alias
        assert any("alias 'Seaside' names tag 'Seaside'" in w for w in report.warnings)
        got = backup.export(fresh_engine)
        assert sorted(t["key"] for t in got["tags"]) == ["coast", "seaside", "summer"]
        coast = next(t for t in got["tags"] if t["key"] == "coast")
        assert coast["aliases"] == ["beach"] and coast["category"] == "place"
        a = next(n for n, i in enumerate(got["items"]) if i["path"] == "a.jpg")
        assert {"item": a, "tag": "coast"} in got["item_tags"]
        assert {"kind": "tag", "target": "summer", "created_at": at(13).isoformat()} in got[
            "content_filters"
        ]
        assert restore(fresh_engine, doc, settings=other).changes == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format="something-else"), "not a Mediashelf backup"),
        (lambda d: d.update(version=2), "newer Mediashelf"),
        (lambda d: d["ratings"][0].update(item=99), "ratings[0].item is invalid"),
        (lambda d: d["item_tags"][0].update(tag="nope"), "item_tags[0].tag is invalid"),
        (lambda d: d["users"][0].pop("created_at"), "users[0].created_at is missing"),
        (lambda d: d["views"][0].update(count=-1), "views[0].count is invalid"),
        (
            lambda d: d["item_details"][0].update(source_url="javascript:alert(1)"),
            "item_details[0].source_url is invalid",
        ),
        (
            lambda d: d["item_details"][0].update(source_url="https://x.org/a b"),
            "item_details[0].source_url is invalid",
        ),
        (
            lambda d: d["item_details"][0].update(title="two\nlines"),
            "item_details[0].title is invalid",
        ),
        (lambda d: d["item_details"][0].update(title="x" * 501), "item_details[0].title"),
        (lambda d: d["item_details"][0].update(item=99), "item_details[0].item is invalid"),
    ],
)
def test_a_bad_document_changes_nothing(
    settings: Settings, engine: Engine, media: Path, change: Any, message: str
) -> None:
    make_media(media)
    scan(engine, settings)
    fill(engine, settings)
    doc = backup.export(engine)
    bad = copy.deepcopy(doc)
    bad["users"].append({**bad["users"][0], "username": "carol"})  # would be added
    change(bad)
    with pytest.raises(BackupError, match=message.replace("[", r"\[").replace("]", r"\]")):
        restore(engine, bad, settings=settings)
    assert comparable(backup.export(engine)) == comparable(doc)


def test_a_failure_half_way_rolls_everything_back(
    settings: Settings, engine: Engine, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_media(media)
    scan(engine, settings)
    fill(engine, settings)
    doc = backup.export(engine)
    with Session(engine) as db:
        db.execute(Rating.__table__.delete())
        db.execute(Tag.__table__.delete())
        db.commit()
    before = backup.export(engine)
    from mediashelf.library import restore as restore_module

    def boom(self: object) -> None:
        raise ValueError("disk on fire")

    monkeypatch.setattr(restore_module._Merge, "_crops", boom)
    with pytest.raises(BackupError, match="nothing was changed: disk on fire"):
        restore(engine, doc, settings=settings)
    assert backup.export(engine) | {"created_at": None} == before | {"created_at": None}


def test_dry_run_writes_nothing(
    settings: Settings, engine: Engine, media: Path, tmp_path: Path
) -> None:
    make_media(media)
    scan(engine, settings)
    fill(engine, settings)
    doc = backup.export(engine)
    with fresh(settings, tmp_path) as (other, fresh_engine):
        scan(fresh_engine, other)
        report = restore(fresh_engine, doc, settings=other, dry_run=True)
        assert report.dry_run and report.added["tags"] == 2
        with fresh_engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(Tag)).scalar() == 0


def test_files_are_written_atomically_and_load_checks_them(tmp_path: Path) -> None:
    path = tmp_path / "b" / "x.json"
    doc = {"format": "mediashelf-backup", "version": 1, "items": []}
    backup.write(doc, path)
    assert backup.load(path)["items"] == [] and path.stat().st_mode & 0o077 == 0
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]
    path.write_text('{"format": "mediashelf-backup", "vers')
    with pytest.raises(BackupError, match="not valid JSON"):
        backup.load(path)
    path.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(BackupError, match="not UTF-8"):
        backup.load(path)
    with pytest.raises(BackupError, match="cannot read"):
        backup.load(tmp_path / "nothing.json")


# -- the nightly backup ---------------------------------------------------------------


def test_nightly_keeps_the_newest_n(tmp_path: Path, media: Path, db_url: str) -> None:
    settings = make_settings(tmp_path, media, db_url, backup_keep=2)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    try:
        assert not backup.due(engine, settings)  # nothing to back up yet
        with Session(engine) as db:
            db.add(User(username="u", role="admin", created_at=at(0), updated_at=at(0)))
            db.commit()
        assert backup.due(engine, settings)
        folder = backup.backup_dir(settings)
        folder.mkdir(parents=True)
        for day in (3, 2):
            old = utcnow() - timedelta(days=day)
            (folder / f"mediashelf-nightly-{old:%Y%m%d-%H%M%S}.json").write_text("{}")
        manual = folder / "mediashelf-20000101-000000.json"
        manual.write_text("{}")

        message = backup.nightly(engine, settings)
        assert message.startswith("wrote") and "removed 1 old" in message
        kept = backup.nightly_files(folder)
        assert len(kept) == 2 and manual.exists()
        assert backup.load(kept[0][1])["users"][0]["username"] == "u"
        assert not backup.due(engine, settings)  # ran today
        assert "newest nightly backup is from" in backup.nightly(engine, settings)
        assert len(backup.nightly_files(folder)) == 2

        off = settings.model_copy(update={"backup_keep": 0})
        assert not backup.due(engine, off)
    finally:
        engine.dispose()


def test_maintenance_queues_the_nightly_backup_job(settings: Settings, engine: Engine) -> None:
    with Session(engine) as db:
        db.add(User(username="u", role="admin", created_at=at(0), updated_at=at(0)))
        db.commit()
    jobs = Jobs(settings, engine)
    try:
        jobs.maintain()
        with engine.connect() as conn:
            [job_id] = conn.execute(select(Job.id).where(Job.kind == "backup")).scalars()
        runner.run_job(jobs, job_id)
        with engine.connect() as conn:
            job = conn.execute(select(Job).where(Job.id == job_id)).one()
        assert job.status == "done" and job.message.startswith("wrote")
        assert len(backup.nightly_files(backup.backup_dir(settings))) == 1
        jobs.maintain()  # ran today: no second job
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).where(Job.kind == "backup")).scalar() == 1
    finally:
        jobs.huey.storage.close()


# -- the seed video server's files -----------------------------------------------------


def seed(folder: Path, **files: Any) -> Path:
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / f"{name}.json").write_text(json.dumps(data))
    return folder


def a_user(engine: Engine, name: str = "me") -> int:
    with Session(engine) as db:
        user = User(username=name, role="member", created_at=at(0), updated_at=at(0))
        db.add(user)
        db.commit()
        return user.id


@pytest.fixture
def library(settings: Settings, engine: Engine, media: Path) -> dict[str, int]:
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(media / "videos" / "b.jpg", seed=2)
    factory.jpeg(media / "c.jpg", seed=3)
    factory.jpeg(media / "x" / "same.jpg", seed=4)
    (media / "y").mkdir()
    shutil.copy(media / "x" / "same.jpg", media / "y" / "same.jpg")
    factory.jpeg(media / "x" / "clash.jpg", seed=5)
    factory.jpeg(media / "y" / "clash.jpg", seed=6)
    scan(engine, settings)
    return items(engine)


def test_seed_ratings(engine: Engine, library: dict[str, int], tmp_path: Path) -> None:
    me = a_user(engine)
    with engine.connect() as conn:
        fp_c = conn.execute(select(Item.fingerprint).where(Item.rel_path == "c.jpg")).scalar()
    folder = seed(
        tmp_path / "seed",
        ratings={
            "a.jpg": 4,
            "videos/b.jpg": 85,
            fp_c: 5,
            "gone.mp4": 3,
            "clash.jpg": 2,
            "same.jpg": "x",
        },
    )
    report = import_seed(engine, folder, "me").files["ratings"]
    assert (report.entries, report.matched, report.changed) == (6, 4, 3)
    assert report.unmatched == ["gone.mp4"] and report.ambiguous == ["clash.jpg"]
    assert len(report.invalid) == 1
    with engine.connect() as conn:
        query = select(Rating.item_id, Rating.value).where(Rating.user_id == me)
        got = {item_id: value for item_id, value in conn.execute(query)}
    assert got == {library["a.jpg"]: 80, library["videos/b.jpg"]: 85, library["c.jpg"]: 100}
    again = import_seed(engine, folder, "me").files["ratings"]
    assert again.changed == 0 and again.kept == 0


def test_seed_views(engine: Engine, library: dict[str, int], tmp_path: Path) -> None:
    me = a_user(engine)
    folder = seed(tmp_path / "seed", views={"a.jpg": 12, "b.jpg": {"count": 3, "last": 1700000000}})
    assert import_seed(engine, folder, "me").files["views"].changed == 2
    with engine.connect() as conn:
        got = {
            r.item_id: (r.count, r.last_viewed_at)
            for r in conn.execute(select(View).where(View.user_id == me))
        }
    assert got[library["a.jpg"]][0] == 12
    assert got[library["videos/b.jpg"]] == (3, datetime(2023, 11, 14, 22, 13, 20))
    assert import_seed(engine, folder, "me").files["views"].changed == 0  # max, not a sum
    assert import_seed(engine, seed(folder, views={"a.jpg": 15}), "me").files["views"].changed == 1


def test_seed_tags(engine: Engine, library: dict[str, int], tmp_path: Path) -> None:
    a_user(engine)
    with Session(engine) as db:
        db.add(Tag(name="New York", key="new york", aliases='["NYC"]', created_at=at(0)))
        db.commit()
    folder = seed(
        tmp_path / "seed",
        tags={"a.jpg": ["#Beach", " summer "], "c.jpg": "beach, Night", "b.jpg": ["nyc"]},
    )
    report = import_seed(engine, folder, "me").files["tags"]
    assert (report.matched, report.changed) == (3, 5)
    with engine.connect() as conn:
        names = {key: name for key, name in conn.execute(select(Tag.key, Tag.name))}
        links = {tuple(r) for r in conn.execute(select(ItemTag.item_id, ItemTag.tag_id))}
    assert names == {"beach": "Beach", "summer": "summer", "night": "Night", "new york": "New York"}
    assert len(links) == 5
    assert import_seed(engine, folder, "me").files["tags"].changed == 0


def test_seed_favorites(
    engine: Engine, library: dict[str, int], tmp_path: Path, media: Path
) -> None:
    me = a_user(engine)
    folder = seed(
        tmp_path / "seed",
        favorites={"favorites": ["a.jpg", f"{media.resolve()}/c.jpg", "same.jpg"]},
    )
    report = import_seed(engine, folder, "me", dry_run=True)
    assert report.files["favorites"].changed == 4  # same.jpg: both copies
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Favorite)).scalar() == 0
    import_seed(engine, folder, "me")
    with engine.connect() as conn:
        got = set(conn.execute(select(Favorite.item_id).where(Favorite.user_id == me)).scalars())
    assert got == {library[p] for p in ("a.jpg", "c.jpg", "x/same.jpg", "y/same.jpg")}
    # Other shapes: a list of names, {name: true}, a list of objects.
    other = seed(tmp_path / "other", favorites=[{"filename": "b.jpg"}])
    assert import_seed(engine, other, "me").files["favorites"].changed == 1


def test_seed_errors(engine: Engine, library: dict[str, int], tmp_path: Path) -> None:
    a_user(engine)
    with pytest.raises(SeedError, match=r"none of ratings\.json"):
        import_seed(engine, seed(tmp_path / "empty"), "me")
    with pytest.raises(SeedError, match="no user 'nobody'"):
        import_seed(engine, seed(tmp_path / "s", ratings={}), "nobody")
    (tmp_path / "s" / "views.json").write_text("{not json")
    with pytest.raises(SeedError, match="cannot read"):
        import_seed(engine, tmp_path / "s", "me")

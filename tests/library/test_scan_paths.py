"""scan_paths: the scanner limited to some files and folders (the watcher's batches)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sqlalchemy import Engine, select

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.db.models import Item, Root
from mediashelf.library.scan import scan, scan_paths
from tests import factory
from tests.conftest import make_settings


def rows(engine: Engine) -> dict[str, Item]:
    with engine.connect() as conn:
        return {r.rel_path: r for r in conn.execute(select(Item))}


def test_only_the_given_files_are_scanned(settings: Settings, engine: Engine, media: Path) -> None:
    a = factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(media / "b.jpg", seed=2)  # not given: stays unknown

    report = scan_paths(engine, settings, [str(a)])

    assert (report.new, report.missing, report.errors) == (1, 0, [])
    assert set(rows(engine)) == {"a.jpg"}
    with engine.connect() as conn:  # a partial scan is not a full one
        assert conn.execute(select(Root.last_scan_at)).scalar() is None


def test_a_folder_means_its_subtree(settings: Settings, engine: Engine, media: Path) -> None:
    factory.jpeg(media / "trip" / "day1" / "a.jpg", seed=1)
    factory.jpeg(media / "trip" / "b.jpg", seed=2)
    factory.jpeg(media / "trip2" / "c.jpg", seed=3)  # same prefix, another folder
    factory.jpeg(media / "d.jpg", seed=4)

    report = scan_paths(engine, settings, [str(media / "trip"), str(media / "trip" / "b.jpg")])

    assert report.new == 2
    assert set(rows(engine)) == {"trip/day1/a.jpg", "trip/b.jpg"}


def test_the_whole_root(settings: Settings, engine: Engine, media: Path) -> None:
    factory.jpeg(media / "x" / "a.jpg", seed=1)
    factory.jpeg(media / "b.jpg", seed=2)

    assert scan_paths(engine, settings, [str(media), str(media / "b.jpg")]).new == 2
    with engine.connect() as conn:
        assert conn.execute(select(Root.last_scan_at)).scalar() is not None


def test_changed_file_is_updated(settings: Settings, engine: Engine, media: Path) -> None:
    path = factory.jpeg(media / "a.jpg", (64, 48), seed=1)
    scan(engine, settings)
    before = rows(engine)["a.jpg"]
    factory.jpeg(path, (200, 100), seed=2)
    os.utime(path, ns=(before.mtime_ns + 10**9, before.mtime_ns + 10**9))

    report = scan_paths(engine, settings, [str(path)])

    assert (report.changed, report.new) == (1, 0)
    after = rows(engine)["a.jpg"]
    assert (after.id, after.width) == (before.id, 200)


def test_deleted_file_and_folder_are_marked_missing_and_nothing_else(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "gone.jpg", seed=1)
    factory.jpeg(media / "album" / "x.jpg", seed=2)
    factory.jpeg(media / "album" / "deep" / "y.jpg", seed=3)
    factory.jpeg(media / "album2" / "z.jpg", seed=4)  # shares the prefix "album"
    factory.jpeg(media / "ALBUM" / "w.jpg", seed=5)  # SQLite's LIKE would match it
    factory.jpeg(media / "elsewhere.jpg", seed=6)
    scan(engine, settings)
    (media / "gone.jpg").unlink()
    shutil.rmtree(media / "album")
    (media / "elsewhere.jpg").unlink()  # deleted, but not in this batch

    report = scan_paths(engine, settings, [str(media / "gone.jpg"), str(media / "album")])

    assert report.missing == 3
    status = {rel: r.status for rel, r in rows(engine).items()}
    assert status == {
        "gone.jpg": "missing",
        "album/x.jpg": "missing",
        "album/deep/y.jpg": "missing",
        "album2/z.jpg": "present",
        "ALBUM/w.jpg": "present",
        "elsewhere.jpg": "present",
    }


def test_a_move_keeps_the_row_whatever_the_order_of_paths(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(media / "b.jpg", seed=2)
    scan(engine, settings)
    ids = {rel: r.id for rel, r in rows(engine).items()}
    (media / "new").mkdir()
    (media / "a.jpg").rename(media / "new" / "a2.jpg")
    (media / "b.jpg").rename(media / "b2.jpg")

    report = scan_paths(
        engine,
        settings,
        [str(media / "a.jpg"), str(media / "new"), str(media / "b2.jpg"), str(media / "b.jpg")],
    )

    assert (report.moved, report.new, report.missing) == (2, 0, 0)
    got = rows(engine)
    assert set(got) == {"new/a2.jpg", "b2.jpg"}
    assert (got["new/a2.jpg"].id, got["b2.jpg"].id) == (ids["a.jpg"], ids["b.jpg"])


def test_a_moved_folder_keeps_its_rows(settings: Settings, engine: Engine, media: Path) -> None:
    for i in range(3):
        factory.jpeg(media / "2020" / f"p{i}.jpg", seed=i)
    scan(engine, settings)
    ids = {rel: r.id for rel, r in rows(engine).items()}
    (media / "2020").rename(media / "2020 Holidays")

    report = scan_paths(engine, settings, [str(media / "2020 Holidays"), str(media / "2020")])

    assert (report.moved, report.new, report.missing) == (3, 0, 0)
    got = rows(engine)
    assert {rel: r.id for rel, r in got.items()} == {
        f"2020 Holidays/p{i}.jpg": ids[f"2020/p{i}.jpg"] for i in range(3)
    }
    assert all(r.folder == "2020 Holidays" and r.status == "present" for r in got.values())


def test_a_file_moved_to_another_root_keeps_its_row(
    tmp_path: Path, media: Path, db_url: str
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    # The destination root comes first in MEDIA_DIR: the deletion must still be seen first.
    settings = make_settings(tmp_path, media, db_url, media_dir=[other, media])
    engine = make_engine(settings.db_url)
    upgrade(engine)
    try:
        factory.jpeg(media / "a.jpg", seed=1)
        factory.jpeg(media / "stays.jpg", seed=2)  # an empty root would look unmounted
        scan(engine, settings)
        item_id = rows(engine)["a.jpg"].id
        (media / "a.jpg").rename(other / "a.jpg")

        report = scan_paths(engine, settings, [str(other / "a.jpg"), str(media / "a.jpg")])

        assert report.moved == 1 and report.new == 0
        row = rows(engine)["a.jpg"]
        assert (row.id, row.status) == (item_id, "present")
        with engine.connect() as conn:
            assert conn.execute(select(Root.path).where(Root.id == row.root_id)).scalar() == str(
                other
            )
    finally:
        engine.dispose()


def test_paths_outside_the_roots_or_hidden_are_ignored(
    settings: Settings, engine: Engine, media: Path, tmp_path: Path
) -> None:
    outside = factory.jpeg(tmp_path / "outside.jpg", seed=1)
    hidden = factory.jpeg(media / ".thumbs" / "h.jpg", seed=2)
    nas = factory.jpeg(media / "@eaDir" / "n.jpg", seed=3)
    sneaky = factory.jpeg(media.parent / "media-not" / "s.jpg", seed=4)  # a prefix, not a parent

    report = scan_paths(engine, settings, [str(outside), str(hidden), str(nas), str(sneaky)])

    assert (report.new, report.skipped_roots) == (0, [])
    assert rows(engine) == {}


def test_a_root_reached_through_a_symlink(tmp_path: Path, db_url: str) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    settings = make_settings(tmp_path, link, db_url)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    try:
        factory.jpeg(real / "a.jpg", seed=1)
        factory.jpeg(real / "b.jpg", seed=2)
        assert scan_paths(engine, settings, [str(link / "a.jpg"), str(real / "b.jpg")]).new == 2
    finally:
        engine.dispose()


def test_unmounted_or_emptied_root_changes_nothing(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    scan(engine, settings)
    (media / "a.jpg").unlink()  # the mount point is empty: unmounted?

    report = scan_paths(engine, settings, [str(media / "a.jpg")])

    assert report.missing == 0 and report.skipped_roots
    media.rmdir()
    assert scan_paths(engine, settings, [str(media / "a.jpg")]).skipped_roots
    assert rows(engine)["a.jpg"].status == "present"


def test_many_paths_in_one_call(settings: Settings, engine: Engine, media: Path) -> None:
    paths = [factory.jpeg(media / "burst" / f"{i:04d}.jpg", seed=i) for i in range(1200)]
    assert scan_paths(engine, settings, [str(p) for p in paths]).new == 1200
    for p in paths[:1100]:
        p.unlink()

    report = scan_paths(engine, settings, [str(p) for p in paths])

    assert (report.missing, report.unchanged) == (1100, 100)

"""The scanner: new, changed, moved, missing, and what it must never do."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from mediashelf.config import Settings
from mediashelf.db.models import Item
from mediashelf.library import scan as scanner
from mediashelf.library.scan import scan
from tests import factory


def rows(engine: Engine) -> dict[str, Item]:
    with engine.connect() as conn:
        return {r.rel_path: r for r in conn.execute(select(Item))}


def test_new_files_are_recorded_with_facts(settings: Settings, engine: Engine, media: Path) -> None:
    taken = datetime(2021, 6, 5, 14, 30, 0)
    factory.jpeg(media / "a.jpg", (120, 80), taken_at=taken)
    factory.jpeg(media / "sub" / "b.jpeg", (64, 48), orientation=6)
    factory.video(media / "clip.mp4")
    (media / "notes.txt").write_text("not media")

    report = scan(engine, settings)

    assert report.new == 3 and report.errors == []
    got = rows(engine)
    assert set(got) == {"a.jpg", "sub/b.jpeg", "clip.mp4"}
    a = got["a.jpg"]
    assert (a.kind, a.mime, a.width, a.height, a.taken_at) == (
        "image",
        "image/jpeg",
        120,
        80,
        taken,
    )
    assert a.date == taken and a.size == (media / "a.jpg").stat().st_size
    assert len(a.fingerprint) == 32
    b = got["sub/b.jpeg"]
    assert (b.folder, b.name, b.width, b.height) == ("sub", "b.jpeg", 48, 64)  # rotated 90°
    assert got["clip.mp4"].kind == "video" and got["clip.mp4"].mime == "video/mp4"


def test_rescan_skips_unchanged_files_without_reading_them(
    settings: Settings, engine: Engine, media: Path
) -> None:
    path = factory.jpeg(media / "a.jpg", seed=1)
    scan(engine, settings)
    before = rows(engine)["a.jpg"].fingerprint
    # Same size and mtime, other bytes: only a scan that reads the file notices.
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))

    report = scan(engine, settings)

    assert (report.unchanged, report.changed, report.new) == (1, 0, 0)
    assert rows(engine)["a.jpg"].fingerprint == before


def test_changed_file_is_updated_in_place(settings: Settings, engine: Engine, media: Path) -> None:
    path = factory.jpeg(media / "a.jpg", (64, 48), seed=1)
    scan(engine, settings)
    first = rows(engine)["a.jpg"]
    factory.jpeg(path, (200, 100), seed=2)
    os.utime(path, ns=(first.mtime_ns + 10**9, first.mtime_ns + 10**9))

    report = scan(engine, settings)

    assert report.changed == 1
    second = rows(engine)["a.jpg"]
    assert second.id == first.id
    assert (second.width, second.height) == (200, 100)
    assert second.fingerprint != first.fingerprint


def test_moved_and_renamed_files_keep_their_row(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(media / "b.jpg", seed=2)
    scan(engine, settings)
    ids = {k: v.id for k, v in rows(engine).items()}
    (media / "deep" / "er").mkdir(parents=True)
    (media / "a.jpg").rename(media / "deep" / "er" / "renamed.jpg")
    (media / "b.jpg").rename(media / "b2.jpg")

    report = scan(engine, settings)

    assert (report.moved, report.new, report.missing) == (2, 0, 0)
    got = rows(engine)
    assert set(got) == {"deep/er/renamed.jpg", "b2.jpg"}
    assert got["deep/er/renamed.jpg"].id == ids["a.jpg"]
    assert got["deep/er/renamed.jpg"].folder == "deep/er"
    assert got["b2.jpg"].id == ids["b.jpg"]


def test_file_that_reappears_after_missing_takes_its_row_back(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(media / "stays.jpg", seed=2)
    scan(engine, settings)
    item_id = rows(engine)["a.jpg"].id
    (media / "a.jpg").rename(media.parent / "away.jpg")
    assert scan(engine, settings).missing == 1
    assert rows(engine)["a.jpg"].status == "missing"
    (media / "x").mkdir()
    (media.parent / "away.jpg").rename(media / "x" / "back.jpg")

    report = scan(engine, settings)

    assert report.moved == 1
    back = rows(engine)["x/back.jpg"]
    assert (back.id, back.status, back.missing_since) == (item_id, "present", None)


def test_identical_copies_are_two_items(settings: Settings, engine: Engine, media: Path) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    (media / "copy.jpg").write_bytes((media / "a.jpg").read_bytes())

    report = scan(engine, settings)

    assert report.new == 2
    got = rows(engine)
    assert got["a.jpg"].fingerprint == got["copy.jpg"].fingerprint
    assert got["a.jpg"].id != got["copy.jpg"].id


def test_deleted_files_are_marked_missing_not_deleted(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(media / "b.jpg", seed=2)
    scan(engine, settings)
    (media / "a.jpg").unlink()

    report = scan(engine, settings)

    assert report.missing == 1
    got = rows(engine)
    assert got["a.jpg"].status == "missing" and got["a.jpg"].missing_since is not None
    assert got["b.jpg"].status == "present"


def test_missing_root_changes_nothing(settings: Settings, engine: Engine, media: Path) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    scan(engine, settings)
    media.rename(media.parent / "unmounted")

    report = scan(engine, settings)

    assert report.missing == 0 and len(report.skipped_roots) == 1
    assert "not found" in report.skipped_roots[0][1]
    assert rows(engine)["a.jpg"].status == "present"


def test_empty_mount_point_is_treated_as_unmounted(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    scan(engine, settings)
    (media / "a.jpg").rename(media.parent / "elsewhere.jpg")  # the disk went away

    report = scan(engine, settings)

    assert report.missing == 0 and "unmounted" in report.skipped_roots[0][1]
    assert rows(engine)["a.jpg"].status == "present"


def test_symlinks_leaving_the_root_are_not_followed(
    settings: Settings, engine: Engine, media: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    factory.jpeg(outside / "secret.jpg", seed=9)
    factory.jpeg(media / "real.jpg", seed=1)
    (media / "escape.jpg").symlink_to(outside / "secret.jpg")
    (media / "escape_dir").symlink_to(outside, target_is_directory=True)
    (media / "inside.jpg").symlink_to(media / "real.jpg")
    (media / "loop").symlink_to(media, target_is_directory=True)

    report = scan(engine, settings)

    assert set(rows(engine)) == {"real.jpg", "inside.jpg"}
    assert report.errors == []


def test_odd_names_are_recorded(settings: Settings, engine: Engine, media: Path) -> None:
    names = ["ünïcødé 写真.jpg", "new\nline.jpg", "-leading-dash.jpg", "  spaces .jpg", "%41.jpg"]
    for i, name in enumerate(names):
        factory.jpeg(media / name, seed=i)
    bad = os.path.join(os.fsencode(media), b"latin1-\xe9.jpg")
    with open(bad, "wb") as fh:
        fh.write((media / names[0]).read_bytes())

    report = scan(engine, settings)

    assert set(rows(engine)) == set(names)
    assert len(report.errors) == 1 and "UTF-8" in report.errors[0][1]


def test_bad_files_are_recorded_and_the_scan_goes_on(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "good.jpg", seed=1)
    (media / "empty.jpg").write_bytes(b"")
    (media / "page.jpg").write_text("<!DOCTYPE html><html><script>alert(1)</script></html>")
    good = (media / "good.jpg").read_bytes()
    (media / "truncated.jpg").write_bytes(good[:20])
    (media / "fake.mp4").write_bytes(good)

    report = scan(engine, settings)

    got = rows(engine)
    assert got["good.jpg"].error is None
    assert got["empty.jpg"].error == "file is empty"
    assert got["page.jpg"].error == "content is text/html, not an image"
    assert got["page.jpg"].mime == "text/html"
    assert got["truncated.jpg"].error.startswith("cannot read image header")
    assert got["fake.mp4"].error == "content is image/jpeg, not a video"
    assert len(report.errors) == 4


def test_hidden_and_system_folders_are_skipped(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / ".hidden.jpg", seed=1)
    factory.jpeg(media / ".thumbs" / "a.jpg", seed=2)
    factory.jpeg(media / "@eaDir" / "b.jpg", seed=3)
    factory.jpeg(media / "ok.jpg", seed=4)

    scan(engine, settings)

    assert set(rows(engine)) == {"ok.jpg"}


def test_multiple_roots(settings: Settings, engine: Engine, media: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(other / "a.jpg", seed=2)
    settings = settings.model_copy(update={"media_dir": [media, other]})

    report = scan(engine, settings)

    assert report.new == 2
    with engine.connect() as conn:
        assert len({r.root_id for r in conn.execute(select(Item))}) == 2


def test_a_copy_does_not_steal_the_row_of_a_file_on_an_unplugged_root(
    settings: Settings, engine: Engine, media: Path, tmp_path: Path
) -> None:
    other = tmp_path / "usb"
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(other / "x.jpg", seed=2)
    settings = settings.model_copy(update={"media_dir": [media, other]})
    scan(engine, settings)
    x_id = rows(engine)["x.jpg"].id
    (media / "copy_of_x.jpg").write_bytes((other / "x.jpg").read_bytes())
    other.rename(tmp_path / "unplugged")

    report = scan(engine, settings)

    assert (report.moved, report.new) == (0, 1)
    got = rows(engine)
    assert got["x.jpg"].id == x_id and got["x.jpg"].status == "present"
    assert got["copy_of_x.jpg"].id != x_id


def test_the_walk_counts_the_files_before_they_are_read(
    engine: Engine, settings: Settings, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Progress: the walk's end gives the total (`found`), with the unchanged file looked
    at already; then `seen` grows to it, batch by batch (here of 2 files)."""
    factory.jpeg(media / "old.jpg", seed=1)
    scan(engine, settings)
    for n in range(5):
        factory.jpeg(media / "new" / f"{n}.jpg", seed=10 + n)
    monkeypatch.setattr(scanner, "BATCH", 2)
    seen: list[tuple[int, int, bool]] = []
    report = scan(engine, settings, lambda r, _rel: seen.append((r.seen, r.found, r.counting)))
    assert seen == [(1, 6, False), (3, 6, False), (5, 6, False), (6, 6, False)]
    assert (report.seen, report.found, report.new, report.unchanged) == (6, 6, 5, 1)

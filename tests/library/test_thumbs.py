"""Thumbnails for the library: made once per content, skipped, forced, failed."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from sqlalchemy import Engine, select

from mediashelf.config import Settings
from mediashelf.db.models import Derived, Item, Job
from mediashelf.jobs.batch import run_thumbnails
from mediashelf.library.cache import thumbnail_path
from mediashelf.library.scan import scan
from tests import factory


def _items(engine: Engine) -> dict[str, Item]:
    with engine.connect() as conn:
        return {r.rel_path: r for r in conn.execute(select(Item))}


def test_three_sizes_in_sharded_cache_with_derived_rows(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", (1600, 1200), seed=1)
    factory.jpeg(media / "b.jpg", (300, 200), seed=2)
    scan(engine, settings)

    report = run_thumbnails(engine, settings)

    assert (report.made, report.skipped, report.errors) == (2, 0, [])
    fp = _items(engine)["a.jpg"].fingerprint
    for px in (256, 512, 1024):
        path = thumbnail_path(settings.cache_dir, fp, px, ".webp")
        assert path.parent.parent.name == fp[:2] and path.parent.name == fp[2:4]
        with Image.open(path) as img:
            assert img.format == "WEBP" and max(img.size) == px
    with engine.connect() as conn:
        derived = conn.execute(select(Derived).where(Derived.fingerprint == fp)).all()
    assert sorted(d.variant for d in derived) == ["1024.webp", "256.webp", "512.webp"]
    assert all(d.bytes > 0 for d in derived)
    small_fp = _items(engine)["b.jpg"].fingerprint
    with Image.open(thumbnail_path(settings.cache_dir, small_fp, 1024, ".webp")) as img:
        assert img.size == (300, 200)  # never enlarged


def test_existing_thumbnails_are_skipped_unless_forced(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", (400, 300), seed=1)
    scan(engine, settings)
    run_thumbnails(engine, settings)
    fp = _items(engine)["a.jpg"].fingerprint
    small = thumbnail_path(settings.cache_dir, fp, 256, ".webp")
    small.write_bytes(b"stale")

    assert run_thumbnails(engine, settings).skipped == 1
    assert small.read_bytes() == b"stale"
    forced = run_thumbnails(engine, settings, force=True)
    assert forced.made == 1 and small.read_bytes().startswith(b"RIFF")
    with engine.connect() as conn:  # forced remake replaces rows, no duplicates
        assert len(conn.execute(select(Derived)).all()) == 3


def test_deleted_cache_is_regenerated(settings: Settings, engine: Engine, media: Path) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    scan(engine, settings)
    run_thumbnails(engine, settings)
    fp = _items(engine)["a.jpg"].fingerprint
    thumbnail_path(settings.cache_dir, fp, 512, ".webp").unlink()
    assert run_thumbnails(engine, settings).made == 1


def test_copies_share_one_set_of_thumbnails(
    settings: Settings, engine: Engine, media: Path
) -> None:
    factory.jpeg(media / "a.jpg", seed=1)
    (media / "b.jpg").write_bytes((media / "a.jpg").read_bytes())
    scan(engine, settings)
    assert run_thumbnails(engine, settings).made == 1


def test_thumbnails_give_items_their_average_colour(
    settings: Settings, engine: Engine, media: Path
) -> None:
    """The gallery's placeholder: the picture's mean colour, on every copy of it, a copy
    found later included (its thumbnails exist already, so no job runs for it)."""
    factory.jpeg(media / "red.jpg", (300, 200), color=(200, 40, 40))
    img = Image.new("RGB", (200, 200), (0, 0, 255))
    img.paste((255, 255, 0), (0, 0, 100, 200))  # half yellow, half blue: grey on average
    img.save(media / "half.png")
    scan(engine, settings)
    assert _items(engine)["red.jpg"].color is None  # not before its thumbnails
    run_thumbnails(engine, settings)

    def rgb(rel: str) -> tuple[int, ...]:
        color = _items(engine)[rel].color
        assert color is not None and len(color) == 7 and color.startswith("#")
        return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))

    assert all(abs(a - b) <= 6 for a, b in zip(rgb("red.jpg"), (200, 40, 40), strict=True))
    assert all(abs(a - b) <= 6 for a, b in zip(rgb("half.png"), (128, 128, 128), strict=True))
    (media / "later").mkdir()
    (media / "later" / "copy.jpg").write_bytes((media / "red.jpg").read_bytes())
    scan(engine, settings)
    assert _items(engine)["later/copy.jpg"].color == _items(engine)["red.jpg"].color


def test_corrupt_image_is_recorded_and_the_run_goes_on(
    settings: Settings, engine: Engine, media: Path
) -> None:
    good = factory.jpeg(media / "good.jpg", (800, 600), quality=95, seed=1).read_bytes()
    # A header that parses, but the data ends early: found only at decode.
    (media / "cut.jpg").write_bytes(good[: len(good) // 3])
    factory.png(media / "bomb.png", (6000, 5000), mode="1")
    factory.jpeg(media / "later.jpg", (500, 400), seed=3)
    scan(engine, settings.model_copy(update={"workers": 2}))
    settings = settings.model_copy(update={"max_image_pixels": 20_000_000, "workers": 2})

    report = run_thumbnails(engine, settings)

    assert report.made == 2
    errors = {Path(p).name: why for p, why in report.errors}
    assert errors.keys() == {"cut.jpg", "bomb.png"}
    assert errors["cut.jpg"].startswith("cannot decode image")
    assert "MAX_IMAGE_PIXELS" in errors["bomb.png"]
    # The failure is the thumbnail job's, not the file's: the item is not flagged.
    assert all(item.error is None for item in _items(engine).values())
    with engine.connect() as conn:
        failed = conn.execute(
            select(Job.status, Job.attempts, Job.error).where(Job.status == "failed")
        ).all()
    # A file that cannot be decoded fails at once: retrying cannot help.
    assert sorted((s, a) for s, a, _ in failed) == [("failed", 1), ("failed", 1)]
    # Quarantined: not tried again on every run...
    again = run_thumbnails(engine, settings)
    assert (again.made, again.errors) == (0, [])
    # ...but a forced run tries them again.
    forced = run_thumbnails(engine, settings, force=True)
    assert forced.made == 2
    assert {Path(p).name for p, _ in forced.errors} == {"cut.jpg", "bomb.png"}


def test_jpeg_thumbnails_when_configured(settings: Settings, engine: Engine, media: Path) -> None:
    factory.png(media / "alpha.png", (200, 100), mode="RGBA", color=(0, 0, 255, 0))
    settings = settings.model_copy(update={"thumbnails_ext": ".jpg"})
    scan(engine, settings)
    run_thumbnails(engine, settings)
    fp = _items(engine)["alpha.png"].fingerprint
    with Image.open(thumbnail_path(settings.cache_dir, fp, 256, ".jpg")) as img:
        assert img.format == "JPEG"
        r, g, b = img.convert("RGB").getpixel((10, 10))
        assert min(r, g, b) > 240  # transparent flattened on white

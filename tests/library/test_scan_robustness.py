"""A scan killed at any moment, and files it is not allowed to read."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.db.models import Item
from mediashelf.library.scan import scan
from tests import factory
from tests.conftest import make_settings

NOBODY = 65534


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "MEDIA_DIR": ",".join(str(p) for p in settings.media_dir),
        "DATA_DIR": str(settings.data_dir),
        "CACHE_DIR": str(settings.cache_dir),
        "DATABASE_URL": settings.db_url,
        "LOG_LEVEL": "warning",
    }


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Item)).scalar_one())


def _snapshot(engine: Engine) -> set[tuple[object, ...]]:
    cols = (
        Item.rel_path,
        Item.fingerprint,
        Item.size,
        Item.mtime_ns,
        Item.kind,
        Item.width,
        Item.height,
        Item.mime,
        Item.error,
    )
    with engine.connect() as conn:
        return set(conn.execute(select(*cols).where(Item.status == "present")).all())


def _kill_mid_scan(settings: Settings, engine: Engine, cwd: Path, at_least: int) -> int:
    """Start `mediashelf scan`, kill -9 it once `at_least` rows are committed."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediashelf", "scan"],
        env=_env(settings),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if _count(engine) >= at_least:
                proc.kill()
                break
            time.sleep(0.005)
    finally:
        proc.kill()
        code = proc.wait()
    return code


def _populate(media: Path, n: int, start: int = 0) -> None:
    base = factory.jpeg(media / "base.jpg", (32, 24)).read_bytes()
    (media / "base.jpg").unlink()
    for i in range(start, start + n):
        folder = media / f"d{i % 40:02d}"
        folder.mkdir(exist_ok=True)
        tag = f"file {i}".encode()
        data = base[:2] + b"\xff\xfe" + (len(tag) + 2).to_bytes(2, "big") + tag + base[2:]
        (folder / f"img{i:05d}.jpg").write_bytes(data)


@pytest.mark.slow
def test_kill_9_during_scans_then_rerun_equals_a_clean_scan(
    settings: Settings, engine: Engine, media: Path, tmp_path: Path
) -> None:
    _populate(media, 6000)
    code = _kill_mid_scan(settings, engine, tmp_path, at_least=600)
    partial = _count(engine)
    assert code == -9, "the scan finished before it could be killed; add files"
    assert 0 < partial < 6000  # batches were committed as it went

    scan(engine, settings)  # rerun to the end
    # Change the tree: move 300, delete 300, add 300; kill the next scan mid-way.
    for i in range(0, 300):
        src = media / f"d{i % 40:02d}" / f"img{i:05d}.jpg"
        src.rename(media / f"d{(i + 1) % 40:02d}" / f"moved{i:05d}.jpg")
    for i in range(300, 600):
        (media / f"d{i % 40:02d}" / f"img{i:05d}.jpg").unlink()
    _populate(media, 300, start=10000)
    ids_before = {r[0]: r[1] for r in _fingerprint_ids(engine)}
    assert _kill_mid_scan(settings, engine, tmp_path, at_least=_count(engine) + 100) == -9

    report = scan(engine, settings)
    assert report.errors == []

    clean_settings = make_settings(
        tmp_path / "clean", media, f"sqlite:///{tmp_path / 'clean' / 'clean.db'}"
    )
    clean = make_engine(clean_settings.db_url)
    upgrade(clean)
    scan(clean, clean_settings)
    assert _snapshot(engine) == _snapshot(clean)
    with engine.connect() as conn:
        present = conn.execute(
            select(func.count()).select_from(Item).where(Item.status == "present")
        ).scalar_one()
        missing = conn.execute(
            select(func.count()).select_from(Item).where(Item.status == "missing")
        ).scalar_one()
    assert (present, missing) == (6000, 300)
    # Moved files kept their rows through the kill.
    after = {r[0]: r[1] for r in _fingerprint_ids(engine, "moved")}
    assert len(after) == 300 and all(ids_before[fp] == item_id for fp, item_id in after.items())
    clean.dispose()


def _fingerprint_ids(engine: Engine, name_prefix: str = "") -> list[tuple[str, int]]:
    query = select(Item.fingerprint, Item.id).where(Item.name.startswith(name_prefix))
    with engine.connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(query)]


# -- permission errors --------------------------------------------------------


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary folder that an unprivileged user can enter (pytest's cannot)."""
    path = Path(tempfile.mkdtemp(prefix="ms-perm-"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _scan_as_nobody(settings: Settings, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    if os.geteuid() == 0:
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    engine = make_engine(settings.db_url)
    report = scan(engine, settings)
    queue.put((report.errors, report.missing))


def test_unreadable_files_and_folders_are_recorded_and_the_scan_goes_on(
    db_url: str, open_tmp: Path
) -> None:
    media = open_tmp / "media"
    media.mkdir()
    if db_url.startswith("sqlite"):
        db_url = f"sqlite:///{open_tmp / 'data' / 'ms.db'}"
    settings = make_settings(open_tmp, media, db_url)
    factory.jpeg(media / "ok.jpg", seed=1)
    factory.jpeg(media / "locked.jpg", seed=2)
    factory.jpeg(media / "private" / "inside.jpg", seed=3)
    engine = make_engine(settings.db_url)
    upgrade(engine)
    scan(engine, settings)  # everything readable: all three known
    factory.jpeg(media / "locked2.jpg", seed=4)
    for p in (media / "locked.jpg", media / "locked2.jpg"):
        os.utime(p, (1, 1))  # changed, so it must be read again
        p.chmod(0o000)
    (media / "private").chmod(0o000)
    for p in [media, *media.rglob("*")]:
        if p.name not in ("locked.jpg", "locked2.jpg", "private"):
            p.chmod(0o777)
    if db_url.startswith("sqlite"):
        for p in [open_tmp / "data", *(open_tmp / "data").iterdir()]:
            p.chmod(0o777)

    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_scan_as_nobody, args=(settings, queue))
    child.start()
    errors, missing = queue.get(timeout=60)
    child.join(30)
    (media / "private").chmod(0o755)

    messages = dict(errors)
    assert messages[str(media / "locked2.jpg")] == "cannot read file: Permission denied"
    assert messages[str(media / "private")].startswith("cannot list folder")
    assert missing == 0  # the unreadable folder's items are not declared missing
    with engine.connect() as conn:
        got = {r.rel_path: r for r in conn.execute(select(Item))}
    assert got["locked2.jpg"].error == "cannot read file: Permission denied"
    assert got["private/inside.jpg"].status == "present"
    assert got["ok.jpg"].error is None
    engine.dispose()

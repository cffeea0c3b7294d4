"""`mediashelf backup`, `restore` and `import-seed` as a user runs them: real processes."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from mediashelf.db.engine import make_engine
from mediashelf.db.models import Favorite, Item, ItemTag, Rating, Tag, User
from mediashelf.library import backup
from tests import factory
from tests.serving import mediashelf as ms

NOW = datetime(2024, 5, 1, 12, 0, 0)


def make_env(tmp_path: Path, name: str, media: Path) -> dict[str, str]:
    media.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "MEDIA_DIR": str(media),
        "DATA_DIR": str(tmp_path / name),
        "CACHE_DIR": str(tmp_path / f"{name}-cache"),
        "LOG_LEVEL": "warning",
    }


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    media = tmp_path / "media"
    media.mkdir()
    factory.jpeg(media / "a.jpg", seed=1)
    factory.jpeg(media / "sub" / "b.jpg", seed=2)
    return make_env(tmp_path, "data", media)


@contextmanager
def database(env: dict[str, str]) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{Path(env['DATA_DIR']).resolve() / 'mediashelf.db'}")
    try:
        yield engine
    finally:
        engine.dispose()


def exported(env: dict[str, str]) -> dict[str, Any]:
    with database(env) as engine:
        doc = backup.export(engine)
    return {k: v for k, v in doc.items() if k != "created_at"}


def ok(proc: Any) -> Any:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc


def people_data(env: dict[str, str]) -> None:
    """An admin (made with the CLI), a tag, a rating and favorites on both files."""
    ok(ms(env, "scan"))
    ok(ms(env, "user", "add", "admin", "--admin", "--password-stdin", stdin="a long secret\n"))
    with database(env) as engine, Session(engine) as db:
        admin = db.scalars(select(User)).one()
        ids = {i.rel_path: i.id for i in db.scalars(select(Item))}
        tag = Tag(name="Beach", key="beach", aliases="[]", created_at=NOW)
        db.add(tag)
        db.flush()
        db.add_all(
            [
                ItemTag(item_id=ids["a.jpg"], tag_id=tag.id),
                Rating(user_id=admin.id, item_id=ids["a.jpg"], value=80, updated_at=NOW),
                Favorite(user_id=admin.id, item_id=ids["a.jpg"], created_at=NOW),
                Favorite(user_id=admin.id, item_id=ids["sub/b.jpg"], created_at=NOW),
            ]
        )
        db.commit()


def test_backup_then_restore_into_a_fresh_install(env: dict[str, str], tmp_path: Path) -> None:
    people_data(env)
    made = ok(ms(env, "backup"))
    assert "wrote" in made.stdout and "1 users" in made.stdout and "2 favorites" in made.stdout
    [default] = (Path(env["DATA_DIR"]) / "backups").iterdir()
    assert re.fullmatch(r"mediashelf-\d{8}-\d{6}\.json", default.name)
    assert "password" not in default.read_text() and "$argon2" not in default.read_text()
    file = tmp_path / "mine.json"
    ok(ms(env, "backup", str(file)))

    fresh = make_env(tmp_path, "fresh", Path(env["MEDIA_DIR"]))
    ok(ms(fresh, "scan"))
    before = exported(fresh)
    dry = ok(ms(fresh, "restore", str(file), "--dry-run"))
    assert "would change 6 rows" in dry.stdout and "dry run" in dry.stdout
    assert exported(fresh) == before

    done = ok(ms(fresh, "restore", str(file)))
    assert "changed 6 rows" in done.stdout and "2 of 2 files found" in done.stdout
    assert "new users without a password: admin" in done.stderr
    assert "mediashelf user passwd" in done.stderr
    assert exported(fresh) == exported(env)
    again = ok(ms(fresh, "restore", str(file)))
    assert "changed 0 rows" in again.stdout
    ok(ms(fresh, "user", "passwd", "admin", "--password-stdin", stdin="another secret\n"))


def test_restore_reports_files_not_in_the_library(env: dict[str, str], tmp_path: Path) -> None:
    people_data(env)
    file = tmp_path / "b.json"
    ok(ms(env, "backup", str(file)))
    elsewhere = tmp_path / "elsewhere"  # another machine: another root, one file not there
    elsewhere.mkdir()
    (elsewhere / "a.jpg").write_bytes((Path(env["MEDIA_DIR"]) / "a.jpg").read_bytes())
    other = make_env(tmp_path, "other", elsewhere)
    ok(ms(other, "scan"))
    done = ok(ms(other, "restore", str(file)))
    assert "1 of 2 files found" in done.stdout
    assert "1 files are not in the library" in done.stderr and "sub/b.jpg" in done.stderr
    assert "mediashelf scan" in done.stderr
    restored = exported(other)
    assert [f["item"] for f in restored["favorites"]] == [0]
    assert restored["items"][0]["root"] == str(elsewhere.resolve())


def test_what_is_not_a_backup_is_refused_and_changes_nothing(
    env: dict[str, str], tmp_path: Path
) -> None:
    people_data(env)
    good = tmp_path / "good.json"
    ok(ms(env, "backup", str(good)))
    doc = json.loads(good.read_text())
    with database(env) as engine, Session(engine) as db:  # so a restore would change things
        db.execute(Favorite.__table__.delete())
        db.commit()
    before = exported(env)
    cases = {
        "corrupt.json": (good.read_text()[:-40], "is not valid JSON (corrupt or cut short?)"),
        "foreign.json": (json.dumps({"hello": "world"}), "not a Mediashelf backup"),
        "newer.json": (json.dumps({**doc, "version": 2}), "made by a newer Mediashelf"),
        "bad-ref.json": (
            json.dumps({**doc, "favorites": [{**doc["favorites"][0], "item": 7}]}),
            "favorites[0].item is invalid",
        ),
        "binary.json": (b"\x89PNG\r\n\x1a\n\xff", "not UTF-8"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
        proc = ms(env, "restore", str(path))
        assert proc.returncode == 1, (name, proc.stdout)
        assert "error:" in proc.stderr and message in proc.stderr, (name, proc.stderr)
        assert "Traceback" not in proc.stderr
    missing = ms(env, "restore", str(tmp_path / "nothing.json"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    assert exported(env) == before


def test_import_seed_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    ok(ms(env, "scan"))
    ok(ms(env, "user", "add", "me", "--password-stdin", stdin="a long secret\n"))
    seed = tmp_path / "seed"
    seed.mkdir()
    files = {
        "ratings": {"a.jpg": 5, "gone.mp4": 2},
        "views": {"a.jpg": 7, "b.jpg": 2},
        "tags": {"b.jpg": ["#holiday"]},
        "favorites": {"favorites": ["a.jpg"]},
    }
    for name, data in files.items():
        (seed / f"{name}.json").write_text(json.dumps(data))

    dry = ok(ms(env, "import-seed", str(seed), "--user", "me", "--dry-run"))
    assert "dry run" in dry.stdout
    assert exported(env)["ratings"] == []
    done = ok(ms(env, "import-seed", str(seed), "--user", "me"))
    assert "ratings.json" in done.stdout and "favorites.json" in done.stdout
    assert "ratings.json, not found: gone.mp4" in done.stderr
    doc = exported(env)
    assert [(r["user"], r["value"]) for r in doc["ratings"]] == [("me", 100)]
    assert sorted(v["count"] for v in doc["views"]) == [2, 7]
    assert [t["name"] for t in doc["tags"]] == ["holiday"] and len(doc["favorites"]) == 1
    ok(ms(env, "import-seed", str(seed), "--user", "me"))
    assert exported(env) == doc  # importing again changes nothing

    nobody = ms(env, "import-seed", str(seed), "--user", "nobody")
    assert nobody.returncode == 1 and "no user 'nobody'" in nobody.stderr
    empty = ms(env, "import-seed", str(tmp_path), "--user", "me")
    assert empty.returncode == 1 and "none of ratings.json" in empty.stderr

"""Engine set-up and migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from mediashelf.db.engine import SchemaError, current_revision, head_revision, make_engine, upgrade


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_upgrade_creates_the_schema_and_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    assert upgrade(engine) == (None, head_revision())
    assert {"roots", "items", "derived"} <= set(inspect(engine).get_table_names())
    assert upgrade(engine) == (head_revision(), head_revision())
    engine.dispose()


def test_a_newer_schema_is_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(SchemaError, match="newer than this version"):
        upgrade(engine)
    engine.dispose()


def test_cli_db_upgrade_and_refusal(db_url: str, tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": db_url, "DATA_DIR": str(tmp_path / "d")}
    run = [sys.executable, "-m", "mediashelf", "db", "upgrade"]
    first = subprocess.run(run, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "upgraded from empty" in first.stdout
    again = subprocess.run(run, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert "up to date" in again.stdout
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    engine.dispose()
    refused = subprocess.run(
        [sys.executable, "-m", "mediashelf", "scan"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    assert "newer than this version of Mediashelf" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "mediashelf", "scan"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "cannot open the database" in proc.stderr
    assert "Traceback" not in proc.stderr

"""Shared fixtures: settings on a temporary tree, a real database (SQLite and
PostgreSQL), an app client. Media is made on the fly by tests/factory.py.

PostgreSQL comes from MEDIASHELF_TEST_PG_URL (default: the local server on
127.0.0.1:5432). Each test gets its own fresh database. If the server cannot
be reached, PostgreSQL cases are skipped, unless MEDIASHELF_REQUIRE_PG=1
(as in CI), where they fail.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from mediashelf.auth.apikeys import LOGGED_PATTERN as KEY_PATTERN
from mediashelf.config import Settings
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.web.app import create_app
from tests.serving import LOG_DIR

# -- no API key in any log of the whole run --------------------------------------------

_RUN_LOG = logging.FileHandler(LOG_DIR / "pytest.log", encoding="utf-8")
_RUN_LOG.setLevel(logging.INFO)
_RUN_LOG.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))


@pytest.fixture(autouse=True)
def _log_everything() -> None:
    """Keep the run's log handler on the root logger (CLI code may reset the handlers)."""
    root = logging.getLogger()
    if _RUN_LOG not in root.handlers:
        root.addHandler(_RUN_LOG)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


@pytest.fixture(autouse=True)
def _no_lease_left() -> Iterator[None]:
    """A job started in-process must be ended: its lease thread would go on renewing,
    and a thread inside SQLite while a later test forks a process pool deadlocks it."""
    yield
    deadline = time.monotonic() + 2
    while leases := [t.name for t in threading.enumerate() if t.name.startswith("lease-")]:
        assert time.monotonic() < deadline, f"lease threads left running: {leases}"
        time.sleep(0.05)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if anything shaped like an API key reached a log: this process's
    (every logger, through the root) or a test server's (tests/serving.py)."""
    _RUN_LOG.flush()
    leaks = []
    for path in sorted(LOG_DIR.glob("*.log")):
        for n, line in enumerate(path.read_text("utf-8", "replace").splitlines(), 1):
            if KEY_PATTERN.search(line):
                leaks.append(f"{path.name}:{n}: {line[:200]}")
    if leaks:
        print("\nAPI keys in the logs of this run:\n" + "\n".join(leaks[:20]))
        print(f"(the logs are kept in {LOG_DIR})")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    else:
        shutil.rmtree(LOG_DIR, ignore_errors=True)


PG_URL = os.environ.get(
    "MEDIASHELF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REQUIRE_PG = os.environ.get("MEDIASHELF_REQUIRE_PG") == "1"


def _pg_admin() -> Engine | None:
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            return engine
    except Exception as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL at {PG_URL} is required (MEDIASHELF_REQUIRE_PG=1): {exc}")
        return None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'mediashelf.db'}"
        return
    with fresh_pg_database() as url:
        yield url


@contextmanager
def fresh_pg_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    admin = _pg_admin()
    if admin is None:
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    name = f"ms_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def media(tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    return root


@pytest.fixture
def settings(tmp_path: Path, media: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, media, db_url)


def make_settings(tmp_path: Path, media: Path, db_url: str, **extra: object) -> Settings:
    values: dict[str, object] = {
        "media_dir": [media],
        "data_dir": tmp_path / "data",
        "cache_dir": tmp_path / "cache",
        "database_url": db_url,
        "manifest_file": tmp_path / "manifest.json",
        "thumbnails_file": tmp_path / "thumbnails.json",
        "workers": 1,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    eng = make_engine(settings.db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    app = create_app(settings)
    with signed_in(app) as c:
        yield c
    app.state.engine.dispose()


def add_key(app: FastAPI, role: str = "admin", scope: str | None = None) -> str:
    """A user of `role` (no password, so nothing slow to hash) and an API key of
    `scope` (default: the widest the role allows); returns the key."""
    from mediashelf.auth import apikeys, users

    scope = scope or {"admin": "admin", "member": "write", "viewer": "read"}[role]
    with app.state.sessions() as db:
        name = f"{role}-{scope}-{uuid.uuid4().hex[:6]}"
        user = users.create(db, name, None, role)
        return apikeys.create(db, user, "tests", scope)[1]


@contextmanager
def signed_in(app: FastAPI, role: str = "admin") -> Iterator[TestClient]:
    """A TestClient whose requests carry an API key of a new user of `role`."""
    with TestClient(app) as c:
        c.headers["authorization"] = f"Bearer {add_key(app, role)}"
        yield c

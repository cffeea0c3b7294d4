"""Logging: text for people, one JSON object per line for collectors."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from rich.console import Console

from mediashelf import logs
from mediashelf.db.engine import make_engine, upgrade
from mediashelf.library.scan import scan
from tests import factory
from tests.conftest import make_settings


def test_json_lines_carry_logger_level_and_extras(tmp_path: Path) -> None:
    stream = io.StringIO()
    settings = make_settings(tmp_path, tmp_path, "sqlite://", log_format="json")
    logs.setup(settings, Console(file=stream))
    try:
        logging.getLogger("mediashelf.worker").warning("job %d failed", 7, extra={"job": 7})
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("mediashelf.watcher").exception("watch stopped")
    finally:
        logging.basicConfig(force=True)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["logger"] == "mediashelf.worker"
    assert (lines[0]["level"], lines[0]["message"], lines[0]["job"]) == (
        "warning",
        "job 7 failed",
        7,
    )
    assert lines[1]["logger"] == "mediashelf.watcher"
    assert "ValueError: boom" in lines[1]["exception"]


def test_text_logs_name_the_part(tmp_path: Path) -> None:
    stream = io.StringIO()
    logs.setup(make_settings(tmp_path, tmp_path, "sqlite://"), Console(file=stream))
    try:
        logging.getLogger("mediashelf.scanner").warning("cannot read %s", "x.jpg")
    finally:
        logging.basicConfig(force=True)
    assert "WARNING mediashelf.scanner[" in stream.getvalue()
    assert "cannot read x.jpg" in stream.getvalue()


def test_the_scanner_logs_a_summary_with_fields(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    media = tmp_path / "media"
    factory.jpeg(media / "a.jpg", seed=1)
    (media / "bad.jpg").write_bytes(b"<html>not a photo</html>")
    settings = make_settings(tmp_path, media, f"sqlite:///{tmp_path / 'db.sqlite'}")
    engine = make_engine(settings.db_url)
    upgrade(engine)
    try:
        with caplog.at_level(logging.INFO, logger="mediashelf.scanner"):
            scan(engine, settings)
    finally:
        engine.dispose()
    [summary] = [r for r in caplog.records if r.getMessage().startswith("scanned library")]
    assert (summary.new, summary.errors) == (2, 1)  # type: ignore[attr-defined]
    assert any("bad.jpg" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_api_keys_never_reach_a_log_line() -> None:
    """An access log line of a refused `?api_key=` URL, and a key inside a message."""
    key = "msk_" + "Ab3_-" * 9
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root, access = logging.getLogger(), logging.getLogger("uvicorn.access")
    saved = access.propagate, access.level
    root.addHandler(handler)
    access.addHandler(handler)  # uvicorn's own config may stop it propagating to the root
    access.propagate, access.level = False, logging.INFO
    try:
        logs.guard_secrets()
        access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.9", "GET", f"/api/v1/items?key={key}",
                    "1.1", 400)  # fmt: skip
        logging.getLogger("mediashelf.test").warning("folder %s is odd: %s", key, {"k": key})
        logging.getLogger("mediashelf.test").warning(f"inline {key}")
    finally:
        root.removeHandler(handler)
        access.removeHandler(handler)
        access.propagate, access.level = saved
    text = stream.getvalue()
    assert text.count("msk_[redacted]") == 4 and key not in text, text


def test_the_access_log_keeps_working_with_keys_redacted() -> None:
    """uvicorn's access formatter unpacks the record's arguments: they must survive."""
    from uvicorn.logging import AccessFormatter

    key = "msk_" + "Zz9" * 15
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessFormatter('%(client_addr)s "%(request_line)s" %(status_code)s'))
    handler.addFilter(logs.RedactKeys())
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.9:5000", "GET", f"/api/v1/items?token={key.replace('_', '%5F')}", "1.1", 400),
        None,
    )  # fmt: skip
    handler.handle(record)
    line = stream.getvalue()
    assert '"GET /api/v1/items?token=msk_[redacted] HTTP/1.1" 400' in line, line
    assert key[4:] not in line

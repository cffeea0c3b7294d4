"""Logging: text for people, one JSON object per line for collectors."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from rich.console import Console

from mediashelf import logs
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

"""Logging set-up: one logger per part (mediashelf.scanner, .worker, .watcher,
.thumbnails, .web), written as readable text or as one JSON object per line
(LOG_FORMAT=json) for log collectors.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.logging import RichHandler

from mediashelf.auth.apikeys import LOGGED_PATTERN as KEY_PATTERN
from mediashelf.config import Settings

# Loggers that print request lines (with their query strings) in a server process.
ACCESS_LOGGERS = ("uvicorn.access", "uvicorn.error", "gunicorn.access", "gunicorn.error")

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged too.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RedactKeys(logging.Filter):
    """Blanks anything shaped like an API key in a record before any handler sees it.

    Keys are refused in URLs, but a refused request line is still logged by the
    access log; and a key pasted into a folder name or an error message must not
    reach the log either.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # Argument by argument first: formatters such as uvicorn's access log unpack them.
        if isinstance(record.msg, str):
            record.msg = _redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {
                k: _redact(v) if isinstance(v, str) else v for k, v in record.args.items()
            }
        message = record.getMessage()
        if KEY_PATTERN.search(message):  # inside an argument that is not text (a dict, …)
            record.msg, record.args = _redact(message), None
        return True


def _redact(text: str) -> str:
    return KEY_PATTERN.sub("msk_[redacted]", text)


def guard_secrets() -> None:
    """Redact keys on the root logger's handlers and on the servers' own loggers."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactKeys) for f in handler.filters):
            handler.addFilter(RedactKeys())
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactKeys) for f in logger.filters):
            logger.addFilter(RedactKeys())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup(settings: Settings, console: Console) -> None:
    """Configure the root logger once, for a CLI command."""
    handler: logging.Handler
    if settings.log_format == "json":
        handler = logging.StreamHandler(console.file)
        handler.setFormatter(JsonFormatter())
    elif console.is_terminal:
        handler = RichHandler(console=console, show_path=False, show_time=False)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(console.file)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s[%(process)d]: %(message)s")
        )
    logging.basicConfig(level=settings.log_level.upper(), handlers=[handler], force=True)
    guard_secrets()
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("huey").setLevel(max(logging.WARNING, logging.getLogger().level))

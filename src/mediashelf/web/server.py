"""Production serving: gunicorn with uvicorn workers.

SIGHUP to the master re-reads the settings (environment and .env) and
replaces the workers gracefully: old ones finish their requests first.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from mediashelf.config import Settings, load_settings

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies.

    Uvicorn workers do not watch their parent, so a master killed with
    SIGKILL (or by the OOM killer) would leave them serving, holding the
    port, and a restarted server could not bind it. The same goes for the
    job worker and watcher that `serve` starts.
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _die_with_master(_server: Any, _worker: Any) -> None:
    """gunicorn's post_fork hook."""
    die_with_parent()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], overrides: dict[str, Any]) -> None:
        self.options = options
        self.overrides = overrides
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from mediashelf.web.app import create_app

        return create_app(load_settings(**self.overrides))


def run_production(settings: Settings, overrides: dict[str, Any], socket: Path | None) -> None:
    bind = f"unix:{socket}" if socket else f"{settings.host}:{settings.port}"
    if ":" in settings.host and not socket:
        bind = f"[{settings.host}]:{settings.port}"
    options = {
        "bind": [bind],
        "workers": settings.web_workers,
        "worker_class": "uvicorn_worker.UvicornWorker",
        "graceful_timeout": 30,
        "timeout": 120,
        # How long an idle keep-alive connection stays open (gunicorn's default is 2 s):
        # a client that sends on one the server is just closing gets no answer, and
        # clients do not resend a POST. Pages and players on the LAN pause longer than 2 s.
        "keepalive": 20,
        "proc_name": "mediashelf",
        "accesslog": None,
        "errorlog": "-",
        "loglevel": settings.log_level,
        "post_fork": _die_with_master,
        # X-Forwarded-* are believed only from TRUSTED_PROXIES, by our own middleware
        # (web/security.py); gunicorn and uvicorn would trust 127.0.0.1 by default.
        "forwarded_allow_ips": "",
        # gunicorn 27's control socket lives in ~/.gunicorn and is shared by every
        # server of the user; `mediashelf reload` uses plain signals instead.
        "control_socket_disable": True,
    }
    _Gunicorn(options, overrides).run()

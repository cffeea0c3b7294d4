"""What a job kind gets to work with, and the two ways it can stop early."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mediashelf.db.models import Item, Job, Root
from mediashelf.jobs import store

if TYPE_CHECKING:
    from mediashelf.jobs.queue import Jobs


class Permanent(Exception):
    """A failure that another attempt would repeat: the job fails at once."""


class Cancelled(Exception):
    """The job was cancelled while it ran."""


class JobContext:
    def __init__(self, jobs: Jobs, job: Job, worker: str) -> None:
        self.jobs = jobs
        self.job = job
        self.worker = worker
        # A scan reads the settings afresh: a root added a moment ago must be in them.
        self.settings = jobs.live.refresh() if job.kind == "scan" else jobs.live.get()
        self.engine = jobs.engine
        self.params: dict[str, Any] = json.loads(job.params or "{}")
        self.cancelled = threading.Event()
        self._progress: float | None = None
        self._message: str | None = None
        self._counts: tuple[int | None, int | None] = (None, None)
        self._last = time.monotonic()
        self.lease: Any = None  # the runner's lease-renewing thread

    def renew(self) -> bool:
        """Extend the lease and store the latest progress; False once cancelled."""
        return store.renew(
            self.engine,
            self.job.id,
            self.worker,
            self.settings.job_lease_seconds,
            self._progress,
            self._message,
            *self._counts,
        )

    def progress(
        self,
        fraction: float | None,
        message: str | None = None,
        *,
        done: int | None = None,
        total: int | None = None,
        now: bool = False,
    ) -> None:
        """Report progress (stored at most once a second, or `now`): a fraction, a message,
        and for the stream `done` of `total` things (None: not known yet). Raises
        Cancelled when cancelled."""
        if self.cancelled.is_set():
            raise Cancelled
        self._progress, self._message = fraction, message
        self._counts = (done, total)
        at = time.monotonic()
        if now or at - self._last >= 1.0:
            self._last = at
            if not self.renew():
                self.cancelled.set()
                raise Cancelled

    def item(self, *columns: Any) -> Any | None:
        """The job's item if it is still present: `fingerprint`, `path` (the file) and
        these columns; None when it is gone (see GONE)."""
        query = (
            select(Item.status, Item.fingerprint, Root.path.label("root"), Item.rel_path)
            .add_columns(*columns)
            .join(Root, Root.id == Item.root_id)
            .where(Item.id == self.job.item_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.status != "present" or not row.fingerprint:
            return None
        return _ItemRow(row, Path(row.root) / row.rel_path)


GONE = "nothing to do: the file is no longer in the library"


class _ItemRow:
    """A row of the job's item, with its file's path."""

    def __init__(self, row: Any, path: Path) -> None:
        self._row = row
        self.path = path

    def __getattr__(self, name: str) -> Any:
        return getattr(self._row, name)

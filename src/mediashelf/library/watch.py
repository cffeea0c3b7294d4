"""The folder watcher: what changes on disk is scanned, and only that.

watchfiles reports changed paths, one thread per watched folder, and one loop
here turns that stream into batches for `on_batch` (the CLI passes the jobs
side's `scan_now`; library/ does not import jobs/):

* debounce: paths gather until nothing has changed for WATCH_DEBOUNCE_MS, so a
  copy of 1,000 files is one batch, not 1,000 scans;
* settle: a file whose size or mtime moved since its last event is held back
  until it stops (a copy in progress is not scanned half-written), and a
  folder waits for the files being written inside it. So that one endless
  writer cannot stall everything, after `max_wait_s` without a quiet moment
  the batch goes without the files still being written;
* retry: when `on_batch` returns False (another scan holds the library) or
  fails, its paths stay, merge with the next changes and go again a little
  later, backing off.

Sidecars (`IMG_1.json`, `IMG_1.txt`, `folder.json`, Takeout's JSON: see
library/sidecars.py) go too when they are created or changed, so that what they
say lands as fast as a new photo does. A `.json` or `.txt` file is kept by its
name alone while the events come; when its batch is due, one listing of its
folder says whether a media file it belongs to is there (`with_media`), and
one that belongs to none (`notes.txt`, `package.json`) is dropped unscanned.
The scan of a sidecar's path reads it for the files it belongs to (for
`folder.json`, every file in its folder) without walking anything else.

Polling replaces inotify where events do not come: roots on network file
systems (the server's own changes raise none), network mounts inside a root,
WATCH_POLL=always, and whenever inotify runs out (watches or instances).
`on_rescan` runs once the watches are up and every RESCAN_INTERVAL seconds
after: the safety net for anything missed, such as changes made while the
watcher was not running.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import re
import stat as stat_mod
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import watchfiles

from mediashelf.config import Settings
from mediashelf.library import sidecars
from mediashelf.library.scan import SKIP_DIRS

log = logging.getLogger("mediashelf.watcher")

NETWORK_FS = {  # where a server's own changes raise no inotify events
    *("nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "lustre", "gpfs"),
    *("fuse.sshfs", "sshfs", "fuse.ceph", "fuse.glusterfs", "fuse.rclone", "fuse.s3fs"),
    *("beegfs", "ncpfs", "coda", "davfs", "fuse.davfs2", "fuse.gcsfuse", "virtiofs", "vboxsf"),
}
TEMP_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".filepart")
TICK_MS = 500  # a watch thread wakes this often with no changes: readiness, unmounts
RETRY_S = 30.0  # a root that is not there, or cannot be watched, is tried again this often
BACKOFF_MAX_S = 10.0


# -- what to watch, and how ------------------------------------------------


@dataclass
class Unit:
    """One watched folder: a root, or a network mount inside one (polled)."""

    root: str  # the root's real path: where relative names start
    path: str
    polling: bool
    ready: threading.Event = field(default_factory=threading.Event)


def mount_table(text: str | None = None) -> list[tuple[str, str]]:
    """(mount point, file system type) from /proc/mounts, or from `text` in its format."""
    if text is None:
        try:
            with open("/proc/mounts", encoding="utf-8", errors="surrogateescape") as fh:
                text = fh.read()
        except OSError:
            return []
    unescape = re.compile(r"\\([0-7]{3})")
    table = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            point = unescape.sub(lambda m: chr(int(m.group(1), 8)), fields[1])
            table.append((point, fields[2]))
    return table


def _under(base: str, path: str) -> str | None:
    """`path` relative to `base` ("" for itself), or None if it is not inside."""
    if path == base:
        return ""
    prefix = base.rstrip(os.sep) + os.sep
    return path[len(prefix) :] if path.startswith(prefix) else None


def _hidden(rel: str) -> bool:
    return any(p.startswith(".") or p in SKIP_DIRS for p in rel.split(os.sep) if p)


def plan(settings: Settings, mounts: list[tuple[str, str]] | None = None) -> list[Unit]:
    """The folders to watch, each with inotify or polling (see the module's docstring)."""
    table = mount_table() if mounts is None else mounts
    units = []
    for root in dict.fromkeys(settings.root_paths):
        # The file system a root is on: that of the longest mount point above it.
        above = [(len(p), fs) for p, fs in table if _under(p, root) is not None]
        fs = max(above)[1] if above else ""
        mode = settings.watch_poll
        units.append(Unit(root, root, mode == "always" or (mode == "auto" and fs in NETWORK_FS)))
        if mode == "auto" and not units[-1].polling:
            for point, fs in table:
                rel = _under(root, point)
                if fs in NETWORK_FS and rel and not _hidden(rel):
                    units.append(Unit(root, point, True))
    return units


class ChangeFilter:
    """Which changes matter: media files; sidecar-like files (`.json`, `.txt`: whether
    they belong to a media file is looked at when their batch is due, `with_media`);
    folders that appear or go (a moved folder moves what is in it, and its files are
    not reported one by one); and paths gone from disk, which may have been folders.
    Hidden, NAS system and temporary names never matter, nor a folder's own changes
    (its files are reported themselves)."""

    def __init__(self, root: str, settings: Settings) -> None:
        self.root = root
        self.exts = frozenset(settings.image_exts) | frozenset(settings.video_exts)

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        rel = _under(self.root, path)
        if not rel or _hidden(rel):
            return False
        name = os.path.basename(path)
        lower = name.lower()
        if lower.endswith(TEMP_SUFFIXES) or name.startswith("~$") or name.endswith("~"):
            return False
        ext = os.path.splitext(lower)[1]
        if ext in self.exts or change == watchfiles.Change.deleted:
            return True
        if os.path.isdir(path):
            return change == watchfiles.Change.added
        return ext in sidecars.EXTS or not os.path.lexists(path)  # a sidecar; gone already


def _watch_unit(
    unit: Unit, settings: Settings, out: queue.Queue[list[str]], halt: threading.Event
) -> None:
    """One folder's changes into `out`, until `halt`; falls back to polling if inotify fails.

    Whenever watching had to stop (an error, an unmount), the whole folder is
    queued for a scan once it resumes: changes in between raised no events.
    """
    keep = ChangeFilter(unit.root, settings)
    polling, interrupted, absent = unit.polling, False, False
    while not halt.is_set():
        if not os.path.isdir(unit.path):
            if not absent:
                log.warning("%s is not there (unmounted?); watching it when it is", unit.path)
            absent = interrupted = True
            unit.ready.set()
            halt.wait(RETRY_S)
            continue
        absent = False
        mode = "polling" if polling else "inotify"
        try:
            for changes in watchfiles.watch(
                unit.path,
                watch_filter=keep,
                debounce=min(settings.watch_debounce_ms, 500),
                step=50,
                stop_event=halt,
                rust_timeout=TICK_MS,
                yield_on_timeout=True,
                raise_interrupt=False,
                force_polling=polling,
                poll_delay_ms=settings.watch_debounce_ms,
                ignore_permission_denied=True,
            ):
                if not unit.ready.is_set() or interrupted:
                    extra = {"folder": unit.path, "mode": mode}
                    log.info("watching %s (%s)", unit.path, mode, extra=extra)
                    unit.ready.set()
                if interrupted:
                    out.put([unit.path])
                    interrupted = False
                if changes:
                    out.put([path for _, path in changes])
                if not os.path.isdir(unit.path):
                    break  # unmounted: wait for it to come back
        except (OSError, RuntimeError) as exc:  # RuntimeError: watchfiles' internal errors
            interrupted = interrupted or unit.ready.is_set()
            if not os.path.isdir(unit.path):
                continue
            if polling or settings.watch_poll == "never":
                log.error("cannot watch %s: %s; trying again in %.0f s", unit.path, exc, RETRY_S)
                unit.ready.set()
                halt.wait(RETRY_S)
            else:
                log.warning(
                    "inotify failed on %s (%s): polling it instead. Raise "
                    "fs.inotify.max_user_watches / max_user_instances to get events back.",
                    unit.path,
                    exc,
                    extra={"folder": unit.path, "error": str(exc)},
                )
                polling = True


# -- from changes to batches -----------------------------------------------


def with_media(paths: list[str], media_exts: frozenset[str]) -> list[str]:
    """`paths` without the sidecar-like files (`.json`, `.txt`) that belong to no media
    file next to them: one listing per folder that holds such files, whatever their
    number. Other paths, and those that are not a file (gone, or a folder named
    `x.json`), stay as they are."""
    kept: list[str] = []
    folders: dict[str, list[str]] = {}
    for path in paths:
        if os.path.splitext(path)[1].lower() in sidecars.EXTS and os.path.isfile(path):
            folders.setdefault(os.path.dirname(path), []).append(path)
        else:
            kept.append(path)
    for folder, files in folders.items():
        media = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    name = entry.name
                    if os.path.splitext(name)[1].lower() in media_exts and name[0] != ".":
                        media.append(name)
        except OSError:
            continue  # gone or unreadable: nothing here to give metadata to
        names = {os.path.basename(p): p for p in files}
        kept += (names[name] for name in sidecars.owned(names, media))
    return sorted(kept)


def _signature(path: str) -> tuple[int, int] | None:
    """(size, mtime) of a regular file; None for a folder or a path that is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns) if stat_mod.S_ISREG(st.st_mode) else None


@dataclass
class _Pending:
    last: float  # when it last changed (an event, or a signature that moved)
    signature: tuple[int, int] | None  # as it was then


class Batcher:
    """Changed paths in, batches out: debounced, settled, retried. Times are
    time.monotonic() values, passed in so that the rules read plainly."""

    def __init__(self, debounce_s: float, max_wait_s: float) -> None:
        self.debounce = debounce_s
        self.max_wait = max(max_wait_s, debounce_s)
        self.pending: dict[str, _Pending] = {}
        self.last_event = -math.inf
        self.waiting_since: float | None = None
        self.retry_at = -math.inf
        self.failures = 0

    def add(self, paths: Iterable[str], now: float) -> None:
        for path in paths:
            self.pending[path] = _Pending(now, _signature(path))
        self.last_event = now
        if self.waiting_since is None:
            self.waiting_since = now

    def due(self, now: float) -> list[str]:
        """The paths to hand over now (sorted), or none if it is not time yet."""
        if not self.pending or now < self.retry_at:
            return []
        quiet = now - self.last_event >= self.debounce
        overdue = self.waiting_since is not None and now - self.waiting_since >= self.max_wait
        if not (quiet or overdue):
            return []
        ready, held = [], []
        for path, p in self.pending.items():
            if now - p.last < self.debounce:
                held.append(path)
                continue
            signature = _signature(path)
            if signature != p.signature:  # still being written: look again a debounce later
                p.last, p.signature = now, signature
                held.append(path)
            else:
                ready.append(path)
        busy_folders = {os.path.dirname(h) for h in held}
        for folder in list(busy_folders):
            while (folder := os.path.dirname(folder)) not in busy_folders:
                busy_folders.add(folder)
        return sorted(path for path in ready if path not in busy_folders)

    def done(self, paths: list[str], now: float) -> None:
        for path in paths:
            del self.pending[path]
        self.failures, self.retry_at = 0, -math.inf
        self.waiting_since = now if self.pending else None

    def failed(self, now: float) -> float:
        """Keep the paths; returns the seconds until they go again."""
        self.failures += 1
        delay = min(BACKOFF_MAX_S, self.debounce * 2.0 ** (self.failures - 1))
        self.retry_at = now + delay
        return delay


def watch(
    settings: Settings,
    on_batch: Callable[[list[str]], bool],
    stop: threading.Event | None = None,
    on_rescan: Callable[[], object] | None = None,
    *,
    ready: threading.Event | None = None,
    max_wait_s: float = 60.0,
) -> None:
    """Watch every root until `stop` is set, handing batches of changed paths to
    `on_batch` (True: scanned; False: try again later). `ready` is set once the
    roots are watched (or found missing); `on_rescan` then runs, and every
    RESCAN_INTERVAL seconds after (0: never)."""
    stop = stop or threading.Event()
    halt = threading.Event()  # ours: stops the watch threads however this ends
    changes: queue.Queue[list[str]] = queue.Queue()
    units = plan(settings)
    threads = [
        threading.Thread(
            target=_watch_unit,
            args=(u, settings, changes, halt),
            name=f"watch {u.path}",
            daemon=True,
        )
        for u in units
    ]
    debounce = settings.watch_debounce_ms / 1000
    batcher = Batcher(debounce, max_wait_s)
    media_exts = frozenset(settings.image_exts) | frozenset(settings.video_exts)
    tick = min(0.1, debounce / 4)
    try:
        for thread in threads:
            thread.start()
        for unit in units:
            unit.ready.wait(10)
        log.info(
            "watcher ready: %d folders, debounce %d ms", len(units), settings.watch_debounce_ms
        )
        if ready is not None:
            ready.set()
        interval = settings.rescan_interval
        next_rescan = time.monotonic() if on_rescan and interval else math.inf
        while not stop.is_set():
            try:
                batcher.add(changes.get(timeout=tick), time.monotonic())
                while True:
                    batcher.add(changes.get_nowait(), time.monotonic())
            except queue.Empty:
                pass
            now = time.monotonic()
            batch = batcher.due(now)
            if batch:
                _hand_over(batch, with_media(batch, media_exts), on_batch, batcher)
            if on_rescan is not None and now >= next_rescan:
                _rescan(on_rescan)
                next_rescan = time.monotonic() + interval
    finally:
        halt.set()
        for thread in threads:
            thread.join(timeout=5)


def _hand_over(
    batch: list[str], wanted: list[str], on_batch: Callable[[list[str]], bool], batcher: Batcher
) -> None:
    """Scan `wanted`, the part of `batch` that matters (see `with_media`); the whole
    batch is done when that succeeds."""
    if not wanted:
        batcher.done(batch, time.monotonic())
        log.debug("%d changed files belong to no media file: nothing to scan", len(batch))
        return
    started = time.monotonic()
    try:
        ok = on_batch(wanted)
    except Exception:
        log.exception("scanning %d changed paths failed", len(wanted))
        ok = False
    now = time.monotonic()
    if ok:
        batcher.done(batch, now)
        took = round(now - started, 3)
        log.info(
            "scanned %d changed paths in %.2f s",
            len(wanted),
            took,
            extra={"paths": len(wanted), "seconds": took},
        )
    else:
        delay = batcher.failed(now)
        level = logging.INFO if batcher.failures == 1 else logging.DEBUG
        log.log(
            level,
            "library busy: %d changed paths wait %.1f s",
            len(wanted),
            delay,
            extra={"paths": len(wanted), "retry_in": delay},
        )


def _rescan(on_rescan: Callable[[], object]) -> None:
    started = time.monotonic()
    try:
        on_rescan()
    except Exception:
        log.exception("the rescan failed")
    else:
        log.info("rescan done in %.1f s", time.monotonic() - started)

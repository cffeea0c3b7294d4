"""The scanner: walk the roots, and bring the items table in line with the disk.

A pipeline of small stages, per root:

1. `walk`: scandir recursion; yields media files with their stat. Symlinks that
   leave the root are not followed; directory loops are cut.
2. `known`: one query loads what the database knows of the root.
3. Unchanged files (same size and mtime, fingerprint known) are skipped
   without being opened.
4. `inspect`: new or changed files are read once (at most 128 KiB): the
   fingerprint, the magic bytes, and for images the header's size and date.
5. `_write_batch`: one transaction per batch. A new path whose fingerprint
   belongs to a row whose file is gone is a move: that row's path is updated,
   so its id (and later its metadata) follows the file.
6. After a complete walk, rows not seen are marked missing; nothing is deleted.

A root's walk (with stages 2 and 3) runs to its end before the first batch is read and
written, keeping only the new and changed files: the files to look at are counted
before the slow part, so a scan's progress is a fraction (`ScanReport.seen` of `found`).

Sidecar files (`IMG_1.json` next to `IMG_1.jpg`, Takeout's JSON, `folder.json`; see
library/sidecars.py) are not items: the walk only notes them. A batch reads the
sidecars of its new and changed files and stores what they say in its transaction;
after the walk, sidecars changed since the last complete walk are read for files that
did not change.

`scan_paths` runs the same stages on scopes (a file, or a folder's subtree)
instead of whole roots: the watcher's batches. Only the scopes' rows are
loaded, walked and marked missing, so a batch costs what it touches.

Every batch is committed as it goes, and each is all-or-nothing, so a scan
killed at any moment and run again ends where a clean scan would.
"""

from __future__ import annotations

import logging
import os
import stat as stat_mod
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Connection, Engine, func, insert, or_, select, update
from sqlalchemy.orm import aliased

from mediashelf.config import Settings
from mediashelf.db.models import Item, Root
from mediashelf.library import sidecars
from mediashelf.library.clock import utcnow
from mediashelf.library.identity import fingerprint
from mediashelf.library.paths import is_inside
from mediashelf.media.images import ImageError, read_info
from mediashelf.media.sniff import content_problem, sniff_mime

log = logging.getLogger("mediashelf.scanner")

BATCH = 500
# The video columns a probe job fills in; cleared when a file is new or has changed.
VIDEO_UNKNOWN = dict.fromkeys(
    (
        "duration",
        "container",
        "video_codec",
        "audio_codec",
        "rotation",
        "fps",
        "bit_rate",
        "audio_channels",
        "subtitles",
        "playable",
    )
)
SKIP_DIRS = {"@eaDir", "#recycle", "$RECYCLE.BIN", "lost+found"}
SIDECARS = sidecars.EXTS


@dataclass
class ScanReport:
    new: int = 0
    changed: int = 0
    moved: int = 0
    missing: int = 0
    unchanged: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    skipped_roots: list[tuple[str, str]] = field(default_factory=list)
    touched: list[int] = field(default_factory=list)  # ids of new, changed and moved items
    sidecars: int = 0  # items given metadata from sidecar files (their errors: `errors`)
    found: int = 0  # media files the walks found: `seen` reaches it once they are written
    counting: bool = False  # a walk is still finding files: `found` is not the total yet

    @property
    def seen(self) -> int:
        """Files looked at: unchanged ones as the walk finds them, the others once written."""
        return self.new + self.changed + self.moved + self.unchanged


class FoundFile(NamedTuple):
    rel: str
    path: str
    size: int
    mtime_ns: int
    kind: str


# Called as the scan goes, with the report so far and the file it is at: `seen` files
# looked at of `found` (the total, once `counting` is over).
Progress = Callable[[ScanReport, str], None]


# -- stage 1: walk ---------------------------------------------------------


def walk(
    root_real: str,
    settings: Settings,
    errors: list[tuple[str, str]],
    scope: str = "",
    sidecar_files: list[tuple[str, int]] | None = None,
) -> Iterator[FoundFile]:
    """Media files under `root_real` (a real path), depth first.

    Hidden entries and NAS system folders are skipped. A symlink is followed
    only if its target is inside the root. Unreadable folders are reported in
    `errors` (as (rel path, message)) and the walk goes on.

    A `scope` (a visible rel path) limits the walk to that folder's subtree,
    or to that one file; a scope that no longer exists yields nothing.

    With `sidecar_files`, the `.json` and `.txt` files passed are appended to it as
    (rel path, the later of mtime and ctime in ns): their stat is taken anyway.
    """
    kinds = {ext: "image" for ext in settings.image_exts}
    kinds.update((ext, "video") for ext in settings.video_exts)
    seen_dirs: set[tuple[int, int]] = set()
    st = os.stat(root_real)
    seen_dirs.add((st.st_dev, st.st_ino))
    stack = [""]
    prefix_len = len(root_real.rstrip(os.sep)) + 1
    if scope:
        path = os.path.join(root_real, scope)
        try:
            st = os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return  # deleted: the caller marks its rows missing
        except OSError as exc:
            errors.append((scope, f"cannot stat: {exc.strerror or exc}"))
            return
        if not is_inside(root_real, path):
            return  # through a symlink that leaves the root: never followed
        if stat_mod.S_ISREG(st.st_mode):
            one = _media_file(scope, path, st.st_size, st.st_mtime_ns, kinds, errors)
            if one is not None:
                yield one
            elif sidecar_files is not None and os.path.splitext(scope)[1].lower() in SIDECARS:
                sidecar_files.append((scope, max(st.st_mtime_ns, st.st_ctime_ns)))
            return
        if not stat_mod.S_ISDIR(st.st_mode):
            return
        seen_dirs.add((st.st_dev, st.st_ino))
        stack = [scope]
    while stack:
        rel_dir = stack.pop()
        abs_dir = os.path.join(root_real, rel_dir) if rel_dir else root_real
        try:
            with os.scandir(abs_dir) as entries:
                listing = list(entries)
        except OSError as exc:
            errors.append((rel_dir or ".", f"cannot list folder: {exc.strerror or exc}"))
            continue
        for entry in listing:
            name = entry.name
            if name.startswith(".") or name in SKIP_DIRS:
                continue
            try:
                if entry.is_symlink() and not is_inside(root_real, entry.path):
                    continue  # leaves the root: never followed
                st = entry.stat()  # follows an in-root symlink
            except OSError as exc:
                errors.append((entry.path[prefix_len:], f"cannot stat: {exc.strerror or exc}"))
                continue
            rel = entry.path[prefix_len:]
            if stat_mod.S_ISDIR(st.st_mode):
                key = (st.st_dev, st.st_ino)
                if key not in seen_dirs:
                    seen_dirs.add(key)
                    stack.append(rel)
                continue
            if not stat_mod.S_ISREG(st.st_mode):
                continue
            dot = name.rfind(".")
            kind = kinds.get(name[dot:].lower()) if dot > 0 else None
            if kind is None:
                if sidecar_files is not None and dot > 0 and name[dot:].lower() in SIDECARS:
                    sidecar_files.append((rel, max(st.st_mtime_ns, st.st_ctime_ns)))
                continue
            if not rel.isascii() and not _is_storable(rel):
                errors.append(_not_utf8(rel))
                continue
            yield FoundFile(rel, entry.path, st.st_size, st.st_mtime_ns, kind)


def _media_file(
    rel: str,
    path: str,
    size: int,
    mtime_ns: int,
    kinds: dict[str, str],
    errors: list[tuple[str, str]],
) -> FoundFile | None:
    """One regular file by the walk's rules (the loop above inlines them: it is the hot path)."""
    name = rel.rpartition("/")[2]
    dot = name.rfind(".")
    kind = kinds.get(name[dot:].lower()) if dot > 0 else None
    if kind is None:
        return None
    if not rel.isascii() and not _is_storable(rel):
        errors.append(_not_utf8(rel))
        return None
    return FoundFile(rel, path, size, mtime_ns, kind)


def _not_utf8(rel: str) -> tuple[str, str]:
    return (
        rel.encode("utf-8", "backslashreplace").decode(),
        "file name is not valid UTF-8; rename it",
    )


def _is_storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- stage 4: inspect --------------------------------------------------------


def inspect(found: FoundFile) -> dict[str, Any]:
    """The item columns that come from reading the file (at most 128 KiB)."""
    cols: dict[str, Any] = {
        "mime": None,
        "fingerprint": None,
        "width": None,
        "height": None,
        "taken_at": None,
        "error": None,
        "full_hash": None,  # the content may have changed: hashed again in the background
        **VIDEO_UNKNOWN,  # and probed again
    }
    try:
        with open(found.path, "rb") as fh:
            fp, head = fingerprint(fh, found.size)
    except OSError as exc:
        cols["error"] = f"cannot read file: {exc.strerror or exc}"
        return cols
    cols["fingerprint"] = fp
    mime = sniff_mime(head)
    cols["mime"] = mime
    problem = "file is empty" if found.size == 0 else content_problem(found.kind, mime)
    if problem:
        cols["error"] = problem
        return cols
    if found.kind == "image":
        try:
            info = read_info(found.path, head)
        except ImageError as exc:
            cols["error"] = str(exc)
        else:
            cols.update(width=info.width, height=info.height, taken_at=info.taken_at)
    return cols


# -- stages 2, 3, 5, 6: the scan ---------------------------------------------


def scan(engine: Engine, settings: Settings, progress: Progress | None = None) -> ScanReport:
    """Scan every root in `settings.media_dir`. Returns what changed."""
    report = ScanReport()
    started = time.monotonic()
    for root in settings.media_dir:
        _scan_root(engine, settings, Path(root), report, progress)
    _log_report(report, "library", time.monotonic() - started)
    return report


def _log_report(report: ScanReport, what: str, seconds: float) -> None:
    """The scanner's log: one summary line (its numbers as fields for JSON logs), the
    skipped roots, and the first file errors."""
    counts = {
        "new": report.new,
        "changed": report.changed,
        "moved": report.moved,
        "missing": report.missing,
        "unchanged": report.unchanged,
        "errors": len(report.errors),
    }
    log.info(
        "scanned %s in %.2f s: %s",
        what,
        seconds,
        ", ".join(f"{n} {k}" for k, n in counts.items()),
        extra={"scope": what, "seconds": round(seconds, 3), **counts},
    )
    for root, why in report.skipped_roots:
        log.warning("skipped root %s: %s", root, why, extra={"root": root})
    for path, why in report.errors[:20]:
        log.warning("%s: %s", path, why, extra={"path": path})
    if len(report.errors) > 20:
        log.warning("... and %d more files with errors", len(report.errors) - 20)


def scan_paths(
    engine: Engine, settings: Settings, paths: list[str], progress: Progress | None = None
) -> ScanReport:
    """Scan only these files and folders (absolute paths under the roots): the watcher's batches.

    A folder means its whole subtree. A path that no longer exists was deleted,
    or moved: when its new path is in the same call, the row follows the file
    (by fingerprint, as in a full scan). Paths outside every root, hidden or in
    NAS system folders are ignored, as a full scan would. The full scan's
    guards hold: an unmounted or emptied root changes nothing.
    """
    report = ScanReport()
    scopes = _scopes(settings, paths)

    def nothing_gone(root: Path) -> bool:
        real = os.path.realpath(root)
        return all(os.path.lexists(os.path.join(real, rel)) for rel in scopes[root])

    # Roots that lost a path go first: a file moved from one root to another
    # then finds its old row already missing and takes it over.
    started = time.monotonic()
    for root in sorted(scopes, key=nothing_gone):
        _scan_root(engine, settings, root, report, progress, scopes[root])
    _log_report(report, f"{len(paths)} changed paths", time.monotonic() - started)
    return report


def _scopes(settings: Settings, paths: list[str]) -> dict[Path, list[str]]:
    """Each root's rel paths to scan, outermost only ("" is the whole root)."""
    roots = [
        (root, real, os.path.abspath(root))
        for root, real in zip(settings.media_dir, settings.root_paths, strict=True)
    ]
    found: dict[Path, set[str]] = {}
    for path in paths:
        plain = os.path.abspath(path)
        resolved: str | None = None
        for root, real, root_plain in roots:
            rel = _rel_under(real, plain)
            if rel is None:
                rel = _rel_under(root_plain, plain)
            if rel is None:
                if resolved is None:  # the file may be gone: resolve only its folder
                    head, tail = os.path.split(plain)
                    resolved = os.path.join(os.path.realpath(head), tail)
                rel = _rel_under(real, resolved)
            if rel is not None and _visible(rel):
                found.setdefault(root, set()).add(rel)
    return {root: _outermost(rels) for root, rels in found.items()}


def _rel_under(base: str, path: str) -> str | None:
    if path == base:
        return ""
    prefix = base.rstrip(os.sep) + os.sep
    return path[len(prefix) :] if path.startswith(prefix) else None


def _visible(rel: str) -> bool:
    """Whether the walk would reach `rel`: no hidden part, no NAS system folder."""
    return not rel or not any(p.startswith(".") or p in SKIP_DIRS for p in rel.split("/"))


def _outermost(rels: set[str]) -> list[str]:
    """Drop paths inside another one: scanning a folder covers its files."""
    kept: set[str] = set()
    for rel in sorted(rels, key=lambda r: (r != "", r.count("/"))):
        parts = rel.split("/")
        if "" in kept or any("/".join(parts[:i]) in kept for i in range(1, len(parts))):
            continue
        kept.add(rel)
    return sorted(kept)


def ensure_root(engine: Engine, root_real: str) -> int:
    with engine.begin() as conn:
        root_id = conn.execute(select(Root.id).where(Root.path == root_real)).scalar()
        if root_id is None:
            root_id = conn.execute(
                insert(Root).values(path=root_real, created_at=utcnow()).returning(Root.id)
            ).scalar_one()
    return int(root_id)


def _scan_root(
    engine: Engine,
    settings: Settings,
    root: Path,
    report: ScanReport,
    progress: Progress | None,
    scopes: list[str] | None = None,
) -> None:
    """Scan one root, or only `scopes` in it (rel paths: files or folder subtrees)."""
    scopes = scopes or [""]
    whole = scopes == [""]
    root_real = os.path.realpath(root)
    if not os.path.isdir(root_real):
        report.skipped_roots.append((str(root), "folder not found (unmounted?); nothing changed"))
        return
    root_id = ensure_root(engine, root_real)
    notes = sidecars.Pass(engine, root_id, root_real, whole)
    known = (
        _load_known(engine, root_id) if whole else _load_scoped(engine, root_id, root_real, scopes)
    )
    if known and not any(os.scandir(root_real)):
        report.skipped_roots.append(
            (
                str(root),
                "folder is empty but the library knows files there (unmounted?); nothing changed",
            )
        )
        return

    seen: set[int] = set()
    pending: list[tuple[FoundFile, int | None]] = []
    walk_errors: list[tuple[str, str]] = []
    found_files = chain.from_iterable(
        walk(root_real, settings, walk_errors, s, notes.files) for s in scopes
    )
    # The walk first, so that the files to look at are counted before the slow part (new
    # and changed files are read): progress is then a fraction. Only those are kept.
    report.counting = True
    for found in found_files:
        report.found += 1
        row = known.pop(found.rel, None)
        if row is not None:
            item_id, size, mtime_ns, present, has_fp = row
            if size == found.size and mtime_ns == found.mtime_ns and present and has_fp:
                report.unchanged += 1
            else:
                seen.add(item_id)
                pending.append((found, item_id))
        else:
            pending.append((found, None))
        if progress and report.found % 256 == 0:
            progress(report, found.rel)
    report.counting = False
    if progress:
        progress(report, "")
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        _write_batch(engine, root_id, root_real, batch, seen, report, notes)
        if progress:
            progress(report, batch[-1][0].rel)
    report.errors.extend((os.path.join(str(root), rel), msg) for rel, msg in walk_errors)

    if not os.path.isdir(root_real):  # vanished while we walked: mark nothing missing
        report.skipped_roots.append((str(root), "folder disappeared during the scan"))
        return
    unreadable = [rel + "/" for rel, msg in walk_errors if msg.startswith("cannot list")]
    if "./" in unreadable:  # the root itself could not be listed
        report.skipped_roots.append((str(root), "folder cannot be listed; nothing changed"))
        return
    notes.finish(report.errors)  # sidecars changed next to unchanged files
    report.sidecars += notes.applied
    # What is left in `known` was not seen on disk.
    _mark_missing(engine, root_id, known, seen, unreadable, report)
    if whole:
        with engine.begin() as conn:
            conn.execute(update(Root).where(Root.id == root_id).values(last_scan_at=utcnow()))


Known = dict[str, tuple[int, int, int, bool, bool]]


def _load_known(engine: Engine, root_id: int) -> Known:
    """rel_path -> (id, size, mtime_ns, present, has fingerprint), in one query.

    Read through the driver's own cursor: for 100k rows SQLAlchemy's result
    rows cost more than the whole rescan's walk (measured in bench/scan.py).
    """
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    sql = (
        "SELECT rel_path, id, size, mtime_ns, status = 'present', fingerprint IS NOT NULL "
        f"FROM items WHERE root_id = {mark}"
    )
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(sql, (root_id,))
        return {r[0]: (r[1], r[2], r[3], bool(r[4]), bool(r[5])) for r in cur.fetchall()}
    finally:
        raw.close()


def _load_scoped(engine: Engine, root_id: int, root_real: str, scopes: list[str]) -> Known:
    """What `_load_known` gives, for rows at these rel paths or under them only.

    Exact paths are indexed look-ups. The prefix match reads every row of the
    root, so it is made only for folders, and for gone paths that were no known
    file (they may have been folders). substr, not LIKE: SQLite's LIKE ignores
    case, and a row of another folder must never be marked missing.
    """
    query = select(
        Item.rel_path,
        Item.id,
        Item.size,
        Item.mtime_ns,
        Item.status == "present",
        Item.fingerprint.is_not(None),
    ).where(Item.root_id == root_id)
    known: Known = {}
    scopes = [rel for rel in scopes if rel.isascii() or _is_storable(rel)]  # others have no rows
    with engine.connect() as conn:

        def load(where: ColumnElement[bool]) -> None:
            for rel, *row in conn.execute(query.where(where)):
                known[rel] = (row[0], row[1], row[2], bool(row[3]), bool(row[4]))

        for start in range(0, len(scopes), BATCH):
            load(Item.rel_path.in_(scopes[start : start + BATCH]))
        trees = [
            rel
            for rel in scopes
            if os.path.isdir(path := os.path.join(root_real, rel))
            or (rel not in known and not os.path.lexists(path))
        ]
        for start in range(0, len(trees), 50):
            chunk = trees[start : start + 50]
            load(or_(*(func.substr(Item.rel_path, 1, len(r) + 1) == r + "/" for r in chunk)))
    return known


def _write_batch(
    engine: Engine,
    root_id: int,
    root_real: str,
    batch: list[tuple[FoundFile, int | None]],
    seen: set[int],
    report: ScanReport,
    notes: sidecars.Pass,
) -> None:
    now = utcnow()
    facts = [(found, item_id, inspect(found)) for found, item_id in batch]
    for found, _, cols in facts:
        if cols["error"]:
            report.errors.append((os.path.join(root_real, found.rel), cols["error"]))
    metadata = notes.read([found.rel for found, _ in batch], report.errors)

    with engine.begin() as conn:
        new_fps = {c["fingerprint"] for _, i, c in facts if i is None and c["fingerprint"]}
        candidates = _move_candidates(conn, new_fps, seen)
        inserts = []
        written: list[tuple[int, str]] = []
        for found, item_id, cols in facts:
            values = _row_values(found, cols, now)
            if item_id is None and cols["fingerprint"]:
                item_id = _claim_move(
                    candidates, cols["fingerprint"], found.size, root_id, root_real
                )
                if item_id is not None:
                    seen.add(item_id)
                    report.moved += 1
            elif item_id is not None:
                report.changed += 1
            if item_id is None:
                report.new += 1
                inserts.append({**values, "root_id": root_id, "created_at": now})
            else:
                conn.execute(
                    update(Item).where(Item.id == item_id).values(root_id=root_id, **values)
                )
                report.touched.append(item_id)
                written.append((item_id, found.rel))
        if inserts:
            rows = conn.execute(insert(Item).returning(Item.id, Item.rel_path), inserts).all()
            ids = [row[0] for row in rows]
            seen.update(ids)
            report.touched.extend(ids)
            written.extend((row[0], row[1]) for row in rows)
        notes.store(conn, written, metadata)  # the sidecars' metadata, in the same transaction
        _share_colors(conn, [item_id for item_id, _ in written])


def _share_colors(conn: Connection, ids: list[int]) -> None:
    """A copy of a known picture takes its placeholder colour (no thumbnail job runs for
    it: the thumbnails exist, keyed by content)."""
    if not ids:
        return
    twin = aliased(Item)
    known = (
        select(twin.color)
        .where(twin.fingerprint == Item.fingerprint, twin.color.is_not(None))
        .limit(1)
        .scalar_subquery()
    )
    for start in range(0, len(ids), 500):
        conn.execute(
            update(Item)
            .where(Item.id.in_(ids[start : start + 500]), Item.color.is_(None))
            .where(Item.fingerprint.is_not(None))
            .values(color=known)
        )


def _row_values(found: FoundFile, cols: dict[str, Any], now: datetime) -> dict[str, Any]:
    folder, _, name = found.rel.rpartition("/")
    mtime = datetime.fromtimestamp(found.mtime_ns / 1e9, UTC).replace(tzinfo=None)
    return {
        "rel_path": found.rel,
        "folder": folder,
        "name": name,
        "kind": found.kind,
        "size": found.size,
        "mtime_ns": found.mtime_ns,
        "date": cols["taken_at"] or mtime,
        "status": "present",
        "missing_since": None,
        "updated_at": now,
        **cols,
    }


def _move_candidates(conn: Any, fps: set[str], seen: set[int]) -> dict[str, list[Any]]:
    """Rows that share a fingerprint with a new file and were not seen this scan."""
    out: dict[str, list[Any]] = {}
    if not fps:
        return out
    query = (
        select(Item.id, Item.fingerprint, Item.size, Item.status, Root.path, Item.rel_path)
        .join(Root, Root.id == Item.root_id)
        .where(Item.fingerprint.in_(fps))
        .order_by(Item.id)
    )
    for row in conn.execute(query):
        if row.id not in seen:
            out.setdefault(row.fingerprint, []).append(row)
    return out


def _claim_move(
    candidates: dict[str, list[Any]], fp: str, size: int, root_id: int, root_real: str
) -> int | None:
    """The id of a row whose file is gone and whose content this file has."""
    rows = candidates.get(fp, [])
    for row in rows:
        if row.size != size:
            continue
        # A missing path is proof only under the root being walked, which is mounted;
        # another root may be unplugged, and its files must keep their rows.
        gone = row.status == "missing" or (
            row.path == root_real and not os.path.lexists(os.path.join(row.path, row.rel_path))
        )
        if gone:
            rows.remove(row)
            return int(row.id)
    return None


def _mark_missing(
    engine: Engine,
    root_id: int,
    unseen: Known,
    seen: set[int],
    unreadable: list[str],
    report: ScanReport,
) -> None:
    gone = [
        row[0]
        for rel, row in unseen.items()
        if row[0] not in seen and row[3] and not rel.startswith(tuple(unreadable))
    ]
    # A row claimed by a move in another root keeps the id but not this root.
    now = utcnow()
    for start in range(0, len(gone), BATCH):
        chunk = gone[start : start + BATCH]
        with engine.begin() as conn:
            result = conn.execute(
                update(Item)
                .where(Item.id.in_(chunk), Item.root_id == root_id, Item.status == "present")
                .values(status="missing", missing_since=now, updated_at=now)
            )
            report.missing += result.rowcount

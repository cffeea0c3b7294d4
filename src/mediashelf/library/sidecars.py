"""Sidecars: small files next to a photo or video that say what it is.

Which files (`find`), for a media file `IMG_1.jpg`, weakest first (a later one's single
values win; tags and performers add up):

- `folder.json` in the same folder: applies to every file in it (not to subfolders),
  except its title, description and url, which describe the folder and do not become
  every file's title, caption and source URL;
- `IMG_1.txt`, `IMG_1.jpg.txt`: plain UTF-8 text, the description;
- `IMG_1.json`;
- `IMG_1.jpg.json` and Google Takeout's names: `IMG_1.jpg.supplemental-metadata.json`,
  cut short when the name is long (Takeout keeps a JSON name to 51 characters:
  `IMG_1.jpg.supplemental-metad.json`, or the media name itself cut at 46), numbered
  copies (`IMG_1(1).jpg` ↔ `IMG_1.jpg(1).json`, `IMG_1.jpg.supplemental-metadata(1).json`)
  and edited copies (`IMG_1-edited.jpg` takes `IMG_1.jpg`'s).

What they hold (`read`):

- JSON: an object with any of `title`, `description`, `tags` and `performers` (lists of
  names, or one comma-separated string), `studio`, `date` (ISO 8601, a year or a month
  alone, EXIF's `2020:01:02 03:04:05`, or epoch seconds; an offset is converted to UTC,
  a time without one is kept as it is, like an EXIF time), `url` and `rating` (1-5
  stars, 0-100, "80%" or "4/5"; 0 is no rating). The title is one line: runs of
  whitespace become one space, at most 500 characters, no control characters. The url
  is an http:// or https:// URL with a host, at most 2,000 characters, no spaces or
  control characters: the web UI shows it as a link, so any other scheme
  (`javascript:`, `data:`, `file:`) is refused. Other keys are ignored; a known key
  of the wrong type or value makes the sidecar malformed. A file of Google Takeout (it
  has `photoTakenTime` or `creationTime`) gives `photoTakenTime.timestamp` (UTC),
  `description`, the names in `people` as performers and `url` (the photo's page on
  Google Photos); its `title` is the file name and is ignored.
- Text: the description. Nothing else is read from a `.txt`.

A sidecar larger than 1 MiB, not UTF-8, or malformed is reported (the scan's `errors`,
with the sidecar's path) and not applied; the scan goes on, and the other sidecars of
the same file still apply. It is reported once: an unchanged library does not read it
again; fixing it (a new mtime) does.

What is stored (`apply`):

- tags, performers and the studio, found by name or alias (folded) or made
  (library/names.py); links are added, never removed (a name gone from a sidecar stays
  linked, as a tag added in the app does). The studio replaces the item's studio.
- the title and the url (`items.title`, `items.source_url`): a sidecar fills them
  where they are empty (NULL) and never replaces one, whether it was set in the app
  or by an earlier sidecar: a user's edit is never lost. So an edited sidecar's new
  title does not replace the stored one; clearing the title in the app lets the next
  reading of the sidecar fill it again. A title that is just the file's name (with
  or without its extension, in any case) is ignored.
- the caption: the description only (a title is not a caption; before titles had a
  column, a sidecar's title became the caption when it had no description). A new
  caption version with source `sidecar` is written when the text differs from the
  current caption and from the last one a sidecar wrote: a caption edited in the app
  is not undone by reading an unchanged sidecar again, and an edited sidecar wins.
- the date: `items.date`, when the file has no EXIF date (`taken_at` is null): EXIF
  always wins. `taken_at` itself stays the camera's.
- the rating: a sidecar's rating belongs to nobody in particular; it is stored as the
  first admin's (the enabled admin with the lowest id), only when that admin has not
  rated the item (a rating given in the app is never overwritten), and skipped when
  there is no admin.

When (the scanner, `Pass`): a file's sidecars are read when the file is new, changed or
moved (in the same transaction as its row), and when one of its sidecars changed since
the item's row was last written by the scanner (`items.updated_at`, which reading
sidecars moves forward). A sidecar counts as changed by the later of its mtime and ctime,
so one copied in with its old mtime kept (`cp -p`, `rsync -a`, an unzip) is seen too. The
walk notes the sidecar files it passes (their stat is taken anyway) but reads none of
them: only those changed since the last complete walk of the root began (a row in the
settings table, less ten minutes for clocks that disagree) are looked at, so an unchanged
library costs no reads and no queries per file (a sidecar changed within a tick, 50 ms,
of its item's write may be read once more). The first complete walk of a root that
has sidecars and no such row reads them all once (a library scanned before sidecars
were read). Titles and urls of sidecars read before they were stored (before migration
0008) land when the sidecar or its file next changes: reading every sidecar again would
also bring back tags and studios removed in the app since.

The folder watcher (library/watch.py) passes a created or changed sidecar on as a path
to scan, when `owned` finds a media file it belongs to next to it; the scan of that
path is this pass: its folder's items whose sidecars changed since their rows were
written are read (the media files themselves are not walked again).
"""

from __future__ import annotations

import json
import math
import os
import re
import stat as stat_mod
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Text,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from mediashelf.db.models import Caption, Item, Rating, SettingValue, User
from mediashelf.db.upsert import upsert
from mediashelf.library import names
from mediashelf.library.clock import utcnow
from mediashelf.library.paths import is_inside

EXTS = frozenset({".json", ".txt"})
FOLDER = "folder.json"
MAX_BYTES = 1 << 20  # larger sidecars are refused unread
MAX_TEXT = 20_000  # as a caption written through the API
MAX_TITLE = 500  # as a title written through the API
MAX_URL = 2000  # as a source URL written through the API (and a photoset's)
MAX_NAMES = 500  # tags or performers in one sidecar
SUPPLEMENTAL = ".supplemental-metadata"
TAKEOUT_CUT = 42  # the shortest cut of a long name that still counts as its JSON's
EDITED = ("-edited",)
NUMBERED = re.compile(r"(.+)(\(\d{1,4}\))")
SLACK = timedelta(minutes=10)  # sidecar times may come from another clock (a NAS)
# File times come from the kernel's coarse clock, up to a tick behind utcnow(): a sidecar
# changed this close to when its item was written counts as changed after it.
TICK_NS = 50_000_000
WATERMARK = "scan.sidecars.{}"  # settings key: when the last complete walk of a root began
EPOCH = datetime(1970, 1, 1)
YEARS = (1800, 2200)
CACHE = 256  # folder listings kept per scan


class SidecarError(ValueError):
    """A sidecar that cannot be used; the message says why (the caller names the file)."""


@dataclass(frozen=True)
class Sidecar:
    title: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()
    performers: tuple[str, ...] = ()
    studio: str | None = None
    date: datetime | None = None  # naive: UTC, or local time as written
    url: str | None = None
    rating: int | None = None  # 1-100; None: not rated

    def caption(self) -> str | None:
        """The text to store as the caption: the description (a title is not one)."""
        return self.description

    def own_title(self, file_name: str | None = None) -> str | None:
        """The title to store: None when it is only the file's name (with or without
        its extension)."""
        if self.title and file_name:
            own = {file_name.casefold(), file_name.rpartition(".")[0].casefold()}
            if self.title.casefold() in own:
                return None
        return self.title

    def __bool__(self) -> bool:
        return any(getattr(self, f) for f in self.__dataclass_fields__)


def merge(sidecars: Iterable[Sidecar]) -> Sidecar:
    """One sidecar from several, weakest first: the last given single value wins;
    tags and performers add up (without repeats, by folded name)."""
    values: dict[str, Any] = {}
    lists: dict[str, dict[str, str]] = {"tags": {}, "performers": {}}
    for sidecar in sidecars:
        for name in Sidecar.__dataclass_fields__:
            value = getattr(sidecar, name)
            if name in lists:
                for entry in value:
                    lists[name].setdefault(names.fold(entry), entry)
            elif value is not None:
                values[name] = value
    return Sidecar(
        **values, tags=tuple(lists["tags"].values()), performers=tuple(lists["performers"].values())
    )


# -- which files -------------------------------------------------------------------------


def candidates(name: str) -> list[str]:
    """The names a sidecar of the media file `name` may have, weakest first (extensions
    in lower case, as `listing` keys them)."""
    dot = name.rfind(".")
    stem, ext = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    out = [FOLDER, f"{stem}.txt", f"{name}.txt", f"{stem}.json"]
    bases = [(name, "")]
    numbered = NUMBERED.fullmatch(stem)
    if numbered:
        bases.append((numbered[1] + ext, numbered[2]))
    bases += [
        (stem[: -len(s)] + ext, "") for s in EDITED if stem.endswith(s) and len(stem) > len(s)
    ]
    for base, number in bases:
        # `base.json`, `base.supplemental-metadata.json` and every cut in between; and
        # for a long name, its cuts down to TAKEOUT_CUT characters.
        full = base + SUPPLEMENTAL
        for end in range(len(full), min(len(base), TAKEOUT_CUT) - 1, -1):
            out.append(f"{full[:end]}{number}.json")
    return list(dict.fromkeys(out))


def owned(names_: Iterable[str], media: Iterable[str]) -> list[str]:
    """Those of `names_` (file names in one folder) that are sidecars of one of `media`
    (the media files' names in that folder): `folder.json` when there is any. For the
    watcher, which must tell a photo's `IMG_1.json` from an unrelated `notes.txt` at
    little cost: each name costs a few dictionary look-ups, not a pass over every
    candidate name of every file in the folder."""
    by_core: dict[str, list[str]] = {}
    for name in media:
        by_core.setdefault(_core(name), []).append(name)
    if not by_core:
        return []
    made: dict[str, set[str]] = {}  # media name → its candidates, made when first needed

    def belongs(key: str, file: str) -> bool:
        if file not in made:
            made[file] = set(candidates(file))
        return key in made[file]

    out = []
    for name in names_:
        dot = name.rfind(".")
        key = name[:dot] + name[dot:].lower() if dot > 0 else name
        if key == FOLDER or any(
            belongs(key, file)
            for end in range(len(key), -1, -1)
            for file in by_core.get(key[:end], ())
        ):
            out.append(name)
    return out


def _core(name: str) -> str:
    """What every sidecar name of the media file `name` (but `folder.json`) starts with:
    its stem without Takeout's `(1)` numbering and `-edited`, cut as Takeout cuts."""
    dot = name.rfind(".")
    stem = name[:dot] if dot > 0 else name
    numbered = NUMBERED.fullmatch(stem)
    if numbered:
        stem = numbered[1]
    for suffix in EDITED:
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
    return stem[:TAKEOUT_CUT]


def listing(folder: str | Path, root_real: str | None = None) -> dict[str, str]:
    """The sidecar-like files of a folder: the name with its extension in lower case →
    the name. Hidden files are left out, and with `root_real`, symlinks that leave it."""
    found: dict[str, str] = {}
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                dot = name.rfind(".")
                if name.startswith(".") or dot <= 0 or name[dot:].lower() not in EXTS:
                    continue
                try:
                    if not entry.is_file():
                        continue
                    if (
                        root_real is not None
                        and entry.is_symlink()
                        and not is_inside(root_real, entry.path)
                    ):
                        continue
                except OSError:
                    continue
                found[name[:dot] + name[dot:].lower()] = name
    except OSError:
        pass  # the walk reports folders it cannot list
    return found


def find(path: str | Path, names_: Mapping[str, str] | None = None) -> list[Path]:
    """The sidecars that apply to the media file `path`, weakest first. `names_` is
    the folder's `listing` when the caller has it; without it the folder is listed."""
    path = Path(path)
    index = listing(path.parent) if names_ is None else names_
    return [path.parent / name for name in matching(path.name, index)]


def matching(name: str, index: Mapping[str, str]) -> list[str]:
    """The names in a folder's `listing` that are sidecars of the media file `name`."""
    if not index:
        return []
    return list(dict.fromkeys(index[c] for c in candidates(name) if c in index))


# -- what they hold ------------------------------------------------------------------------


def read(path: str | Path) -> Sidecar:
    """The metadata in one sidecar; SidecarError if it is too large, not UTF-8 or
    malformed."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise SidecarError(f"cannot read: {exc.strerror or exc}") from None
    try:
        if not stat_mod.S_ISREG(os.fstat(fd).st_mode):
            raise SidecarError("not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise SidecarError(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise SidecarError(f"larger than {MAX_BYTES // (1 << 20)} MiB; not read")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SidecarError(f"not UTF-8 text (byte {exc.start})") from None
    if path.suffix.lower() == ".txt":
        return Sidecar(description=_text(text, "text"))
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise SidecarError(f"not valid JSON: {exc.msg} at {where}") from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, deep nesting
        raise SidecarError(f"not usable JSON: {type(exc).__name__}") from None
    if not isinstance(parsed, dict):
        raise SidecarError(f"expected a JSON object, not {_type(parsed)}")
    if "photoTakenTime" in parsed or "creationTime" in parsed:
        return _takeout(parsed)
    return Sidecar(
        title=_title(parsed.get("title"), "title"),
        description=_text(parsed.get("description"), "description"),
        tags=_names(parsed.get("tags"), "tags"),
        performers=_names(parsed.get("performers"), "performers"),
        studio=_name(parsed.get("studio"), "studio"),
        date=_date(parsed.get("date"), "date"),
        url=_url(parsed.get("url"), "url"),
        rating=_rating(parsed.get("rating"), "rating"),
    )


def _takeout(data: dict[str, Any]) -> Sidecar:
    """Google Takeout's JSON: the time the photo was taken, the description, the people,
    the photo's page."""
    taken = data.get("photoTakenTime")
    date = None
    if taken is not None:
        if not isinstance(taken, dict):
            raise SidecarError(f"photoTakenTime: expected an object, not {_type(taken)}")
        date = _epoch(taken.get("timestamp"), "photoTakenTime.timestamp")
    people = data.get("people")
    if people is not None and not isinstance(people, list):
        raise SidecarError(f"people: expected a list, not {_type(people)}")
    performers = [p["name"] for p in people or () if isinstance(p, dict) and "name" in p]
    return Sidecar(
        description=_text(data.get("description"), "description"),
        performers=_names(performers, "people"),
        date=date,
        url=_url(data.get("url"), "url"),
    )


def _type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), "a number" if isinstance(value, int | float) else "null"
    )


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SidecarError(f"{what}: expected a string, not {_type(value)}")
    text = value.strip()
    if len(text) > MAX_TEXT:
        raise SidecarError(f"{what}: longer than {MAX_TEXT:,} characters")
    return text or None


def clean_title(value: str, what: str = "title") -> str | None:
    """A title as stored: stripped, None when empty. ValueError (saying why) when it is
    longer than MAX_TITLE or holds a control character (a new line included)."""
    text = value.strip()
    if len(text) > MAX_TITLE:
        raise ValueError(f"the {what} is longer than {MAX_TITLE} characters")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
        raise ValueError(f"the {what} holds a control character")
    return text or None


def clean_url(value: str, what: str = "url") -> str | None:
    """A source URL as stored: stripped, None when empty. ValueError unless it is an
    http:// or https:// URL with a host, at most MAX_URL characters, without spaces or
    control characters (the web UI makes it a link: `javascript:` must never pass)."""
    url = value.strip()
    if not url:
        return None
    if len(url) > MAX_URL:
        raise ValueError(f"the {what} is longer than {MAX_URL:,} characters")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # a bad IPv6 address in brackets
        parts, host = None, None
    if (
        parts is None
        or parts.scheme.lower() not in ("http", "https")
        or not host
        or any(c.isspace() or unicodedata.category(c) in ("Cc", "Cs") for c in url)
    ):
        raise ValueError(
            f"the {what} {url[:40]!r} is not an http:// or https:// URL"
            " (with a host, without spaces)"
        )
    return url


def _title(value: Any, what: str) -> str | None:
    text = _text(value, what)
    if text is None:
        return None
    try:
        return clean_title(" ".join(text.split()), what)  # one line
    except ValueError as exc:
        raise SidecarError(f"{what}: {exc}") from None


def _url(value: Any, what: str) -> str | None:
    text = _text(value, what)
    if text is None:
        return None
    try:
        return clean_url(text, what)
    except ValueError as exc:
        raise SidecarError(f"{what}: {exc}") from None


def _names(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else value
    if not isinstance(parts, list):
        raise SidecarError(f"{what}: expected a list of names, not {_type(value)}")
    out: dict[str, str] = {}
    for part in parts:
        if not isinstance(part, str):
            raise SidecarError(f"{what}: expected names, found {_type(part)}")
        if part.strip():
            name = _name(part, what)
            assert name is not None
            out.setdefault(names.fold(name), name)
    if len(out) > MAX_NAMES:
        raise SidecarError(f"{what}: more than {MAX_NAMES} names")
    return tuple(out.values())


def _name(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SidecarError(f"{what}: expected a name, not {_type(value)}")
    if not value.strip():
        return None
    try:
        names.key_of(value, what)  # the rules names.py will apply
        return names.clean(value, what)
    except names.Invalid as exc:
        raise SidecarError(f"{what}: {exc}") from None


def _date(value: Any, what: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SidecarError(f"{what}: expected a date, not {_type(value)}")
    if not isinstance(value, str) or re.fullmatch(r"\d{5,}(\.\d*)?", value.strip()):
        return _epoch(value, what)  # a year alone ("2020") is ISO 8601's, not an epoch
    text = value.strip()
    exif = re.fullmatch(r"(\d{4}):(\d\d):(\d\d)([ T].*)?", text)
    if exif:  # EXIF's 2020:01:02 03:04:05
        text = f"{exif[1]}-{exif[2]}-{exif[3]}{exif[4] or ''}"
    elif re.fullmatch(r"\d{4}(-\d\d)?", text):  # a year, or a month: its first day
        text = f"{text}-01-01"[:10]
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SidecarError(f"{what}: {value[:40]!r} is not a date (ISO 8601)") from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return _in_range(when, what)


def _epoch(value: Any, what: str) -> datetime | None:
    """Epoch seconds (milliseconds when it is that large), as a number or a string."""
    if value is None:
        return None
    try:
        seconds = float(value) if isinstance(value, str) else value
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise TypeError
        if not math.isfinite(seconds):
            raise ValueError
        if seconds <= 0:
            return None  # Takeout's "0": not known
        if seconds > 1e11:
            seconds /= 1000
        when = EPOCH + timedelta(seconds=seconds)
    except (TypeError, ValueError, OverflowError):
        raise SidecarError(f"{what}: {str(value)[:40]!r} is not a time in epoch seconds") from None
    return _in_range(when, what)


def _in_range(when: datetime, what: str) -> datetime:
    if not YEARS[0] <= when.year <= YEARS[1]:
        raise SidecarError(f"{what}: the year {when.year} is out of range")
    return when


def _rating(value: Any, what: str) -> int | None:
    """1-5 stars as 20-100; 0-100 (or "80%") as it is; "4/5" as a fraction; 0 is no
    rating."""
    if value is None:
        return None
    percent = False
    if isinstance(value, str):
        text = value.strip()
        top, slash, bottom = text.partition("/")
        try:
            if slash:
                num, den = float(top), float(bottom)
                if not (math.isfinite(den) and den > 0 and 0 <= num <= den):
                    raise ValueError
                number, percent = 100 * num / den, True
            else:
                percent = text.endswith("%")
                number = float(text.removesuffix("%"))
        except ValueError:
            raise SidecarError(f"{what}: {value[:20]!r} is not a rating") from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = value
    else:
        raise SidecarError(f"{what}: expected a number, not {_type(value)}")
    if not (math.isfinite(number) and 0 <= number <= 100):
        raise SidecarError(f"{what}: {value!r} is not 1-5 stars or 0-100")
    if number == 0:
        return None
    return max(1, round(number if percent or number > 5 else number * 20))


# -- storing ---------------------------------------------------------------------------------


def first_admin(db: Session) -> int | None:
    """The user a sidecar's rating is stored for: the enabled admin with the lowest id."""
    query = select(User.id).where(User.role == "admin", ~User.disabled).order_by(User.id).limit(1)
    found = db.scalar(query)
    return int(found) if found is not None else None


def apply(
    db: Session,
    item_id: int,
    sidecar: Sidecar,
    user_id_for_rating: int | None,
    *,
    file_name: str | None = None,
) -> None:
    """Store what `sidecar` says on the item (see the module's docstring). Does not
    commit. `file_name` lets a title that is only the file's name be ignored."""
    apply_many(db, [(item_id, sidecar, file_name)], user_id_for_rating)


Entry = tuple[int, Sidecar, str | None]  # item id, its sidecar, the file's name


def apply_many(
    db: Session,
    entries: Sequence[Entry],
    user_id_for_rating: int | None,
    *,
    cache: dict[tuple[str, str], int] | None = None,
) -> None:
    """`apply` for many items: a few statements for the lot, not per item. `cache`
    ((kind, folded name) → id) saves name lookups across calls; keep it to one
    transaction."""
    cache = {} if cache is None else cache
    for start in range(0, len(entries), names.CHUNK):
        _apply_chunk(db, entries[start : start + names.CHUNK], user_id_for_rating, cache)


def _apply_chunk(
    db: Session,
    entries: Sequence[Entry],
    user_id: int | None,
    cache: dict[tuple[str, str], int],
) -> None:
    conn = db.connection()  # plain statements, in the session's transaction
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    now = utcnow()
    for kind, field_ in ((names.TAGS, "tags"), (names.PERFORMERS, "performers")):
        wanted = [(i, n) for i, note, _ in entries for n in getattr(note, field_)]
        if wanted:
            _resolve(db, kind, {n for _, n in wanted}, cache)
            links = {(i, cache[kind.label, names.fold(n)]) for i, n in wanted}
            rows = [{"item_id": i, kind.column: t} for i, t in sorted(links)]
            conn.execute(dialect.insert(kind.item_link).on_conflict_do_nothing(), rows)
    studios = [(i, note.studio) for i, note, _ in entries if note.studio]
    if studios:
        _resolve(db, names.STUDIOS, {n for _, n in studios}, cache)
        rows = [{"item_id": i, "studio_id": cache["studio", names.fold(n)]} for i, n in studios]
        stmt = dialect.insert(names.STUDIOS.item_link)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["item_id"], set_={"studio_id": stmt.excluded.studio_id}
            ),
            rows,
        )
    texts = {i: text for i, note, _ in entries if (text := note.caption())}
    if texts:
        _captions(conn, texts, now)
    filled = [
        {"item": i, "new_title": title, "new_url": note.url}
        for i, note, name in entries
        if (title := note.own_title(name)) or note.url
    ]
    if filled:  # only where empty: never over an edit made in the app, or an earlier sidecar's
        conn.execute(
            update(Item)
            .where(
                Item.id == bindparam("item"),
                or_(Item.title.is_(None), Item.source_url.is_(None)),
            )
            .values(
                title=func.coalesce(Item.title, bindparam("new_title", type_=Text)),
                source_url=func.coalesce(Item.source_url, bindparam("new_url", type_=Text)),
            ),
            filled,
        )
    dated = [{"item": i, "when": note.date} for i, note, _ in entries if note.date is not None]
    if dated:  # only where the file has no EXIF date
        conn.execute(
            update(Item)
            .where(Item.id == bindparam("item"), Item.taken_at.is_(None))
            .values(date=bindparam("when")),
            dated,
        )
    rated = [(i, note.rating) for i, note, _ in entries if note.rating is not None]
    if rated and user_id is not None:  # never over a rating given in the app
        ratings: list[dict[str, Any]] = [
            {"user_id": user_id, "item_id": i, "value": v, "updated_at": now} for i, v in rated
        ]
        conn.execute(dialect.insert(Rating).on_conflict_do_nothing(), ratings)


def _resolve(
    db: Session, kind: names.Kind, wanted: set[str], cache: dict[tuple[str, str], int]
) -> None:
    """Put the ids of these names (found by name or alias, made when unknown) in `cache`."""
    todo: dict[str, str] = {}
    for name in wanted:
        key = names.fold(name)
        if (kind.label, key) not in cache:
            todo.setdefault(key, name)
    if not todo:
        return
    for key, entry in names.find_many(db, kind, todo.values()).items():
        cache[kind.label, key] = entry.id
    missing = [(key, name) for key, name in todo.items() if (kind.label, key) not in cache]
    if missing:  # distinct keys that name nothing: one new entry each
        ids = names.resolve(db, kind, [name for _, name in missing], create=True)
        if len(ids) == len(missing):
            cache.update(((kind.label, key), i) for (key, _), i in zip(missing, ids, strict=True))
        else:  # made meanwhile under another spelling: one at a time
            for key, name in missing:
                (cache[kind.label, key],) = names.resolve(db, kind, [name], create=True)


def _captions(conn: Connection, texts: dict[int, str], now: datetime) -> None:
    """A new sidecar caption for each item whose text differs from its current caption
    and from the last caption a sidecar wrote (an app edit outlives an unchanged
    sidecar)."""
    current: dict[int, str] = {}
    from_sidecar: dict[int, str] = {}
    query = (
        select(Caption.item_id, Caption.text, Caption.source)
        .where(Caption.item_id.in_(list(texts)))
        .order_by(Caption.item_id, Caption.created_at, Caption.id)
    )
    for item_id, text, source in conn.execute(query):
        current[item_id] = text
        if source == "sidecar":
            from_sidecar[item_id] = text
    rows = [
        {"item_id": i, "text": t, "source": "sidecar", "created_at": now}
        for i, t in texts.items()
        if current.get(i) != t and from_sidecar.get(i) != t
    ]
    if rows:
        conn.execute(insert(Caption), rows)


# -- the scanner's pass ----------------------------------------------------------------------


@dataclass
class Pass:
    """Sidecars during the scan of one root (or of some scopes in it).

    The walk appends `(rel, changed_ns)` of the sidecar-like files it passes to `files`.
    `read` and `store` serve each batch of new or changed files (read before the batch's
    transaction, stored in it); `finish`, after the walk, reads the sidecars that
    changed for files that did not."""

    engine: Engine
    root_id: int
    root_real: str
    whole: bool  # a complete walk of the root: it may move the watermark
    files: list[tuple[str, int]] = field(default_factory=list)
    started: datetime = field(default_factory=utcnow)
    applied: int = 0  # items given metadata
    _done: set[int] = field(default_factory=set)  # ids whose sidecars were read this scan
    _listings: dict[str, dict[str, str]] = field(default_factory=dict)
    _folder_notes: dict[str, Sidecar | None] = field(default_factory=dict)
    _reported: set[str] = field(default_factory=set)
    _admin: list[int | None] = field(default_factory=list)  # looked up once, when needed

    def read(self, rels: Iterable[str], errors: list[tuple[str, str]]) -> dict[str, Sidecar]:
        """rel → the merged sidecar, for the files of `rels` that have any."""
        out: dict[str, Sidecar] = {}
        for rel in rels:
            folder, _, name = rel.rpartition("/")
            index = self._listing(folder)
            if not index:
                continue
            found = matching(name, index)
            parts = [
                note for side in found if (note := self._read(folder, side, errors)) is not None
            ]
            if parts:
                merged = merge(parts)
                if merged:
                    out[rel] = merged
        return out

    def store(
        self, conn: Connection, written: Sequence[tuple[int, str]], notes: Mapping[str, Sidecar]
    ) -> None:
        """Apply `notes` to the items just written (`(id, rel)`), in their transaction."""
        self._done.update(item_id for item_id, _ in written)
        todo = [(item_id, rel, notes[rel]) for item_id, rel in written if rel in notes]
        if not todo:
            return
        with Session(bind=conn) as db:
            admin = self._first_admin(db, todo)
            entries = [(item_id, note, rel.rpartition("/")[2]) for item_id, rel, note in todo]
            apply_many(db, entries, admin)
            db.flush()
        self.applied += len(todo)

    def finish(self, errors: list[tuple[str, str]]) -> None:
        """After the walk: read the sidecars changed since the last complete walk for
        the files the batches did not cover, and move the watermark."""
        if not self.files:
            return  # no sidecars here: no query, no write
        key = WATERMARK.format(self.root_id)
        with self.engine.connect() as conn:
            raw = conn.scalar(select(SettingValue.value).where(SettingValue.key == key))
        mark = _parse_mark(raw)
        forced = mark is None and self.whole  # the first complete walk reads them all
        since = None if mark is None else _ns(mark - SLACK)
        by_folder: dict[str, dict[str, int]] = {}
        for rel, changed in self.files:
            if since is None or changed >= since:
                folder, _, name = rel.rpartition("/")
                by_folder.setdefault(folder, {})[name] = changed
        folders = [folder for folder in by_folder if _storable(folder)]
        for start in range(0, len(folders), 50):
            self._refresh({f: by_folder[f] for f in folders[start : start + 50]}, forced, errors)
        if self.whole:
            with self.engine.begin() as conn:
                now = utcnow()
                value = json.dumps(self.started.isoformat())
                row = {"key": key, "value": value, "updated_at": now}
                upsert(conn, SettingValue, row, ["key"], {"value": value, "updated_at": now})

    def _refresh(
        self, folders: dict[str, dict[str, int]], forced: bool, errors: list[tuple[str, str]]
    ) -> None:
        """Read the sidecars of the files in `folders` (folder → sidecar name → when it
        changed) whose rows were written before one of their sidecars changed."""
        where: ColumnElement[bool]
        if forced:
            where = Item.folder.in_(list(folders))
        else:  # rows written since the folder's newest change hold nothing to read
            where = or_(
                *(
                    and_(Item.folder == folder, Item.updated_at < _after(max(times.values())))
                    for folder, times in folders.items()
                )
            )
        query = select(Item.id, Item.folder, Item.name, Item.updated_at).where(
            Item.root_id == self.root_id, Item.status == "present", where
        )
        with self.engine.connect() as conn:
            rows = [row for row in conn.execute(query) if row[0] not in self._done]
        due: dict[str, list[tuple[int, str]]] = {}
        for item_id, folder, name, updated_at in rows:
            found = matching(name, self._listing(folder))
            written = _ns(updated_at) - TICK_NS
            times = folders[folder]
            if found and (forced or any(times.get(s, 0) > written for s in found)):
                due.setdefault(folder, []).append((item_id, name))
        now = utcnow()  # before reading: a sidecar changed after this is read next time
        for folder, items in due.items():
            prefix = f"{folder}/" if folder else ""
            for start in range(0, len(items), 500):
                chunk = [(item_id, prefix + name) for item_id, name in items[start : start + 500]]
                notes = self.read([rel for _, rel in chunk], errors)
                with self.engine.begin() as conn:
                    ids = [item_id for item_id, _ in chunk]
                    conn.execute(update(Item).where(Item.id.in_(ids)).values(updated_at=now))
                    self.store(conn, chunk, notes)

    def _listing(self, folder: str) -> dict[str, str]:
        if folder not in self._listings:
            if len(self._listings) >= CACHE:
                self._listings.clear()
                self._folder_notes.clear()
            path = os.path.join(self.root_real, folder) if folder else self.root_real
            self._listings[folder] = listing(path, self.root_real)
        return self._listings[folder]

    def _read(self, folder: str, name: str, errors: list[tuple[str, str]]) -> Sidecar | None:
        if name == FOLDER and folder in self._folder_notes:
            return self._folder_notes[folder]
        path = (
            os.path.join(self.root_real, folder, name)
            if folder
            else os.path.join(self.root_real, name)
        )
        note: Sidecar | None
        try:
            note = read(path)
            if name == FOLDER:  # the folder's own title, text and url are not each file's
                note = replace(note, title=None, description=None, url=None)
        except SidecarError as exc:
            note = None
            if path not in self._reported:
                self._reported.add(path)
                errors.append((path, f"sidecar not applied: {exc}"))
        if name == FOLDER:
            self._folder_notes[folder] = note
        return note

    def _first_admin(self, db: Session, todo: list[tuple[int, str, Sidecar]]) -> int | None:
        if not any(note.rating is not None for _, _, note in todo):
            return None
        if not self._admin:
            self._admin.append(first_admin(db))
        return self._admin[0]


def _after(changed_ns: int) -> datetime:
    """The time past which a row was written after a change at `changed_ns`."""
    return EPOCH + timedelta(microseconds=(changed_ns + TICK_NS) // 1000 + 1)


def _ns(when: datetime) -> int:
    """A naive UTC datetime as epoch nanoseconds (exact to the microsecond)."""
    return (when - EPOCH) // timedelta(microseconds=1) * 1000


def _parse_mark(raw: str | None) -> datetime | None:
    try:
        value = json.loads(raw) if raw else None
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

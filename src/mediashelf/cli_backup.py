"""`mediashelf backup`, `mediashelf restore` and `mediashelf import-seed`.

A backup is one JSON file of everything people added (library/backup.py);
restoring merges it into this library (library/restore.py). Scan the library
before restoring: data of files not found is reported and skipped, and
restoring again once they are scanned adds it (a restore is idempotent).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Column, Table

from mediashelf.cli import CliError, _setup, err, out
from mediashelf.library import backup as backups
from mediashelf.library import restore as restores
from mediashelf.library import seed_import

SHOWN = 10  # missing items, unmatched keys: how many are listed

SECTIONS = (
    "users",
    "settings",
    "tags",
    "performers",
    "studios",
    "photosets",
    "item_tags",
    "item_performers",
    "item_studios",
    "ratings",
    "views",
    "favorites",
    "captions",
    "crops",
    "item_details",
    "content_filters",
)


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("import-seed")(import_seed)


def backup(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="Where to write it. Default: BACKUP_DIR/mediashelf-YYYYmmdd-HHMMSS.json",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Write everything people added to one JSON file.

    Tags, performers, studios, photosets, ratings, views, favorites, captions,
    crops, settings and users (never their passwords), keyed by each file's
    content and path.
    """
    settings, engine = _setup()
    with err.status("reading the database…"):
        doc = backups.export(engine)
    path = file or backups.default_path(settings)
    try:
        size = backups.write(doc, path)
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
    counts = ", ".join(
        f"{len(doc[s])} {s.replace('_', ' ')}" for s in ("items", *SECTIONS) if doc[s]
    )
    out.print(f"wrote {escape(str(path))} ({size:,} bytes): {counts}")


def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `mediashelf backup`.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; change nothing.")
    ] = False,
) -> None:
    """Merge a backup into this library.

    Scan the library first (`mediashelf scan`): the data of files it does not
    hold yet is skipped. Restoring twice changes nothing the second time.
    """
    settings, engine = _setup()
    try:
        report = restores.restore(engine, backups.load(file), settings=settings, dry_run=dry_run)
    except backups.BackupError as exc:
        raise CliError(str(exc)) from None
    table = Table("", "added", "updated", "skipped (file not here)")
    for section in SECTIONS:
        added, updated = report.added[section], report.updated[section]
        skipped = report.skipped[section]
        if added or updated or skipped:
            table.add_row(section.replace("_", " "), str(added), str(updated), str(skipped))
    if report.skipped["photoset items"]:
        table.add_row("photoset items", "", "", str(report.skipped["photoset items"]))
    if table.row_count:
        out.print(table)
    found = report.items - len(report.missing)
    out.print(f"{found} of {report.items} files found in the library", end="")
    out.print(f" ({report.by_path} by path: their content changed)" if report.by_path else "")
    if report.missing:
        err.print(
            f"[yellow]{len(report.missing)} files are not in the library[/]; their data was "
            "skipped. Scan them (`mediashelf scan`), then restore again:"
        )
        for path in report.missing[:SHOWN]:
            err.print(f"  {escape(path)}")
        if len(report.missing) > SHOWN:
            err.print(f"  … and {len(report.missing) - SHOWN} more")
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    if report.new_users:
        names = ", ".join(escape(n) for n in report.new_users)
        err.print(
            f"new users without a password: {names}. "
            "Set one with `mediashelf user passwd NAME` (or they log in through single sign-on)."
        )
    verb = "would change" if dry_run else "changed"
    out.print(f"{verb} {report.changes} rows" + (" (dry run: nothing written)" if dry_run else ""))


def import_seed(
    folder: Annotated[
        Path,
        typer.Argument(
            help="The seed's folder with ratings.json, views.json, tags.json, favorites.json.",
            file_okay=False,
        ),
    ],
    user: Annotated[str, typer.Option("--user", "-u", help="Whose ratings, views, favorites.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would change; change nothing.")
    ] = False,
) -> None:
    """Import the seed video server's ratings, views, tags and favorites.

    Scan the library first: files are matched by content hash, path or name.
    """
    _settings, engine = _setup()
    try:
        report = seed_import.import_seed(engine, folder, user, dry_run=dry_run)
    except seed_import.SeedError as exc:
        raise CliError(str(exc)) from None
    table = Table("entries", "found", "changed", "not found", "ambiguous", "invalid")
    table.columns.insert(0, Column("file", no_wrap=True))
    for kind, r in report.files.items():
        table.add_row(
            f"{kind}.json",
            str(r.entries),
            str(r.matched),
            str(r.changed),
            str(len(r.unmatched)),
            str(len(r.ambiguous)),
            str(len(r.invalid)),
        )
    out.print(table)
    for kind, r in report.files.items():
        if r.kept:
            err.print(f"{kind}.json: {r.kept} ratings given here already were kept")
        for label, keys in (("not found", r.unmatched), ("ambiguous", r.ambiguous)):
            if keys:
                shown = ", ".join(escape(k) for k in keys[:SHOWN])
                more = f" and {len(keys) - SHOWN} more" if len(keys) > SHOWN else ""
                err.print(f"{kind}.json, {label}: {shown}{more}")
        for entry in r.invalid[:SHOWN]:
            err.print(f"[yellow]{kind}.json, invalid:[/] {escape(entry)}")
    if dry_run:
        out.print("dry run: nothing written")

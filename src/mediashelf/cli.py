"""The `mediashelf` command. Settings are read once here and passed on."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from mediashelf import __version__, logs
from mediashelf.auth.gate import is_loopback_host
from mediashelf.config import Settings, SettingsError, load_settings
from mediashelf.db.engine import SchemaError, current_revision, head_revision, make_engine, upgrade

app = typer.Typer(
    help="Mediashelf: a self-hosted library server for your own photos and videos.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console()
err = Console(stderr=True, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class CliError(Exception):
    """A message for the user; the command exits with `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _setup(**overrides: Any) -> tuple[Settings, Engine]:
    """Settings, logging, folders and an up-to-date database."""
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        raise CliError(str(exc), 2) from None
    logs.setup(settings, err)
    for folder in settings.media_dir:
        if folder == Path("media"):  # only the default root is created for you
            folder.mkdir(exist_ok=True)
    engine = _open_engine(settings)
    _upgrade(settings, engine)
    return settings, engine


def _open_engine(settings: Settings) -> Engine:
    """An engine, or a one-line error for a malformed URL, a missing driver or folder."""
    try:
        return make_engine(settings.db_url)
    except (ArgumentError, NoSuchModuleError, ImportError, OSError) as exc:
        raise CliError(f"cannot use DATABASE_URL ({_safe_url(settings)}): {exc}") from None


def _upgrade(settings: Settings, engine: Engine) -> tuple[str | None, str]:
    try:
        return upgrade(engine)
    except SchemaError as exc:
        raise CliError(str(exc)) from None
    except OperationalError as exc:
        raise CliError(f"cannot open the database ({_safe_url(settings)}): {exc.orig}") from None


def _safe_url(settings: Settings) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(settings.db_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "not a database URL"


def _progress(unit: str, total_known: bool = True) -> Progress:
    columns: list[Any] = [SpinnerColumn(), TextColumn("[bold]{task.description}")]
    if total_known:
        columns += [BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    else:
        columns += [TextColumn("{task.completed:,.0f} " + unit)]
    columns += [TextColumn("[dim]{task.fields[rate]}"), TimeElapsedColumn()]
    return Progress(*columns, console=err, transient=False)


# -- scan ------------------------------------------------------------------


def _scan(settings: Settings, engine: Engine) -> int:
    """Scan here, with a progress bar, holding the library's one scan job."""
    from mediashelf.jobs import kinds, runner, store
    from mediashelf.jobs.queue import Jobs

    jobs = Jobs(settings, engine)
    # The summary table below says what the scanner's own log lines would.
    logging.getLogger("mediashelf.scanner").setLevel(logging.ERROR)
    for _attempt in range(2):  # a dead scan's job may end as failed: then queue a new one
        [(job_id, _)] = jobs.submit([kinds.scan_job(store.USER)])
        ctx = runner.start(jobs, job_id)
        if ctx is not None:
            break
    if ctx is None:
        job = store.get(engine, job_id)
        who = f" by {job.worker}" if job and job.worker else ""
        raise CliError(
            f"a scan is already running{who} (job {job_id}); wait for it to finish, "
            f"or cancel it in the admin API"
        )
    started = time.perf_counter()
    with _progress("files", total_known=False) as bar:
        task = bar.add_task("Scanning", total=None, rate="")

        def advance(n: int, _path: str) -> None:
            done = bar.tasks[0].completed + n
            rate = done / max(time.perf_counter() - started, 1e-6)
            bar.update(task, advance=n, rate=f"{rate:,.0f} files/s")

        try:
            report, queued = kinds.scan_library(ctx, advance)
        except KeyboardInterrupt:
            store.cancel(engine, job_id)
            runner.end(ctx, kinds.Cancelled())
            raise
        except BaseException as exc:
            runner.end(ctx, exc)
            raise
        runner.end(ctx, None, kinds.summary(report, queued))
        elapsed = time.perf_counter() - started
        bar.update(
            task, completed=report.seen, rate=f"{report.seen / max(elapsed, 1e-6):,.0f} files/s"
        )

    table = Table(title="Scan summary", show_header=False, title_justify="left")
    for label, value in (
        ("new", report.new),
        ("changed", report.changed),
        ("moved", report.moved),
        ("missing", report.missing),
        ("unchanged", report.unchanged),
        ("errors", len(report.errors)),
    ):
        table.add_row(label, f"{value:,}")
    table.add_row("time", f"{elapsed:.1f} s ({report.seen / max(elapsed, 1e-6):,.0f} files/s)")
    out.print(table)
    for root, why in report.skipped_roots:
        err.print(f"[yellow]skipped root[/] {escape(root)}: {escape(why)}")
    for path, why in report.errors[:20]:
        err.print(f"[red]error[/] {escape(repr(path)[1:-1])}: {escape(why)}")
    if len(report.errors) > 20:
        err.print(f"... and {len(report.errors) - 20} more errors")
    return 0


@app.command()
def scan() -> None:
    """Walk the library roots and update the database (new, changed, moved, missing)."""
    settings, engine = _setup()
    _scan(settings, engine)


@app.command("update-manifest")
def update_manifest() -> None:
    """Scan, then write manifest.json and thumbnails.json (the seed gallery's command)."""
    settings, engine = _setup()
    _scan(settings, engine)
    _write_manifest(settings, engine)


# -- manifest --------------------------------------------------------------


def _write_manifest(settings: Settings, engine: Engine) -> None:
    from mediashelf.library import manifest as manifest_mod

    items, with_thumbs = manifest_mod.write(engine, settings)
    out.print(
        f"wrote {escape(str(settings.manifest_file))} ({items:,} items) and "
        f"{escape(str(settings.thumbnails_file))} ({with_thumbs:,} with thumbnails)"
    )


@app.command()
def manifest() -> None:
    """Write manifest.json and thumbnails.json from the database."""
    settings, engine = _setup()
    _write_manifest(settings, engine)


# -- thumbs ----------------------------------------------------------------


def _thumbs(images: bool, videos: bool, force: bool, pids: list[int] | None) -> None:
    from mediashelf.jobs.batch import ThumbReport, run_thumbnails, run_videos

    settings, engine = _setup()
    if pids:
        _check_pids(pids)
    both = images == videos  # neither flag (or both): everything
    steps: list[tuple[str, str, Callable[..., ThumbReport]]] = []
    if images or both:
        steps.append(("Thumbnails", "img/s", partial(run_thumbnails, kinds=("image",))))
    if videos or both:
        steps.append(("Video previews", "jobs/s", run_videos))
    for label, unit, run in steps:
        report = _with_bar(label, unit, partial(run, engine, settings, force=force))
        out.print(
            f"{label.lower()}: {report.made:,} made, {report.skipped:,} already there, "
            f"{len(report.errors):,} errors"
        )
        for path, why in report.errors[:20]:
            err.print(f"[red]error[/] {escape(path)}: {escape(why)}")
    if pids:
        _signal_reload(pids)


def _with_bar(label: str, unit: str, run: Callable[..., T]) -> T:
    """Run `run(progress=…)` under a progress bar of `done / total` with a rate."""
    started = time.perf_counter()
    with _progress(unit) as bar:
        task = bar.add_task(label, total=None, rate="")

        def advance(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - started, 1e-6)
            bar.update(task, completed=done, total=total, rate=f"{rate:,.1f} {unit}")

        result = run(progress=advance)
        if bar.tasks[0].total is None:
            bar.update(task, total=0, completed=0)
    return result


@app.command()
def thumbs(
    images: Annotated[bool, typer.Option("-i", "--images", help="Images only.")] = False,
    videos: Annotated[bool, typer.Option("-v", "--videos", help="Videos only.")] = False,
    force: Annotated[bool, typer.Option("-f", "--force", help="Remake existing ones.")] = False,
    pid: Annotated[
        list[int] | None, typer.Option("-p", "--pid", help="Signal this server to reload after.")
    ] = None,
) -> None:
    """Make thumbnails for every image, and probe every video and make its poster,
    seek-bar sprites, preview strip and teasers (-i: images only, -v: videos only)."""
    _thumbs(images, videos, force, pid)


@app.command("update-cache")
def update_cache(
    images: Annotated[bool, typer.Option("-i", "--images", help="Images only.")] = False,
    videos: Annotated[bool, typer.Option("-v", "--videos", help="Videos only.")] = False,
    force: Annotated[bool, typer.Option("-f", "--force", help="Remake existing ones.")] = False,
    pid: Annotated[
        list[int] | None, typer.Option("-p", "--pid", help="Signal this server to reload after.")
    ] = None,
) -> None:
    """Alias of `thumbs` (the seed gallery's name)."""
    _thumbs(images, videos, force, pid)


# -- serve / reload --------------------------------------------------------


def _companions(settings: Settings, worker: bool) -> list[subprocess.Popen[bytes]]:
    """The job worker and the watcher, as child processes that die with this one."""
    from mediashelf.web.server import die_with_parent

    commands = []
    if worker:
        commands.append("worker")
    if settings.watch:
        commands.append("watch")
    return [
        subprocess.Popen([sys.executable, "-m", "mediashelf", cmd], preexec_fn=die_with_parent)
        for cmd in commands
    ]


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGINT)  # Huey's graceful stop: running jobs finish
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


def _serve(
    host: str | None, port: int | None, socket: Path | None, dev: bool, worker: bool = True
) -> None:
    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    settings, engine = _setup(**overrides)
    where = f"unix:{socket}" if socket else f"http://{settings.host}:{settings.port}"
    err.print(
        f"Mediashelf {__version__} on {where} · library: "
        f"{', '.join(str(p) for p in settings.media_dir)}"
    )
    _auth_banner(
        settings, engine, where, loopback=socket is None and is_loopback_host(settings.host)
    )
    engine.dispose()
    children = _companions(settings, worker)
    try:
        _run_web(settings, overrides, socket, dev)
    finally:
        _stop(children)


def _auth_banner(settings: Settings, engine: Engine, where: str, loopback: bool) -> None:
    """Refuse AUTH=off where strangers could reach it; say loudly who can get in."""
    from sqlalchemy.orm import Session

    from mediashelf.auth import users

    if not settings.auth:
        if not loopback and not settings.trusted_networks:
            raise CliError(
                "AUTH=off is allowed only when the server binds to loopback (HOST=127.0.0.1) "
                "or with TRUSTED_NETWORKS set; turn AUTH on, or say which networks to trust",
                2,
            )
        who = ", ".join(["this machine (loopback)", *settings.trusted_networks])
        err.print(
            f"[bold red]WARNING: AUTH=off: anyone on {escape(who)} uses Mediashelf as an "
            "admin, without logging in.[/]"
        )
        return
    with Session(engine) as db:
        if users.needs_first_admin(db):
            err.print(
                f"[bold yellow]No account yet: open {where}/login to create the admin, or run "
                "`mediashelf user add NAME --admin`. Until then, whoever reaches this server "
                "first can create it.[/]"
            )


def _run_web(settings: Settings, overrides: dict[str, Any], socket: Path | None, dev: bool) -> None:
    if dev:
        import uvicorn

        os.environ.update({k.upper(): str(v) for k, v in overrides.items()})
        uvicorn.run(
            "mediashelf.web.app:create_app",
            factory=True,
            reload=True,
            reload_dirs=[str(Path(__file__).parent)],
            host=settings.host,
            port=settings.port,
            uds=str(socket) if socket else None,
            log_level=settings.log_level,
            proxy_headers=False,  # TRUSTED_PROXIES are handled by web/security.py
        )
        return
    from mediashelf.web.server import run_production

    run_production(settings, overrides, socket)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("-H", "--host", help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option("-P", "--port", help="Port.")] = None,
    socket: Annotated[
        Path | None, typer.Option("-S", "--socket", help="Listen on this unix socket instead.")
    ] = None,
    dev: Annotated[
        bool, typer.Option("--dev", help="Development server with auto-reload.")
    ] = False,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Also run a job worker (off when workers run elsewhere, e.g. with Redis).",
        ),
    ] = True,
) -> None:
    """Run the web server (gunicorn + uvicorn workers; SIGHUP reloads gracefully), plus a
    job worker and the folder watcher (WATCH=false turns it off)."""
    _serve(host, port, socket, dev, worker)


@app.command()
def worker(
    processes: Annotated[
        int | None, typer.Option("-w", "--processes", help="Job processes (default: WORKERS).")
    ] = None,
) -> None:
    """Run background jobs (thumbnails, scans, …) until stopped. Run it on any number of
    machines when REDIS_URL is set; `serve` starts one for you on the embedded default."""
    from mediashelf.jobs.queue import Jobs

    settings, engine = _setup()
    jobs = Jobs(settings, engine)
    where = settings.redis_url or str(settings.data_dir / "queue.db")
    n = processes or settings.workers
    err.print(f"Mediashelf {__version__} worker: {n} processes · queue: {escape(where)}")
    engine.dispose()  # the job processes open their own connections
    jobs.consumer(n).run()


@app.command()
def watch() -> None:
    """Watch the library roots and scan what changes, within seconds; `serve` runs this
    unless WATCH=false. A full rescan runs at start and every RESCAN_INTERVAL seconds."""
    import logging

    from mediashelf.jobs import kinds
    from mediashelf.jobs.queue import Jobs
    from mediashelf.library import watch as watcher

    settings, engine = _setup()
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # a line per change otherwise
    jobs = Jobs(settings, engine)
    err.print(
        f"Mediashelf {__version__} watcher: {escape(', '.join(jobs.live.get().root_paths))} · "
        f"debounce {settings.watch_debounce_ms} ms · polling: {settings.watch_poll}"
    )
    stop = threading.Event()

    def finish(_signum: int, _frame: object) -> None:
        if stop.is_set():  # asked twice: do not wait for the scan in progress
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    # The rescan runs here too, not as a queued job: a scan job waiting in the queue
    # (behind thumbnails, or with no worker at all) would hold the watcher's batches back.
    # The roots can change from the dashboard: the watch starts over on the new ones.
    while not stop.is_set():
        current = jobs.live.refresh()
        again = threading.Event()
        threading.Thread(
            target=_until_roots_change, args=(jobs, current.root_paths, stop, again), daemon=True
        ).start()
        watcher.watch(
            current,
            on_batch=lambda paths: kinds.scan_now(jobs, paths),
            stop=again,
            on_rescan=lambda: kinds.scan_now(jobs, []),
        )
        again.set()
        if not stop.is_set():
            roots = ", ".join(jobs.live.get().root_paths)
            err.print(f"library roots changed: watching {escape(roots)}")


def _until_roots_change(
    jobs: Any, roots: list[str], stop: threading.Event, again: threading.Event
) -> None:
    """Set `again` once `stop` is set or the library roots are no longer `roots`."""
    while not again.is_set():
        if stop.wait(2) or jobs.live.refresh().root_paths != roots:
            again.set()


@app.command("run-dev")
def run_dev(
    host: Annotated[str | None, typer.Option("-H", "--host", help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option("-P", "--port", help="Port.")] = None,
    socket: Annotated[
        Path | None, typer.Option("-S", "--socket", help="Listen on this unix socket instead.")
    ] = None,
) -> None:
    """Alias of `serve --dev`."""
    _serve(host, port, socket, dev=True)


def _check_pids(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            raise CliError(f"no process with PID {pid}") from None
        except PermissionError:
            raise CliError(f"not allowed to signal PID {pid}") from None


def _signal_reload(pids: list[int]) -> None:
    _check_pids(pids)
    for pid in pids:
        os.kill(pid, signal.SIGHUP)
        out.print(f"sent a graceful reload (SIGHUP) to {pid}")


@app.command()
def reload(pids: Annotated[list[int], typer.Argument(help="Server master PIDs.")]) -> None:
    """Gracefully reload running servers: new workers start, old ones finish their requests."""
    _signal_reload(pids)


@app.command("reload-server")
def reload_server(pids: Annotated[list[int], typer.Argument(help="Server master PIDs.")]) -> None:
    """Alias of `reload`."""
    _signal_reload(pids)


# -- db --------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (also done automatically at start-up)."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise CliError(str(exc), 2) from None
    before, after = _upgrade(settings, _open_engine(settings))
    if before == after:
        out.print(f"database is up to date (revision {after})")
    else:
        out.print(f"database upgraded from {before or 'empty'} to {after}")


@db_app.command("status")
def db_status() -> None:
    """Show the database's schema revision and the code's."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        raise CliError(str(exc), 2) from None
    engine = _open_engine(settings)
    try:
        revision = current_revision(engine)
    except OperationalError as exc:
        raise CliError(f"cannot open the database ({_safe_url(settings)}): {exc.orig}") from None
    out.print(f"database: {_safe_url(settings)}")
    out.print(f"revision: {revision or 'none (empty database)'} (code: {head_revision()})")


@app.command()
def version() -> None:
    """Print the version."""
    out.print(__version__)


from mediashelf import cli_accounts  # noqa: E402  (it uses the helpers above)

app.add_typer(cli_accounts.user_app, name="user")
app.add_typer(cli_accounts.apikey_app, name="apikey")

from mediashelf import cli_backup  # noqa: E402  (it uses the helpers above)

cli_backup.register(app)


def main() -> None:
    try:
        app()
    except CliError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(exc.code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)

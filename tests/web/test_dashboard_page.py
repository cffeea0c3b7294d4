"""The admin dashboard (/admin) in a real browser (Debian's Chromium via Playwright),
against a real `mediashelf serve` and a real job worker: a rescan followed over the live
stream (SSE) to done with the counts updated, a library folder added (and a refused one
with the server's reason), a settings change that survives a reload and a bad value
answered next to its field, an API key shown once then revoked, a content filter, pause
and resume, a failed job's error and its retry; no horizontal scrolling at phone width,
not one Content-Security-Policy violation; and a member who opens /admin is refused.

The page is the Svelte one (frontend/src/pages/dashboard), built by `make setup`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from mediashelf import __version__
from mediashelf.db.engine import make_engine
from mediashelf.db.models import Job
from mediashelf.library.clock import utcnow
from tests import factory
from tests.browser import RECORD_VIOLATIONS, chromium, needs_chromium, until, violations
from tests.serving import LOG_DIR, mediashelf, scanned_site, served, this_checkout

pytestmark = [needs_chromium, pytest.mark.timeout(300)]

BROKEN = "cannot identify image file broken.jpg (truncated JPEG data)"

# Records the CSP violations a page reports (see test_login_page.py).

# Every state the scan card shows, in order, as the page changes it.
RECORD_SCAN = """() => {
  window.__scan = [];
  const look = () => {
    const card = document.getElementById('scan-progress');
    const status = card ? `${card.dataset.job}:${card.dataset.status}` : null;
    if (status && window.__scan[window.__scan.length - 1] !== status) window.__scan.push(status);
  };
  look();
  new MutationObserver(look).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'],
  });
}"""


@dataclass
class Site:
    base: str
    media: Path
    other: Path
    failed_job: int


def _library(tmp: Path, **extra: str) -> dict[str, str]:
    """A photo, scanned; the settings for the server and the worker (no safety-net scan
    behind the tests' backs, nor a nightly backup)."""
    factory.jpeg(tmp / "media" / "a.jpg", (320, 240), seed=1)
    return scanned_site(tmp, RESCAN_INTERVAL="0", BACKUP_KEEP="0", **extra)


@contextmanager
def job_worker(env: dict[str, str], cwd: Path) -> Iterator[None]:
    """`mediashelf worker` (one process) beside the server, which `served` starts
    without one; its output goes to the run's logs, which are checked for API keys."""
    log = open(LOG_DIR / f"worker-{os.getpid()}-{id(env)}.log", "ab")  # noqa: SIM115
    full = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "AUTH": "off",
        **this_checkout(),
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediashelf", "worker", "-w", "1"],
        env=full, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        yield
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """AUTH=off on loopback: the browser is the built-in admin."""
    tmp = tmp_path_factory.mktemp("dashboard")
    env = _library(tmp)
    other = tmp / "other"
    factory.jpeg(other / "b.jpg", (200, 150), seed=5)
    engine = make_engine(env["DATABASE_URL"])
    with Session(engine) as db:  # a job that failed for good, as a broken file leaves one
        now = utcnow()
        job = Job(
            kind="thumbnail", target="item", params="{}", dedupe_key="thumbnail:broken",
            priority=0, status="failed", progress=0.0, attempts=3, error=BROKEN,
            created_at=now, updated_at=now, started_at=now, finished_at=now,
        )  # fmt: skip
        db.add(job)
        db.commit()
        failed_job = job.id
    engine.dispose()
    with served(env, tmp) as base, job_worker(env, tmp):
        yield Site(base, tmp / "media", other, failed_job)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def csp_console() -> list[str]:
    return []


@pytest.fixture(scope="module")
def page(browser: Any, csp_console: list[str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda m: csp_console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert errors == []
    assert csp_console == [], csp_console


def _open(page: Any, base: str, tab: str = "") -> None:
    response = page.goto(f"{base}/admin{'#' + tab if tab else ''}")  # None: the hash only
    if response is not None:
        assert response.status == 200, (response.status, response.text()[:300])
    until(page, "() => document.querySelector('#dashboard .tabs') !== null")


def _live(page: Any) -> None:
    until(page, "() => document.getElementById('live-state')?.dataset.state === 'live'")


def _tab(page: Any, tab: str) -> None:
    page.click(f"#tab-{tab}")
    until(page, f"() => document.getElementById('dashboard').dataset.tab === '{tab}'")


def _no_scan_pending(base: str) -> None:
    """Wait for the scans the tests started to end."""
    import time

    deadline = time.monotonic() + 60
    while httpx.get(f"{base}/api/v1/admin/libraries").json()["scan"] is not None:
        assert time.monotonic() < deadline, "a scan is still pending"
        time.sleep(0.2)


def _row(path: Path) -> str:
    return f'.library[data-path="{os.path.realpath(path)}"]'


def test_the_overview_shows_health_version_libraries_and_queue(page: Any, site: Site) -> None:
    _open(page, site.base)
    until(page, f"() => document.querySelector('{_row(site.media)}') !== null")
    assert page.text_content("#version") == f"v{__version__}"
    assert page.get_attribute("#health", "data-status") == "ok"
    assert page.text_content(f"{_row(site.media)} .images") == "1 photo"
    assert page.text_content("#total-images") == "1"
    assert page.locator(".queue-row").count() >= 8  # every kind of job, with its depth
    _live(page)
    # The shared header's admin-only link, marked as the page shown.
    assert page.get_attribute("header nav a[href='/admin']", "aria-current") == "page"
    assert page.evaluate("() => document.title").startswith("Overview")


def test_dashboard_rescan_with_progress_reaching_done(page: Any, site: Site) -> None:
    """The issue's test: click rescan, see the scan move over SSE to done, and the
    counts follow."""
    factory.jpeg(site.media / "new" / "b.jpg", (320, 240), seed=2)
    factory.jpeg(site.media / "new" / "c.jpg", (240, 320), seed=3)
    _open(page, site.base)
    _live(page)
    _no_scan_pending(site.base)
    page.evaluate(RECORD_SCAN)
    page.click("#rescan-all")
    until(page, "() => document.getElementById('scan-progress')?.dataset.status === 'done'")
    job = page.get_attribute("#scan-progress", "data-job")
    seen = [
        s.split(":")[1] for s in page.evaluate("() => window.__scan") if s.startswith(f"{job}:")
    ]
    assert seen[0] in ("queued", "running") and seen[-1] == "done", seen
    # Every step came over the stream: the feed lists the job's events in order.
    feed = page.evaluate(
        f"""() => [...document.querySelectorAll('#activity .feed-line[data-job="{job}"]')]
              .map((line) => line.dataset.status).filter(Boolean).reverse()"""
    )
    assert feed == ["queued", "running", "done"], feed
    until(page, "() => document.getElementById('scan-summary') !== null")
    assert page.text_content("#scan-summary").startswith("2 new")
    # The bar is a fraction, full at the end: every file of the walk's count looked at.
    bar = "#scan-progress [role=progressbar]"
    assert page.get_attribute(bar, "aria-valuenow") == "100"
    assert page.text_content("#scan-count") == "3 of 3 files"
    assert page.get_attribute(bar, "aria-valuetext") == "3 of 3 files"
    until(
        page,
        f"() => document.querySelector('{_row(site.media)} .images').textContent === '3 photos'",
    )
    assert page.text_content("#total-images") == "3"


def test_a_folder_is_added_and_a_refused_one_says_why(page: Any, site: Site) -> None:
    _open(page, site.base)
    _live(page)
    page.fill("#library-path", "/etc")
    page.click("#add-library")
    until(page, "() => document.getElementById('library-error') !== null")
    assert "system folder" in page.text_content("#library-error")
    assert page.get_attribute("#library-path", "aria-invalid") == "true"

    # With the queue paused, the new root's scan waits: the row says so.
    assert httpx.post(f"{site.base}/api/v1/admin/pause").is_success
    page.wait_for_timeout(1500)  # a worker reads the pause flag again every second
    page.fill("#library-path", str(site.other))
    page.click("#add-library")
    until(page, f"() => document.querySelector('{_row(site.other)}') !== null")
    assert page.query_selector("#library-error") is None
    state = f"{_row(site.other)} .scan-state"
    assert page.text_content(state) == "Scan queued"
    assert page.text_content(f"{_row(site.other)} .scanned") == "not scanned yet"
    assert page.query_selector(f"{_row(site.media)} .scan-state") is None  # not in this scan
    # Then it is scanned: its count and its scan state arrive over the stream.
    assert httpx.post(f"{site.base}/api/v1/admin/resume").is_success
    until(
        page,
        f"() => document.querySelector('{_row(site.other)} .images')?.textContent === '1 photo'",
    )
    until(page, f"() => document.querySelector('{state}') === null")
    until(page, f"() => document.querySelector('{_row(site.other)} .scanned').title !== ''")
    roots = httpx.get(f"{site.base}/api/v1/admin/libraries").json()["libraries"]
    assert {r["real_path"] for r in roots} == {
        os.path.realpath(site.media),
        os.path.realpath(site.other),
    }

    _no_scan_pending(site.base)
    # Each web worker re-reads the roots every 2 s (tunables.LiveSettings): one that has
    # not yet would answer that the new root is no root.
    page.wait_for_timeout(2500)
    row = page.locator(_row(site.other))
    row.locator(".remove").click()
    row.locator(".confirm-yes").click()
    until(page, f"() => document.querySelector('{_row(site.other)}') === null")
    page.wait_for_timeout(3000)  # the list read again once every web worker knows
    assert page.query_selector(_row(site.other)) is None
    roots = httpx.get(f"{site.base}/api/v1/admin/libraries").json()["libraries"]
    assert [r["real_path"] for r in roots] == [os.path.realpath(site.media)]


def _setting(base: str, key: str) -> dict[str, Any]:
    settings = httpx.get(f"{base}/api/v1/admin/settings").json()["settings"]
    return next(s for s in settings if s["key"] == key)


def test_a_settings_change_persists_and_a_bad_value_shows_the_servers_message(
    page: Any, site: Site
) -> None:
    _open(page, site.base)
    _tab(page, "settings")
    assert page.evaluate("() => location.hash") == "#settings"
    until(page, "() => document.getElementById('setting-thumbnail_quality') !== null")
    assert page.input_value("#setting-thumbnail_quality") == "80"
    page.fill("#setting-thumbnail_quality", "85")
    assert "1 unsaved change" in page.text_content("#settings-state")
    page.click("#settings-save")
    until(page, "() => document.getElementById('settings-state').textContent.includes('saved')")
    assert _setting(site.base, "thumbnail_quality")["value"] == 85

    page.reload()  # the hash keeps the tab; the value is the server's
    until(page, "() => document.getElementById('setting-thumbnail_quality') !== null")
    assert page.get_attribute("#dashboard", "data-tab") == "settings"
    assert page.input_value("#setting-thumbnail_quality") == "85"
    assert page.locator('.setting[data-key="thumbnail_quality"] .reset').count() == 1

    # The controls follow the API's types: a number field with the declared range, a
    # switch, a choice of the declared values.
    number = "#setting-thumbnail_quality"
    assert page.evaluate(f"() => document.querySelector('{number}').type") == "number"
    assert (page.get_attribute(number, "min"), page.get_attribute(number, "max")) == ("1", "100")
    assert page.evaluate("() => document.getElementById('setting-watch').type") == "checkbox"
    options = "#setting-thumbnails_ext option"
    choices = page.eval_on_selector_all(options, "os => os.map(o => o.value)")
    assert choices == [".webp", ".jpg"]
    page.select_option("#setting-thumbnails_ext", ".jpg")
    page.click("#settings-save")
    until(page, "() => document.getElementById('settings-state').textContent.includes('saved')")
    assert _setting(site.base, "thumbnails_ext")["value"] == ".jpg"

    # Out of the declared range: refused here, before anything is sent.
    page.fill(number, "500")
    page.fill("#setting-sprite_width", "200")
    page.click("#settings-save")
    error = '.setting[data-key="thumbnail_quality"] .setting-error'
    until(page, f"() => document.querySelector('{error}') !== null")
    assert page.text_content(error).strip() == "enter a number 1 to 100"
    assert page.get_attribute(number, "aria-invalid") == "true"
    assert "Correct the fields" in page.text_content("#settings-error")
    assert _setting(site.base, "sprite_width")["value"] == 160

    # What only the server knows: all or nothing, a bad value beside a good one saves
    # neither, and the API's message shows under its field.
    page.fill(number, "85")
    page.fill("#setting-job_limits", "scan=0")
    page.click("#settings-save")
    error = '.setting[data-key="job_limits"] .setting-error'
    until(page, f"() => document.querySelector('{error}') !== null")
    assert page.text_content(error).strip() == "limits must be at least 1 (got {'scan': 0})"
    assert "Nothing was saved" in page.text_content("#settings-error")
    assert _setting(site.base, "sprite_width")["value"] == 160
    assert _setting(site.base, "job_limits")["value"] == {}
    assert _setting(site.base, "thumbnail_quality")["value"] == 85

    page.click("#settings-discard")
    assert page.input_value("#setting-thumbnail_quality") == "85"
    page.click('.setting[data-key="thumbnail_quality"] .reset')
    page.click("#settings-save")
    until(page, "() => document.getElementById('settings-state').textContent.includes('saved')")
    assert _setting(site.base, "thumbnail_quality")["overridden"] is False
    assert page.input_value("#setting-thumbnail_quality") == "80"
    httpx.patch(f"{site.base}/api/v1/admin/settings", json={"thumbnails_ext": None})


def test_an_api_key_is_shown_once_listed_without_it_and_revoked(page: Any, site: Site) -> None:
    _open(page, site.base, "users")
    until(page, "() => document.getElementById('new-key') !== null")
    page.fill("#key-name", "Backup script")
    page.select_option("#key-scope", "read")
    page.click("#create-key")
    until(page, "() => document.getElementById('key-secret') !== null")
    secret = page.input_value("#key-secret")
    assert "you will not see it again" in page.text_content("#key-once")
    page.click("#copy-key")
    until(page, "() => document.getElementById('copy-key').textContent.includes('Copied')")
    assert page.evaluate("() => navigator.clipboard.readText()") == secret
    headers = {"authorization": f"Bearer {secret}"}
    assert httpx.get(f"{site.base}/api/v1/items", headers=headers).status_code == 200

    page.click("#key-done")
    row = page.locator(".apikey", has_text="Backup script")
    assert row.get_attribute("data-state") == "active"
    assert secret[:10] in row.text_content()
    assert secret not in page.content()
    page.reload()
    until(page, "() => document.querySelector('#key-list .apikey') !== null")
    assert secret not in page.content()  # listed, never shown again

    row = page.locator(".apikey", has_text="Backup script")
    row.locator(".revoke").click()
    row.locator(".confirm-yes").click()
    until(page, "() => document.querySelector('.apikey[data-state=\"revoked\"]') !== null")
    assert httpx.get(f"{site.base}/api/v1/items", headers=headers).status_code == 401


def test_a_user_is_added_and_given_a_role(page: Any, site: Site) -> None:
    _open(page, site.base, "users")
    until(page, "() => document.querySelector('#user-list .user') !== null")
    page.click("#add-user")
    page.fill("#new-username", "carol")
    page.fill("#new-display-name", "Carol")
    page.fill("#new-password", "a long password for carol")
    page.select_option("#new-role", "viewer")
    page.click("#create-user")
    until(page, "() => document.querySelector('.user[data-username=\"carol\"]') !== null")
    user = page.get_attribute('.user[data-username="carol"]', "data-id")
    page.select_option(f"#role-{user}", "member")
    notices = "[...document.querySelectorAll('.notice')].map((n) => n.textContent).join()"
    until(page, f"() => {notices}.includes('now a member')")
    assert httpx.get(f"{site.base}/api/v1/users/{user}").json()["role"] == "member"


def test_a_content_filter_is_added_and_removed(page: Any, site: Site) -> None:
    tag = httpx.post(f"{site.base}/api/v1/tags", json={"name": "Private"}).json()["id"]
    _open(page, site.base, "filters")
    until(page, "() => document.getElementById('filter-tags-search') !== null")
    page.fill("#filter-tags-search", "priv")
    until(page, "() => document.querySelector('#filter-tags .suggestion') !== null")
    page.click("#filter-tags .suggestion")
    # The chip shows what the server answered: the filter is saved.
    until(page, f"() => document.querySelector('#filter-tags .chip[data-id=\"{tag}\"]') !== null")
    filters = httpx.get(f"{site.base}/api/v1/admin/content-filters").json()
    assert filters["tags"] == [{"id": tag, "name": "Private"}]

    page.reload()
    until(page, f"() => document.querySelector('#filter-tags .chip[data-id=\"{tag}\"]') !== null")
    page.click(f'#filter-tags .chip[data-id="{tag}"] .chip-remove')
    until(page, "() => document.querySelector('#filter-tags .chip') === null")
    assert httpx.get(f"{site.base}/api/v1/admin/content-filters").json()["tags"] == []


def test_pause_resume_and_a_failed_jobs_error_with_retry(page: Any, site: Site) -> None:
    _open(page, site.base)
    _live(page)
    until(page, "() => document.getElementById('pause-toggle')?.dataset.paused === 'false'")
    page.click("#pause-toggle")
    until(page, "() => document.getElementById('pause-toggle').dataset.paused === 'true'")
    assert page.is_visible("#paused-badge")
    assert httpx.get(f"{site.base}/api/v1/admin/queue").json()["paused"] is True
    until(page, "() => document.getElementById('activity')?.textContent.includes('Queue paused')")
    assert page.is_visible("#retry-failed")  # the queue counts the failed job

    _tab(page, "jobs")
    page.click('.status-filter[data-status="failed"]')
    job = f'.job[data-id="{site.failed_job}"]'
    until(page, f"() => document.querySelector('{job}') !== null")
    assert page.text_content(f"{job} .job-error pre") == BROKEN
    page.click(f"{job} .retry")
    until(page, f"() => document.querySelector('{job}').dataset.status === 'queued'")
    page.wait_for_timeout(1500)  # paused: it waits
    assert page.get_attribute(job, "data-status") == "queued"
    state = httpx.get(f"{site.base}/api/v1/admin/jobs/{site.failed_job}").json()["status"]
    assert state == "queued"
    page.click(f"{job} .cancel")
    until(page, f"() => document.querySelector('{job}').dataset.status === 'cancelled'")

    _tab(page, "overview")
    until(page, "() => document.getElementById('pause-toggle')?.dataset.paused === 'true'")
    page.click("#pause-toggle")
    until(page, "() => document.getElementById('pause-toggle').dataset.paused === 'false'")
    assert httpx.get(f"{site.base}/api/v1/admin/queue").json()["paused"] is False


@pytest.mark.parametrize("tab", ["overview", "jobs", "settings", "filters", "users"])
def test_a_phone_scrolls_no_section_sideways(browser: Any, site: Site, tab: str) -> None:
    page = browser.new_page(viewport={"width": 360, "height": 780})
    try:
        _open(page, site.base, tab)
        until(page, "() => !document.querySelector('#dashboard .spinner')")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, f"{tab}: {width} px wide"
    finally:
        page.close()


def test_the_dashboard_breaks_no_csp_rule(page: Any, site: Site, csp_console: list[str]) -> None:
    for theme in ("dark", "light"):
        page.goto(f"{site.base}/admin")
        page.evaluate(f"() => localStorage.setItem('mediashelf-theme', '{theme}')")
        for tab in ("overview", "jobs", "settings", "filters", "users"):
            page.goto(f"{site.base}/admin#{tab}")
            page.reload()  # a new hash alone would not load the page again
            until(page, f"() => document.getElementById('dashboard')?.dataset.tab === '{tab}'")
            until(page, "() => !document.querySelector('#dashboard .spinner')")
            assert page.evaluate("() => document.documentElement.dataset.theme") == theme
            colour = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            assert colour not in ("rgba(0, 0, 0, 0)", ""), colour  # the stylesheet applied
            assert violations(page) == [], (theme, tab)
    page.evaluate("() => localStorage.removeItem('mediashelf-theme')")
    assert csp_console == [], csp_console


# -- with accounts: a member is refused, an admin's session works -----------------------


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("dashboard-auth")
    env = _library(tmp, AUTH="on")
    for name, role in (("alice", "admin"), ("bob", "member")):
        done = mediashelf(
            {**env, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            "user", "add", name, "--role", role, "--password-stdin",
            stdin=f"{name}'s long password",
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    with served(env, tmp) as base:
        yield base


def _logged_in(browser: Any, base: str, name: str) -> Any:
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    login = {"username": name, "password": f"{name}'s long password"}
    assert context.request.post(f"{base}/api/v1/auth/login", data=login).ok
    return context


def test_a_member_is_not_shown_the_dashboard(browser: Any, accounts: str) -> None:
    context = _logged_in(browser, accounts, "bob")
    page = context.new_page()
    response = page.goto(f"{accounts}/admin")
    # The route refuses non-admins before any of the dashboard is sent: a page that says so.
    assert response.status == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "not for your account" in page.text_content("body")
    assert page.query_selector("#dashboard") is None
    context.close()

    anonymous = browser.new_page()
    anonymous.goto(f"{accounts}/admin")
    assert anonymous.url == f"{accounts}/login?next=/admin"
    anonymous.close()


def test_an_admins_session_uses_the_dashboard(browser: Any, accounts: str) -> None:
    context = _logged_in(browser, accounts, "alice")
    page = context.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto(f"{accounts}/admin")
    until(page, "() => document.getElementById('pause-toggle')?.dataset.paused === 'false'")
    assert page.text_content("#account .user") == "alice"
    assert page.is_visible("header nav a[href='/admin']")
    page.click("#pause-toggle")  # a POST with the session's CSRF token
    until(page, "() => document.getElementById('pause-toggle').dataset.paused === 'true'")
    page.click("#pause-toggle")
    until(page, "() => document.getElementById('pause-toggle').dataset.paused === 'false'")
    assert violations(page) == []
    context.close()

"""Debian's Chromium through Playwright, for the tests that look at pages."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="no Chromium at /usr/bin/chromium"
)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (`playwright install` cannot download one here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def until(page: Any, js: str, timeout: float = 60) -> None:
    """Poll `js` (a function's source) until it returns true. Playwright's own
    wait_for_function evaluates strings with eval, which the pages' CSP forbids. A
    page that navigates while asked is asked again."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(js):
                return
        except Error:
            pass
        assert time.monotonic() < deadline, f"timed out waiting for {js}"
        time.sleep(0.1)


# Scripts for `page.add_init_script`: what the tests of every page check afterwards.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""
RECORD_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (!e.hadRecentInput) window.__shifts.push(e.value);
  }
}).observe({type: 'layout-shift', buffered: true});
"""
RECORD = RECORD_VIOLATIONS + RECORD_SHIFTS


def violations(page: Any) -> list[str]:
    """The page's CSP violations since RECORD_VIOLATIONS ran."""
    return list(page.evaluate("() => window.__csp || []"))

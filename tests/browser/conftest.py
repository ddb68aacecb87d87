"""Browser harness: the real app in a subprocess on a free port, driven by Playwright in Debian's Chromium.

Each tab's test opens its tab, runs its main action and checks what rendered; screenshots land in
tests/browser/screenshots/ (and in assets/ when PLAYGROUND_UPDATE_SCREENSHOTS=1, for the README).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bench.server import CHROMIUM_ARGS, ROOT, launch_app, stop_app, wait_until_up

SHOTS = Path(__file__).parent / "screenshots"
# Every wait is for something the page shows; this bound only stops a test that would otherwise hang
# (a first model conversion on a busy 2-core machine legitimately takes minutes).
HANG_GUARD_MS = int(os.environ.get("PLAYGROUND_TEST_HANG_GUARD_MS", 900_000))


@pytest.fixture(scope="session")
def app_url():
    SHOTS.mkdir(exist_ok=True)
    process, url = launch_app(log_path=SHOTS / "app.log")
    try:
        wait_until_up(url, process)
        yield url
    finally:
        stop_app(process)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: `make test` installs it (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.failed_call = report.failed


@pytest.fixture
def page(browser, app_url, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(HANG_GUARD_MS)  # clicks wait for a busy page as long as any other wait
    page = context.new_page()
    page.console_errors = []
    page.on("pageerror", lambda err: page.console_errors.append(str(err)))
    page.goto(app_url)
    page.wait_for_selector("#tab-quant-button, button[role=tab]", timeout=HANG_GUARD_MS)
    yield page
    if getattr(request.node, "failed_call", False):  # what the page showed when the test failed
        page.screenshot(path=str(SHOTS / f"FAILED-{request.node.name[:80]}.png"), full_page=True)
        (SHOTS / f"FAILED-{request.node.name[:80]}.txt").write_text(page.evaluate("() => document.body.innerText"))
    context.close()


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def choose(page, elem_id: str, option: str) -> None:
    """Picks `option` in the dropdown `#elem_id` as a user does (open it, click the option), then waits until the
    dropdown shows it: typing and pressing Enter races the option list's filtering on a busy machine."""
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_function("([id, value]) => document.querySelector(`#${id} input`)?.value === value",
                           arg=[elem_id, option], timeout=HANG_GUARD_MS, polling=100)


def assert_no_error(page) -> None:
    """No Gradio error toast and no uncaught page error."""
    toasts = page.locator(".toast-body.error")
    assert toasts.count() == 0, f"error toast shown: {toasts.first.inner_text()}"
    assert not page.console_errors, page.console_errors


def error_toast_text(page, timeout: float = HANG_GUARD_MS) -> str:
    """Waits for a Gradio error toast and returns its text (for bad-input tests)."""
    toast = page.locator(".toast-body.error").first
    toast.wait_for(timeout=timeout)
    return toast.inner_text()


def plots_rendered(page, container: str = "body") -> int:
    """Number of plotly figures drawn inside `container`."""
    return page.locator(f"{container} .js-plotly-plot").count()


def screenshot(page, name: str, full_page: bool = True) -> Path:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if os.environ.get("PLAYGROUND_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(path, ROOT / "assets" / f"screenshot-{name}.png")
    return path

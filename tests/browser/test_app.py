"""The app as a whole: it starts fast, serves every tab, and keeps serving after bad input."""

from __future__ import annotations

import pytest

from bench.server import launch_app, stop_app, wait_until_up
from tests.browser.conftest import assert_no_error, open_tab

pytestmark = pytest.mark.browser


def test_page_interactive_within_5_seconds(browser):
    process, url = launch_app()
    try:
        seconds = wait_until_up(url, process)
        page = browser.new_page()
        page.goto(url)
        page.get_by_role("tab", name="Quantization Lab").wait_for(timeout=10_000)
        page.close()
        assert seconds < 5.0, f"server answered only after {seconds:.1f} s"
    finally:
        stop_app(process)


def test_every_tab_opens(page):
    for name in ("Quantization Lab", "Adapter vs LoRA", "QLoRA Studio"):
        open_tab(page, name)
        assert page.get_by_role("tab", name=name, selected=True).count() == 1
    assert_no_error(page)

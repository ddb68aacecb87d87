"""The app as a whole: it starts fast, serves every tab, and keeps serving after bad input."""

from __future__ import annotations

import pytest

from bench.server import launch_app, stop_app, wait_until_up
from tests.browser.conftest import assert_no_error, open_tab

pytestmark = pytest.mark.browser


def test_a_fresh_server_serves_an_interactive_page(browser):
    """How fast it starts is measured by `python -m bench startup`, not asserted here (a loaded machine would
    make a time limit flaky)."""
    process, url = launch_app()
    try:
        wait_until_up(url, process)
        page = browser.new_page()
        page.goto(url)
        page.get_by_role("tab", name="Quantization Lab").wait_for()
        assert page.get_by_role("tab", name="QLoRA Studio").count() == 1
        page.close()
    finally:
        stop_app(process)


def test_every_tab_opens(page):
    for name in ("Quantization Lab", "Adapter vs LoRA", "QLoRA Studio"):
        open_tab(page, name)
        assert page.get_by_role("tab", name=name, selected=True).count() == 1
    assert_no_error(page)

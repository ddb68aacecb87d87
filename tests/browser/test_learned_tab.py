"""What it learned in a real browser: a tiny run trained in the Studio tab, then analyzed (heat map, spectrum, table),
its rank explored on the held-out loss, and its merge checked."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import HANG_GUARD_MS, assert_no_error, open_tab, plots_rendered, screenshot
from tests.browser.test_studio_tab import use_tiny_model, wait_for_text

pytestmark = pytest.mark.browser

SHOW_TOP = "(selector) => document.querySelector(selector).scrollIntoView({behavior: 'instant', block: 'start'})"


def test_analyze_explore_the_rank_and_check_the_merge(page):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_tab(page, "QLoRA Studio")
    use_tiny_model(page, steps="6", eval_every="0")  # the quick preset's rank 8 on every projection
    page.locator("#studio-start").click()
    wait_for_text(page, "#studio-progress", r"saved as run1")

    open_tab(page, "What it learned")
    page.wait_for_function("() => /^run1 · /.test(document.querySelector('#learned-run input')?.value ?? '')",
                           timeout=HANG_GUARD_MS, polling=200)  # the picker refreshed when the tab opened
    page.locator("#learned-analyze").click()
    wait_for_text(page, "#learned-summary", r"Rank r = 8, α = 16, scale α/r = 2")
    assert "14 modules over 2 layers" in page.locator("#learned-summary").inner_text()
    page.locator("#learned-heatmap .js-plotly-plot").wait_for()
    page.locator("#learned-spectrum .js-plotly-plot").wait_for()
    # the heat map: 2 layers × 7 projections, every cell a number
    cells = page.evaluate("() => document.querySelector('#learned-heatmap .js-plotly-plot').data[0].z")
    assert len(cells) == 2 and all(len(row) == 7 and all(value > 0 for value in row) for row in cells)
    wait_for_text(page, "#learned-table", r"gate_proj")
    layer = page.locator("#learned-layer input").input_value()
    projection = page.locator("#learned-projection input").input_value()
    assert layer in ("0", "1") and projection.endswith("_proj")
    wait_for_text(page, "#learned-summary", re.escape(f"layer {layer} {projection}"))  # the one that moved most
    assert_no_error(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "learned")

    page.locator("#learned-explore").click()
    wait_for_text(page, "#learned-sweep", r"forward passes over \d+ held-out examples")
    assert f"Layer {layer} {projection}:" in page.locator("#learned-sweep").inner_text()
    page.locator("#learned-rank-plot .js-plotly-plot").wait_for()
    ks = page.evaluate("() => document.querySelector('#learned-rank-plot .js-plotly-plot').data[0].x")
    assert list(ks) == list(range(9))
    wait_for_text(page, "#learned-rank-table", r"rel\. Frobenius error")
    page.locator("#learned-merge").click()
    wait_for_text(page, "#learned-merge-result", r"max \|Δlogit\| = [\d.]+e-\d+")
    merge = page.locator("#learned-merge-result").inner_text()
    assert "✓ within the tolerance 5e-04" in merge
    assert float(re.search(r"max \|Δlogit\| = ([\d.e+-]+)", merge).group(1)) <= 5e-4
    assert plots_rendered(page, "#tab-learned") == 3
    assert_no_error(page)
    page.evaluate(SHOW_TOP, "#learned-explorer-intro")
    screenshot(page, "rank-explorer", full_page=False)

"""The Runs tab in a real browser: the rank experiment on the tiny model fills the comparison (three runs overlaid,
the settings that differ), then a run resumed appears as a new run."""

from __future__ import annotations

import pytest

from playground import models
from playground.i18n import t
from tests.browser.conftest import HANG_GUARD_MS, assert_no_error, choose, open_tab, screenshot
from tests.browser.test_studio_tab import set_number, wait_for_text

pytestmark = pytest.mark.browser

TRACES_JS = "() => document.querySelector('#runs-plot .js-plotly-plot')?.data?.map(trace => trace.name) ?? []"


def test_the_rank_experiment_overlays_three_runs_and_a_resumed_run_appears(page):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_tab(page, "Runs")
    wait_for_text(page, "#runs-experiment-info", r"What to look for")
    choose(page, "runs-model", t("studio.model_choice.tiny", model_id=models.TINY_ID))
    choose(page, "runs-dataset", "sentiment")
    set_number(page, "runs-steps", "6")
    wait_for_text(page, "#runs-experiment-info", r"Its runs: r=2, r=8, r=32 \(6 steps each\)")
    page.locator("#runs-run-grid").click()
    wait_for_text(page, "#runs-progress", r"run \d/3 \(r=\d+\)|r=\d+")  # the progress names the variant
    wait_for_text(page, "#runs-progress", r"experiment finished: run1, run2, run3")
    page.wait_for_function(f"() => ({TRACES_JS})().length === 6", timeout=HANG_GUARD_MS, polling=200)
    assert page.evaluate(TRACES_JS) == ["run1 · r=2 train", "run1 · r=2 held-out", "run2 · r=8 train",
                                        "run2 · r=8 held-out", "run3 · r=32 train", "run3 · r=32 held-out"]
    diff = page.locator("#runs-diff").inner_text()
    assert "rank" in diff and "alpha" in diff and "32" in diff and "64" in diff
    assert "2 setting(s) differ between run1, run2, run3." in page.locator("#runs-diff-note").inner_text()
    table = page.locator("#runs-table").inner_text()
    assert "r=32 (experiment exp1, 3/3)" in table
    selected = page.locator("#runs-select input[type=checkbox]:checked")
    assert selected.count() == 3
    assert "exact-answer rate: 4-bit + LoRA" in page.locator("#runs-metrics").inner_text()
    assert_no_error(page)
    page.locator("#tabs").scroll_into_view_if_needed()
    screenshot(page, "runs")

    page.locator("#runs-log label").click()  # the log-scale toggle redraws the overlay
    page.wait_for_function("() => document.querySelector('#runs-plot .js-plotly-plot')?.layout?.yaxis?.type === 'log'",
                           timeout=HANG_GUARD_MS, polling=200)

    assert page.locator("#runs-resume-run input").input_value().startswith("run3 · ")  # the latest run
    set_number(page, "runs-resume-steps", "2")
    page.locator("#runs-resume").click()
    wait_for_text(page, "#runs-resume-progress", r"saved as run4")
    wait_for_text(page, "#runs-table", r"resumed from run3")
    page.wait_for_function(f"() => ({TRACES_JS})().length === 4", timeout=HANG_GUARD_MS, polling=200)
    assert page.evaluate(TRACES_JS)[2] == "run4 · r=32 train"
    assert "steps" in page.locator("#runs-diff").inner_text()
    assert_no_error(page)

"""Adapter vs LoRA in the browser: drawing and counts on load, bad input as messages, a latency run, Stop."""

from __future__ import annotations

import pytest

from tests.browser.conftest import assert_no_error, error_toast_text, open_tab, plots_rendered, screenshot

pytestmark = pytest.mark.browser

TAB = "Adapter vs LoRA"


def set_number(page, elem_id: str, value) -> None:
    field = page.locator(f"#{elem_id} input[type=number]").first
    field.fill(str(value))
    field.press("Enter")


def choose_model(page, model_id: str) -> None:
    field = page.locator("#adapters-model input").first
    field.click()
    field.fill(model_id)
    field.press("Enter")


def wait_for_text(page, elem_id: str, text: str, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "([id, text]) => (document.getElementById(id)?.innerText || '').includes(text)", arg=[elem_id, text],
        timeout=timeout,
    )


def wait_for_counts(page, text: str, timeout: float = 30_000) -> None:
    wait_for_text(page, "adapters-params", text, timeout)


def test_main_view_draws_and_counts(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)", timeout=60_000)
    page.wait_for_function(
        "document.querySelectorAll('#adapters-paths .js-plotly-plot, #adapters-sweep .js-plotly-plot').length == 2",
        timeout=30_000,
    )
    paths = page.locator("#adapters-paths").inner_text()
    for shape in ("down  W: (36, 576) + b: (36)", "A  (8, 576)", "B  (576, 8)", "merged: W = W0 + (α/r)·B·A"):
        assert shape in paths, shape
    params = page.locator("#adapters-params").inner_text()
    assert "460800" in params.replace(",", "")  # LoRA on q, v at r = 8: 57,600 · 8
    page.locator("#adapters-targets").get_by_label("down").check()
    wait_for_counts(page, "8·(1536+576)")
    assert "967680" in page.locator("#adapters-params").inner_text().replace(",", "")  # + 30 · 8 · (1536 + 576)
    assert_no_error(page)
    screenshot(page, "adapters")


@pytest.mark.parametrize(
    "elem_id, value, message",
    [
        ("adapters-rank", 0, "LoRA rank must be a whole number of at least 1, got 0"),
        ("adapters-rank", 1000, "r must be at most min(d_in, d_out)"),
        ("adapters-bottleneck", 600, "bottleneck 600 is larger than d_model = 576"),
        ("adapters-alpha", -1, "LoRA alpha must be greater than 0"),
    ],
)
def test_bad_input_shows_a_message_and_the_app_stays_up(page, elem_id, value, message):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)", timeout=60_000)
    set_number(page, elem_id, value)
    assert message in error_toast_text(page)
    assert "Traceback" not in page.content()
    good = {"adapters-rank": 4, "adapters-bottleneck": 36, "adapters-alpha": 16}
    set_number(page, elem_id, good[elem_id])
    page.wait_for_timeout(500)
    set_number(page, "adapters-rank", 4)
    wait_for_counts(page, "4·(576+576)", timeout=60_000)


def test_no_target_module_is_a_message(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)", timeout=60_000)
    targets = page.locator("#adapters-targets")
    targets.get_by_label("q", exact=True).uncheck()
    targets.get_by_label("v", exact=True).uncheck()
    assert "Choose at least one LoRA target module" in error_toast_text(page)


def run_latency(page, budget: int, timeout: float) -> None:
    set_number(page, "adapters-budget", budget)
    page.locator("#adapters-measure").click()
    wait_for_text(page, "adapters-status", "Done in", timeout)
    page.wait_for_function(
        "document.querySelectorAll('#adapters-latency-plot .js-plotly-plot').length == 1", timeout=15_000
    )


def test_latency_run_on_the_tiny_model(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)", timeout=60_000)
    choose_model(page, "tiny/llama")
    wait_for_counts(page, "8·(64+64)")
    run_latency(page, 5, timeout=60_000)
    checks = page.locator("#adapters-checks").inner_text()
    assert checks.count("yes") == 3 and "NO" not in checks
    table = page.locator("#adapters-latency-table").inner_text()
    assert table.count("base + LoRA (merged)") == 4  # 2 batch sizes × 2 sequence lengths
    assert_no_error(page)


def test_latency_run_on_the_real_model(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)", timeout=60_000)
    run_latency(page, 20, timeout=120_000)
    checks = page.locator("#adapters-checks").inner_text()
    assert checks.count("yes") == 3
    table = page.locator("#adapters-latency-table").inner_text()
    assert table.count("base + adapters") == 4
    assert plots_rendered(page, "#adapters-latency-plot") == 1
    assert_no_error(page)
    page.locator("#adapters-latency-plot").scroll_into_view_if_needed()
    screenshot(page, "adapters-latency")


def test_stop_cancels_the_run_and_quick_actions_stay_free(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)", timeout=60_000)
    set_number(page, "adapters-budget", 60)
    page.locator("#adapters-measure").click()
    wait_for_text(page, "adapters-status", "measuring", 60_000)
    set_number(page, "adapters-rank", 2)  # a quick action while the long one runs
    wait_for_counts(page, "2·(576+576)", timeout=15_000)
    page.locator("#adapters-stop").click()
    wait_for_text(page, "adapters-status", "Stopped.", 10_000)
    page.wait_for_timeout(3_000)
    assert "Done in" not in page.locator("#adapters-status").inner_text()
    assert_no_error(page)

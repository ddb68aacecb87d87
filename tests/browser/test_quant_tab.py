"""Quantization Lab in a real browser: every source, every scheme, the notes' examples with their formulas,
the whole-model view, bad input (one message, figures kept)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import HANG_GUARD_MS, assert_no_error, error_toast_text, open_tab, plots_rendered, screenshot

pytestmark = pytest.mark.browser

MAIN_PLOTS = ["#quant-histogram", "#quant-transfer", "#quant-error-histogram", "#quant-error-vs-value",
              "#quant-code-usage"]


def wait_for_summary(page, pattern: str, timeout: float = HANG_GUARD_MS) -> None:
    page.wait_for_function(
        "([selector, pattern]) => new RegExp(pattern).test(document.querySelector(selector)?.innerText ?? '')",
        arg=["#quant-summary", pattern],
        timeout=timeout,
    )


def wait_for_plots(page, timeout: float = HANG_GUARD_MS) -> None:
    for selector in MAIN_PLOTS:
        page.locator(f"{selector} .js-plotly-plot").first.wait_for(timeout=timeout)


def choose(page, container: str, label: str) -> None:
    page.locator(container).get_by_text(label, exact=True).click()


def run(page) -> None:
    page.locator("#quant-run").click()


def test_defaults_run_on_page_load_with_every_scheme(page):
    open_tab(page, "Quantization Lab")
    wait_for_summary(page, r"65,536 values")
    wait_for_plots(page)
    metrics = page.locator("#quant-metrics").inner_text()
    for scheme in ("absmax int4", "zero-point int4", "NF4", "FP4"):
        assert scheme in metrics
    assert "4.5" in metrics
    assert plots_rendered(page, "#quant-plots") == 5
    assert "4 + 32/64 = 4.5" in metrics and "4 + 64/64 = 5" in metrics  # bits/param = codes + constants
    formulas = page.locator("#quant-formulas").inner_text()
    assert "c = 7 / absmax" in formulas and "nearest of the 16 NF4 levels" in formulas and "(the widest)" in formulas
    assert not page.locator("#quant-outlier-fraction").is_visible()  # outlier fields only for normal+outliers
    page.locator("#quant-derivation").get_by_text("Where NF4's 16 levels come from").click()
    page.locator("#quant-nf4-derivation .js-plotly-plot").wait_for(timeout=HANG_GUARD_MS)
    assert_no_error(page)


def pick_example(page, label: str) -> None:
    page.locator("#quant-examples input").click()
    page.get_by_role("option", name=label).click()


def test_an_example_from_the_notes_sets_the_form_and_shows_its_formulas(page):
    page.set_viewport_size({"width": 1400, "height": 900})
    open_tab(page, "Quantization Lab")
    wait_for_summary(page, r"65,536 values")
    pick_example(page, "absmax and zero-point on one small vector (int8)")
    wait_for_summary(page, r"\b8 values")
    assert page.locator("#quant-numbers textarea").input_value() == "1.2, -0.5, -4.3, 1.2, -3.1, 0.8, 2.4, 5.4"
    formulas = page.locator("#quant-formulas")
    formulas.get_by_text("zp = round(−c·min) − 128 = round(113.041) − 128 = −15").wait_for(timeout=HANG_GUARD_MS)
    text = formulas.inner_text()
    assert "c = 127 / absmax = 127 / 5.4 = 23.5185" in text and "round(23.5185 · 1.2) = round(28.2222) = 28" in text
    assert "c = 255 / (max − min) = 255 / (5.4 − (−4.3)) = 26.2887" in text
    steps = page.locator("#quant-steps").inner_text()
    assert "absmax = 5.4" in steps and "c = 26.2887" in steps and "-101" in steps
    assert "8 + 32/8 = 12" in page.locator("#quant-metrics").inner_text()
    assert "Ask the room" in page.locator("#quant-example-note").inner_text()
    page.locator("#quant-code").get_by_text("Show the code").click()
    assert "x = torch.tensor([1.2, -0.5, -4.3, 1.2, -3.1, 0.8, 2.4, 5.4])" in page.locator("#quant-snippet").inner_text()
    assert_no_error(page)
    page.locator("#quant-code").get_by_text("Show the code").click()  # closed again: the screenshot shows the lab
    page.locator("#quant-example-note").evaluate("element => element.scrollIntoView({block: 'start'})")
    screenshot(page, "quant", full_page=False)  # 1400×900: the example, its tables and the formulas

    pick_example(page, "Double quantization: 4.5 → 4.127 bits")
    wait_for_summary(page, r"65,536 values")
    formulas.get_by_text("4 + 8/64 + 32/(64·256) = 4.127").first.wait_for(timeout=HANG_GUARD_MS)
    assert page.locator("#quant-double-quant input").is_checked()
    assert_no_error(page)


def test_synthetic_outliers_double_quant_and_one_block(page):
    open_tab(page, "Quantization Lab")
    wait_for_summary(page, r"65,536 values")
    page.locator("#quant-distribution input").fill("normal+outliers")
    page.keyboard.press("Enter")
    page.locator("#quant-size input").fill("1048576")
    page.locator("#quant-double-quant input").check()
    page.locator("#quant-block input").fill("3")
    run(page)
    wait_for_summary(page, r"1,048,576 values")
    assert page.locator("#quant-outlier-fraction").is_visible()
    metrics = page.locator("#quant-metrics").inner_text()
    assert "NF4 + DQ" in metrics and "FP4 + DQ" in metrics and "4.126953125" in metrics
    assert "block 3" in page.locator("#quant-histogram").inner_text()
    assert "block 3, its first value" in page.locator("#quant-formulas").inner_text()
    assert_no_error(page)


def test_the_fixed_block_formats_beside_nf4_in_every_view(page):
    """GGUF Q4_0 / Q8_0, MXFP4 and NVFP4 chosen beside NF4: every plot drawn, their exact bits per parameter, their
    formulas with the shown block's numbers."""
    open_tab(page, "Quantization Lab")
    wait_for_summary(page, r"65,536 values")
    wait_for_plots(page)
    for label in ("absmax (symmetric)", "zero-point (asymmetric)", "FP4"):
        choose(page, "#quant-schemes", label)  # off
    for label in ("GGUF Q4_0 (llama.cpp)", "GGUF Q8_0 (llama.cpp)", "MXFP4 (OCP microscaling, gpt-oss)", "NVFP4 (NVIDIA)"):
        choose(page, "#quant-schemes", label)  # on
    run(page)
    page.wait_for_function("() => /MXFP4/.test(document.querySelector('#quant-metrics')?.innerText ?? '')",
                           timeout=HANG_GUARD_MS, polling=200)
    metrics = page.locator("#quant-metrics").inner_text()
    for row in ("NF4", "Q4_0", "Q8_0", "MXFP4", "NVFP4"):
        assert row in metrics
    for bits in ("4 + 16/32 = 4.5", "8 + 16/32 = 8.5", "4 + 8/32 = 4.25", "4 + 8/16"):
        assert bits in metrics, bits
    assert "absmax int4" not in metrics
    wait_for_plots(page)
    assert plots_rendered(page, "#quant-plots") == 5
    formulas = page.locator("#quant-formulas").inner_text()
    assert "E8M0" in formulas and "E4M3" in formulas and "trunc(x / d + 8.5)" in formulas
    assert page.locator("#quant-fixed-note").is_visible()  # the fixed formats ignore bits, block size and DQ
    assert_no_error(page)
    page.locator("#quant-metrics").scroll_into_view_if_needed()
    screenshot(page, "quant-formats", full_page=False)


def test_typed_numbers_show_the_steps(page):
    open_tab(page, "Quantization Lab")
    wait_for_summary(page, r"65,536 values")
    choose(page, "#quant-source", "Numbers I type")
    page.locator("#quant-numbers textarea").fill("0.5, -1.2, 3.1, 0, 2.7")
    choose(page, "#quant-granularity", "Per tensor")
    run(page)
    wait_for_summary(page, r"\b5 values")
    steps = page.locator("#quant-steps").inner_text()
    assert "absmax int4" in steps and "NF4" in steps and "3.1" in steps
    wait_for_plots(page)
    assert_no_error(page)


def test_weights_of_the_bundled_model(page):
    open_tab(page, "Quantization Lab")
    wait_for_summary(page, r"65,536 values")
    choose(page, "#quant-source", "A weight matrix of the model")
    page.wait_for_function(
        "() => (document.querySelector('#quant-layer input')?.value ?? '').includes('q_proj')", timeout=HANG_GUARD_MS
    )
    run(page)
    wait_for_summary(page, r"576×576")
    wait_for_plots(page)
    assert "NF4" in page.locator("#quant-metrics").inner_text()
    assert_no_error(page)


def test_whole_model_view(page):
    open_tab(page, "Quantization Lab")
    wait_for_summary(page, r"65,536 values")
    page.locator("#quant-run-model").click()
    page.locator("#quant-layer-errors .js-plotly-plot").wait_for(timeout=HANG_GUARD_MS)
    memory = page.locator("#quant-memory").inner_text()
    assert "NF4 + double quantization" in memory and "538.06" in memory  # fp32 MB of SmolLM2-135M
    assert "fp32 (Q4_1 GGUF, dequantized)" in memory  # what the "full precision" weights are
    assert "Q4_1's 4-bit rounding" in page.locator("#quant-model-origin").inner_text()
    summary = page.locator("#quant-layer-summary").inner_text()
    assert "NF4" in summary and "absmax int4" in summary
    assert "210 layers" in page.locator("#quant-layer-errors").inner_text()
    assert_no_error(page)
    page.locator("#quant-model-view").first.scroll_into_view_if_needed()
    screenshot(page, "quant-model")


def test_bad_input_shows_one_message_and_the_figures_stay(page):
    open_tab(page, "Quantization Lab")
    wait_for_summary(page, r"65,536 values")
    wait_for_plots(page)
    page.locator("#quant-size input").fill("10")
    run(page)
    wait_for_summary(page, "size must be a whole number from 16 to 4194304, got 10")
    assert page.locator(".toast-body.error").count() == 0  # one message, in the summary: no toast besides it
    assert plots_rendered(page, "#quant-plots") == 5  # the last good figures stay, no "Error" badge on each
    assert "65,536" not in page.locator("#quant-summary").inner_text()
    assert "absmax int4" in page.locator("#quant-metrics").inner_text()
    choose(page, "#quant-source", "Numbers I type")
    page.locator("#quant-numbers textarea").fill("1, 2, abc")
    run(page)
    wait_for_summary(page, "'abc' is not a number")
    page.locator("#quant-numbers textarea").fill("1, 2, 3, 4, 5, 6, 7")
    run(page)
    wait_for_summary(page, r"\b7 values")
    assert re.search(r"NF4", page.locator("#quant-metrics").inner_text())
    assert_no_error(page)

"""QLoRA Studio in a real browser: a quick fine-tune of the tiny model, the compare view, the download."""

from __future__ import annotations

import re
import zipfile

import pytest

from tests.browser.conftest import HANG_GUARD_MS, assert_no_error, error_toast_text, open_tab, plots_rendered, screenshot

pytestmark = pytest.mark.browser


def wait_for_text(page, selector: str, pattern: str, timeout: float = HANG_GUARD_MS) -> None:
    page.wait_for_function(
        "([selector, pattern]) => new RegExp(pattern).test(document.querySelector(selector)?.innerText ?? '')",
        arg=[selector, pattern],
        timeout=timeout,
    )


def set_number(page, elem_id: str, value: str) -> None:
    field = page.locator(f"#{elem_id} input").first
    field.fill(value)
    field.press("Tab")


def use_tiny_model(page) -> None:
    model = page.locator("#studio-model input")
    model.fill("tiny/llama")
    model.press("Enter")
    dataset = page.locator("#studio-dataset input")
    dataset.fill("sentiment")
    dataset.press("Enter")
    set_number(page, "studio-steps", "4")
    set_number(page, "studio-eval-every", "2")
    set_number(page, "studio-lr", "0.05")
    wait_for_text(page, "#studio-estimate", r"trainable LoRA parameters")


def test_quick_finetune_compare_and_download(page, tmp_path):
    open_tab(page, "QLoRA Studio")
    wait_for_text(page, "#studio-estimate", r"2,442,240 trainable LoRA parameters")
    use_tiny_model(page)
    page.locator("#studio-start").click()
    wait_for_text(page, "#studio-progress", r"saved as run1")
    assert plots_rendered(page, "#studio-loss") == 1
    # the summary is a CodeMirror view: it renders only the lines inside the window, as a reader scrolls to it
    page.locator("#studio-summary").scroll_into_view_if_needed()
    wait_for_text(page, "#studio-summary", r'"steps_done": 4')

    page.locator("#studio-prompt textarea").fill("Say hello.")
    set_number(page, "studio-max-new-tokens", "8")  # the tiny model's weights are random: keep its babble short
    page.locator("#studio-compare").click()
    wait_for_text(page, "#studio-answers", r"Say hello\.")
    answers = page.locator("#studio-answers").inner_text()
    assert "full precision" in answers and "4-bit + LoRA" in answers
    wait_for_text(page, "#studio-metrics", r"exact-answer rate")
    assert "held-out loss" in page.locator("#studio-metrics").inner_text()

    page.locator("#studio-export").click()
    link = page.locator("#studio-download a").first
    link.wait_for(timeout=HANG_GUARD_MS)
    with page.expect_download() as download_info:
        link.click()
    saved = tmp_path / "adapter.zip"
    download_info.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert "run1-adapter/adapter_model.safetensors" in archive.namelist()
    assert_no_error(page)
    page.locator("#studio-loss").scroll_into_view_if_needed()
    screenshot(page, "studio")


def test_bad_settings_show_a_message_and_the_app_stays_up(page):
    open_tab(page, "QLoRA Studio")
    wait_for_text(page, "#studio-estimate", r"trainable LoRA parameters")
    set_number(page, "studio-lr", "0")
    wait_for_text(page, "#studio-estimate", r"learning_rate must be in \(0, 1\]")
    page.locator("#studio-start").click()
    assert "learning_rate must be in (0, 1]" in error_toast_text(page)
    set_number(page, "studio-lr", "0.001")
    wait_for_text(page, "#studio-estimate", r"trainable LoRA parameters")
    assert not page.console_errors


def test_activation_setting_changes_the_estimate(page):
    open_tab(page, "QLoRA Studio")
    wait_for_text(page, "#studio-estimate", r"activations recomputed in backward \(gradient checkpointing\)")
    page.locator("#studio-checkpointing label", has_text="keep when they fit (fastest)").click()
    wait_for_text(page, "#studio-estimate", r"activations kept for backward \(fastest\)")
    page.locator("#studio-checkpointing").scroll_into_view_if_needed()
    screenshot(page, "studio-activations")
    assert_no_error(page)


def test_a_reload_restores_the_sessions_runs(page):
    open_tab(page, "QLoRA Studio")
    use_tiny_model(page)
    page.locator("#studio-start").click()
    wait_for_text(page, "#studio-progress", r"saved as run1")
    page.reload()  # the browser keeps the session's owner token
    open_tab(page, "QLoRA Studio")
    wait_for_text(page, "#studio-progress", r"Welcome back: this session's 1 run\(s\)")
    assert re.match(r"run1 · [\w-]+ · 4 steps · r=8", page.locator("#studio-run input").input_value())
    page.locator("#studio-loss .js-plotly-plot").wait_for()  # the restored curve (drawn once the figure arrives)
    assert plots_rendered(page, "#studio-loss") == 1
    page.locator("#studio-summary").scroll_into_view_if_needed()
    wait_for_text(page, "#studio-summary", r'"steps_done": 4')
    page.locator("#studio-export").click()
    page.locator("#studio-download a").first.wait_for()  # its download still works after the reload
    assert_no_error(page)

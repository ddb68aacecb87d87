"""QLoRA Studio in a real browser: a quick fine-tune of the tiny model, the compare view, the download."""

from __future__ import annotations

import re
import zipfile

import pytest

from tests.browser.conftest import HANG_GUARD_MS, assert_no_error, choose, error_toast_text, open_tab, plots_rendered, screenshot

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


IN_VIEW_JS = """(selector) => {
    const box = document.querySelector(selector)?.getBoundingClientRect();
    return !!box && box.height > 0 && box.top >= -2 && box.bottom <= window.innerHeight + 2;  // sub-pixel scroll offsets
}"""


def wait_in_view(page, selector: str) -> None:
    """Wait until the element's bounding box lies inside the viewport (a smooth scroll takes a moment)."""
    page.wait_for_function(IN_VIEW_JS, arg=selector, timeout=HANG_GUARD_MS)


def use_tiny_model(page, steps: str = "4", eval_every: str = "2") -> None:
    model = page.locator("#studio-model input")
    model.fill("tiny/llama")
    model.press("Enter")
    choose(page, "studio-dataset", "sentiment")
    set_number(page, "studio-steps", steps)
    set_number(page, "studio-eval-every", eval_every)
    set_number(page, "studio-lr", "0.05")
    wait_for_text(page, "#studio-estimate", r"trainable LoRA parameters")


def test_quick_finetune_compare_and_download(page, tmp_path):
    page.set_viewport_size({"width": 1400, "height": 900})
    open_tab(page, "QLoRA Studio")
    wait_for_text(page, "#studio-estimate", r"2,442,240 trainable LoRA parameters")
    wait_for_text(page, "#studio-estimate", r"estimated peak of this run: 331 MiB")
    assert page.locator("#studio-quant").get_by_text("Double quantization").is_visible()  # open by default
    use_tiny_model(page)
    page.locator("#studio-start").click()
    # Start sits below the settings: the progress line and the loss curve are scrolled into view
    wait_in_view(page, "#studio-progress")
    wait_in_view(page, "#studio-loss")
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
    assert "random fp32 (tiny)" in answers and "4-bit + LoRA (NF4 + DQ)" in answers
    assert "full precision" not in answers
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
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "studio", full_page=False)  # 1400×900, as a visitor first sees it
    screenshot(page, "studio-full")


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
    use_tiny_model(page, steps="150", eval_every="0")
    page.locator("#studio-start").click()
    wait_for_text(page, "#studio-progress", r"step \d+/150")
    page.reload()  # mid-run: the browser keeps the session's owner token, the run keeps training
    open_tab(page, "QLoRA Studio")
    wait_for_text(page, "#studio-progress", r"step \d+/150|saved as run1")  # followed again, from where it is
    wait_for_text(page, "#studio-progress", r"saved as run1")
    page.locator("#studio-loss .js-plotly-plot").wait_for()
    assert re.match(r"run1 · [\w-]+ · 150 steps · r=8", page.locator("#studio-run input").input_value())
    page.locator("#studio-prompt textarea").fill("Say hello.")
    set_number(page, "studio-max-new-tokens", "8")
    page.locator("#studio-compare").click()
    wait_for_text(page, "#studio-metrics", r"exact-answer rate")
    answers = page.locator("#studio-answers").inner_text()

    page.reload()  # after the run: the runs, the curve, the summary and the last compare come back
    open_tab(page, "QLoRA Studio")
    wait_for_text(page, "#studio-progress", r"Welcome back: this session's 1 run\(s\)")
    assert re.match(r"run1 · [\w-]+ · 150 steps · r=8", page.locator("#studio-run input").input_value())
    wait_for_text(page, "#studio-answers", r"Say hello\.")
    assert page.locator("#studio-answers").inner_text() == answers
    wait_for_text(page, "#studio-metrics", r"exact-answer rate")
    page.locator("#studio-loss .js-plotly-plot").wait_for()  # the restored curve (drawn once the figure arrives)
    assert plots_rendered(page, "#studio-loss") == 1
    page.locator("#studio-summary").scroll_into_view_if_needed()
    wait_for_text(page, "#studio-summary", r'"steps_done": 150')
    page.locator("#studio-export").click()
    page.locator("#studio-download a").first.wait_for()  # its download still works after the reload
    assert_no_error(page)


def test_a_preset_too_long_for_the_server_is_marked_and_an_example_sets_the_notes_settings(page):
    open_tab(page, "QLoRA Studio")
    wait_for_text(page, "#studio-preset", r"thorough — too long for this server \(≈[\d,]+ s > [\d,]+ s\)")
    page.locator("#studio-examples").get_by_text("Examples from the notes and the paper").click()
    page.locator("#studio-example-notes-qv-r16").click()
    wait_for_text(page, "#studio-estimate", r"921,600 trainable LoRA parameters")  # 57,600 × 16 on q, v
    page.locator("#studio-code-box").get_by_text("Show the code").click()
    wait_for_text(page, "#studio-code", r"r=16,")
    assert "target_modules=['q_proj', 'v_proj']" in page.locator("#studio-code").inner_text()
    page.locator("#studio-paper-box").get_by_text("Memory arithmetic from the paper").click()
    wait_for_text(page, "#studio-paper", r"783 GB")
    page.locator("#studio-paper-size label", has_text="7B").click()
    wait_for_text(page, "#studio-paper", r"LLaMA 7B")
    page.locator("#studio-paper").scroll_into_view_if_needed()
    screenshot(page, "studio-examples")
    assert_no_error(page)

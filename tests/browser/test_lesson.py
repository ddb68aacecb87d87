"""The lesson panel in a real browser: every step at 1400×900 (its tab, its settings, its figures, a screenshot),
Reset per tab, projector mode across a reload, and the panel in Korean."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from bench.server import ROOT
from playground import lesson
from playground.i18n import CATALOG
from tests.browser.conftest import HANG_GUARD_MS, SHOTS, assert_no_error

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1400, "height": 900}
# What each step's figures show once its settings are in (selector, pattern): the step's own numbers.
SHOWN = {
    "absmax": ("#quant-steps", r"-101"),
    "outliers": ("#quant-summary", r"4,096 values.*\b1 block\(s\) of 4,096"),
    "blockwise": ("#quant-summary", r"64 block\(s\) of 64"),
    "nf4": ("#quant-summary", r"65,536 values.*1,024 block\(s\) of 64"),
    "double-quant": ("#quant-metrics", r"4\.126953125"),
    "adapter": ("#adapters-params", r"2·2·6\+6\+2"),
    "lora": ("#adapters-params", r"16·\(4096\+4096\)"),
    "prompt-tuning": ("#adapters-params", r"20·576"),
    "qlora-run": ("#studio-estimate", r"2,442,240"),
    "qlora-compare": ("#studio-estimate", r"2,442,240"),
}


def wait_for_text(page, selector: str, pattern: str) -> None:
    page.wait_for_function(
        "([selector, pattern]) => new RegExp(pattern, 's').test(document.querySelector(selector)?.innerText ?? '')",
        arg=[selector, pattern], timeout=HANG_GUARD_MS)


def selected_tab(page) -> str:
    return page.eval_on_selector("#tab-quant-button", "button => button.closest('[role=tablist]')"
                                 ".querySelector('[role=tab][aria-selected=true]').dataset.tabId")


def open_lesson(page, app_url: str, query: str = "") -> None:
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{app_url}/?lesson=1{query}")
    page.locator("#lesson-next").wait_for(timeout=HANG_GUARD_MS)
    wait_for_text(page, "#quant-summary", r"65,536")  # the tab's own first run, before any step (any language)


def lesson_screenshot(page, name: str) -> None:
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    if os.environ.get("PLAYGROUND_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(path, ROOT / "assets" / f"{name}.png")


def test_every_step_selects_its_tab_sets_its_settings_and_draws_its_figures(page, app_url):
    assert set(SHOWN) == {step.id for step in lesson.STEPS}
    open_lesson(page, app_url)
    count = len(lesson.STEPS)
    for number, step in enumerate(lesson.STEPS, start=1):
        page.locator("#lesson-next").click()
        wait_for_text(page, "#lesson-counter", rf"Step {number} of {count}\b")
        page.wait_for_function("(tab) => document.querySelector(`#tab-${tab}-button`)?.getAttribute('aria-selected')"
                               " === 'true'", arg=step.tab, timeout=HANG_GUARD_MS)
        assert selected_tab(page) == step.tab
        selector, pattern = SHOWN[step.id]
        wait_for_text(page, selector, pattern)
        assert page.locator("#lesson-answer").is_hidden()
        page.locator("#lesson").evaluate("panel => panel.scrollIntoView()")  # the step's text, then its tab
        lesson_screenshot(page, f"lesson-{number}-{step.id}")
        page.locator("#lesson-show-answer").click()
        page.locator("#lesson-answer").wait_for(state="visible", timeout=HANG_GUARD_MS)
        assert_no_error(page)
    # the first step's settings, checked in the widgets themselves
    page.locator("#lesson-step input").fill(CATALOG["en"][lesson.STEPS[0].title_key])
    page.keyboard.press("Enter")
    wait_for_text(page, "#lesson-counter", rf"Step 1 of {count}\b")
    wait_for_text(page, "#quant-summary", r"\b8 values")
    assert page.locator("#quant-numbers textarea").input_value() == lesson.NOTES_VECTOR
    assert page.locator("#quant-bits input[type=number]").input_value() == "8"
    steps = page.locator("#quant-steps").inner_text()
    for code in ("28", "-12", "-101", "-73", "19", "56", "127"):
        assert re.search(rf"(?<![\d.]){code}(?![\d.])", steps), code
    page.locator("#lesson-next").click()
    wait_for_text(page, "#quant-summary", r"4,096 values")
    page.locator("#lesson-previous").click()
    wait_for_text(page, "#lesson-counter", rf"Step 1 of {count}\b")
    wait_for_text(page, "#quant-summary", r"\b8 values")
    assert_no_error(page)


def test_reset_puts_the_selected_tab_back(page, app_url):
    open_lesson(page, app_url)
    bits = page.locator("#quant-bits input[type=number]")
    bits.fill("6")
    bits.press("Enter")
    page.locator("#quant-source").get_by_text("Numbers I type", exact=True).click()
    page.locator("#lesson-reset").click()
    page.wait_for_function("() => document.querySelector('#quant-bits input[type=number]')?.value === '4'",
                           timeout=HANG_GUARD_MS)
    assert page.locator("#quant-source input[value=synthetic]").is_checked()
    wait_for_text(page, "#quant-summary", r"65,536 values")
    page.locator("#tab-studio-button").click()
    steps = page.locator("#studio-steps input")
    steps.wait_for(timeout=HANG_GUARD_MS)
    quick_steps = steps.input_value()
    steps.fill("5")
    steps.press("Enter")
    page.locator("#lesson-reset").click()
    page.wait_for_function("(value) => document.querySelector('#studio-steps input')?.value === value",
                           arg=quick_steps, timeout=HANG_GUARD_MS)
    assert quick_steps == str(lesson_quick_steps())
    page.locator("#tab-quant-button").click()  # Reset on another tab leaves the Studio as it is
    assert_no_error(page)


def lesson_quick_steps() -> int:
    from playground.finetune import PRESETS

    return PRESETS["quick"]["steps"]


def font_px(page, selector: str) -> float:
    """The font size of the first visible element matching `selector`, in CSS pixels."""
    size = page.locator(f"{selector} >> visible=true").first.evaluate("element => getComputedStyle(element).fontSize")
    return float(size.removesuffix("px"))


def test_projector_mode_makes_the_type_large_and_survives_a_reload(page, app_url):
    open_lesson(page, app_url)
    page.locator("#quant-metrics [role=gridcell] >> visible=true").first.wait_for(timeout=HANG_GUARD_MS)
    page.locator("#quant-histogram .js-plotly-plot .xtick text >> visible=true").first.wait_for(timeout=HANG_GUARD_MS)
    assert font_px(page, "body") < 20
    page.locator("#lesson-projector input").check()
    page.wait_for_function("() => document.body.classList.contains('pg-projector')", timeout=HANG_GUARD_MS)
    assert font_px(page, "body") >= 20
    assert font_px(page, "#lesson-look") >= 20
    assert font_px(page, "#quant-metrics [role=gridcell]") >= 18
    assert font_px(page, "#quant-histogram .js-plotly-plot .xtick text") >= 16
    page.evaluate("() => window.scrollTo(0, 0)")
    lesson_screenshot(page, "lesson-projector")
    page.reload()
    page.locator("#lesson-next").wait_for(timeout=HANG_GUARD_MS)
    page.wait_for_function("() => document.body.classList.contains('pg-projector')", timeout=HANG_GUARD_MS)
    page.wait_for_function("() => document.querySelector('#lesson-projector input')?.checked === true",
                           timeout=HANG_GUARD_MS)
    page.locator("#lesson-projector input").uncheck()
    page.wait_for_function("() => !document.body.classList.contains('pg-projector')", timeout=HANG_GUARD_MS)
    assert page.evaluate("() => localStorage.getItem('peft-playground-projector')") == "0"
    assert_no_error(page)


def test_the_lesson_speaks_korean_and_redraws_on_a_switch(page, app_url):
    open_lesson(page, app_url, "&lang=ko")
    wait_for_text(page, "#lesson-counter", r"다음")
    page.locator("#lesson-next").click()
    wait_for_text(page, "#lesson-counter", rf"{len(lesson.STEPS)}단계 중 1단계")
    wait_for_text(page, "#lesson-look", r"양자화 상수")
    page.locator("#language").get_by_text("English", exact=True).click()
    wait_for_text(page, "#lesson-counter", rf"Step 1 of {len(lesson.STEPS)}\b")
    wait_for_text(page, "#lesson-look", r"quantizes the notes' vector")
    assert_no_error(page)

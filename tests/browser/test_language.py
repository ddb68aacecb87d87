"""Korean and English in the browser: a Korean browser sees every tab in Korean (no English sentence left but
names, formulas and code), a ?lang= link picks the language, the switch keeps what was typed, and the choice
survives a reload."""

from __future__ import annotations

import re

import pytest

from playground.i18n import CATALOG
from tests.browser.conftest import HANG_GUARD_MS, assert_no_error, screenshot

pytestmark = pytest.mark.browser

KO, EN = CATALOG["ko"], CATALOG["en"]
SENTENCE = 3  # this many English words in a row make a sentence
# Names, units and code words that stay English in Korean text, as the study notes keep them
NAMES = {
    "PEFT", "Playground", "LoRA", "QLoRA", "DoRA", "NF4", "FP4", "absmax", "zero-point", "zeropoint", "bitsandbytes",
    "peft", "transformers", "Gradio", "Hugging", "Face", "Hub", "SmolLM", "Llama", "llama", "tiny", "GGUF", "Plotly",
    "safetensors", "rank", "alpha", "dropout", "Houlsby", "Pfeiffer", "rsLoRA", "API", "GPU", "CPU", "CUDA", "MiB",
    "GiB", "KiB", "MB", "GB", "ms", "float", "int", "bfloat", "dtype", "fp", "bf", "min", "max", "std", "mean",
    "softmax", "log", "q", "k", "v", "o", "gate", "up", "down", "lm_head", "AdamW", "SNR", "MSE", "dB", "vs", "x",
    "W", "A", "B", "r", "d", "m", "n", "c", "zp", "e", "of", "Qwen", "GPT", "Mistral", "ZeroGPU", "Spaces", "zip",
    "json", "jsonl", "csv", "instruction", "response", "input", "output", "English",
}
WORD = re.compile(r"^[A-Za-z][A-Za-z'-]*$")


def english_sentences(text: str) -> list[str]:
    """Runs of SENTENCE or more English words (names and code words break a run)."""
    runs, current = [], []
    for token in text.split():
        word = token.strip(".,:;!?()[]{}\"'·…→←=+*/|`%")
        if WORD.match(word) and word not in NAMES and word.lower() not in NAMES:
            current.append(word)
            continue
        if len(current) >= SENTENCE:
            runs.append(" ".join(current))
        current = []
    if len(current) >= SENTENCE:
        runs.append(" ".join(current))
    return runs


def visible_text(page) -> str:
    """What a reader sees: the page's text and the text drawn in its figures."""
    return page.evaluate("""() => document.body.innerText + '\\n' +
        [...document.querySelectorAll('.js-plotly-plot .main-svg text')].map(t => t.textContent).join('\\n')""")


def korean_page(browser, url: str, locale: str = "ko-KR"):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
    context.set_default_timeout(HANG_GUARD_MS)
    page = context.new_page()
    page.console_errors = []
    page.on("pageerror", lambda err: page.console_errors.append(str(err)))
    page.goto(url)
    return page


def wait_for_text(page, text: str) -> None:
    page.wait_for_function("text => document.body.innerText.includes(text)", arg=text, timeout=HANG_GUARD_MS,
                           polling=200)


def open_all_accordions(page) -> None:
    for toggle in page.locator("button.label-wrap:not(.open)").all():
        if toggle.is_visible():
            toggle.click()


def test_a_korean_browser_sees_every_tab_in_korean(browser, app_url):
    page = korean_page(browser, app_url)
    try:
        wait_for_text(page, KO["tab.quant"])
        leftovers = {}
        # each tab once its views are drawn: its tables, and its figures (their titles and axes are read too)
        for tab, ready in (("tab.quant", "document.querySelectorAll('#tab-quant .js-plotly-plot').length >= 4"),
                           ("tab.adapters", "document.querySelectorAll('#tab-adapters .js-plotly-plot').length >= 2 "
                                            "&& document.querySelector('#adapters-params table')"),
                           ("tab.studio", "document.querySelector('#studio-estimate')")):
            page.get_by_role("tab", name=KO[tab]).click()
            page.wait_for_function(f"() => {ready}", timeout=HANG_GUARD_MS, polling=200)
            page.wait_for_function("() => !document.querySelector('.pending, .generating')", timeout=HANG_GUARD_MS,
                                   polling=200)
            open_all_accordions(page)
            leftovers[tab] = english_sentences(visible_text(page))
            screenshot(page, f"{tab.split('.')[1]}-ko")
        assert leftovers == {tab: [] for tab in leftovers}
        assert page.get_by_role("tab", name=EN["tab.quant"]).count() == 0
        assert_no_error(page)
    finally:
        page.context.close()


def test_a_link_picks_the_language_and_the_choice_survives_a_reload(browser, app_url):
    page = korean_page(browser, f"{app_url}/?lang=ko", locale="en-US")  # an English browser, a Korean link
    try:
        wait_for_text(page, KO["tab.adapters"])
        wait_for_text(page, "API를 통해 사용")  # Gradio's own footer follows too, though the browser is English
        page.reload()
        wait_for_text(page, KO["tab.adapters"])  # the choice was kept in this browser
        page.goto(f"{app_url}/?lang=en")
        wait_for_text(page, EN["tab.adapters"])
        assert page.get_by_role("tab", name=KO["tab.adapters"]).count() == 0
    finally:
        page.context.close()


def test_switching_keeps_what_was_typed_and_redraws_the_views(browser, app_url):
    page = korean_page(browser, app_url, locale="en-US")
    try:
        wait_for_text(page, EN["tab.quant"])
        page.get_by_role("tab", name=EN["tab.adapters"]).click()
        rank = page.locator("#adapters-rank input[type=number]").first
        rank.fill("5")
        rank.press("Enter")
        wait_for_text(page, "5·(576+576)")
        page.get_by_role("tab", name=EN["tab.studio"]).click()
        steps = page.locator("#studio-steps input").first
        steps.fill("7")
        steps.press("Tab")
        dataset = page.locator("#studio-dataset input")
        dataset.fill("sentiment")
        dataset.press("Enter")
        page.wait_for_function("() => document.querySelector('#studio-estimate')?.innerText.includes('91 training')",
                               timeout=HANG_GUARD_MS, polling=200)  # the estimate for the sentiment set
        page.get_by_role("tab", name=EN["tab.adapters"]).click()
        page.locator("#language").get_by_label("한국어").check()
        wait_for_text(page, KO["tab.adapters"])
        wait_for_text(page, "5·(576+576)")  # the counts, recomputed in Korean, for the rank typed before
        assert rank.input_value() == "5"
        page.get_by_role("tab", name=KO["tab.studio"]).click()
        assert steps.input_value() == "7" and dataset.input_value() == "sentiment"  # the Studio's settings stay
        page.get_by_role("tab", name=KO["tab.adapters"]).click()
        assert page.get_by_role("tab", name=KO["tab.adapters"], selected=True).count() == 1  # still on its tab
        wait_for_text(page, "API를 통해 사용")  # Gradio's own words switch with ours
        page.locator("#language").get_by_label("English").check()
        wait_for_text(page, EN["tab.adapters"])
        wait_for_text(page, "Use via API")
        assert rank.input_value() == "5"
        assert_no_error(page)
    finally:
        page.context.close()


def test_an_api_client_gets_english_unless_it_asks_for_korean(app_url):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from playground.i18n import in_language

    hangul = lambda text: any("\uac00" <= ch <= "\ud7a3" for ch in text)  # noqa: E731
    for headers, language in ((None, "en"), ({"Accept-Language": "ko-KR,ko;q=0.9"}, "ko")):
        client = Client(app_url, verbose=False, headers=headers)
        try:
            summary, *_ = client.predict(source="typed", numbers="1, 2, 3", api_name="/quantize")
            assert hangul(summary) == (language == "ko"), summary
            with pytest.raises(AppError) as refused:
                client.predict(source="typed", numbers="abc", api_name="/quantize")
            assert str(in_language("quant.err.not_a_number", language, token="abc")) in str(refused.value)
        finally:
            client.close()

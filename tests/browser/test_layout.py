"""The page on a desktop, at 150% zoom on a 1280×720 screen and on a phone; and its link, copied and opened.

One page per viewport: every tab is reached through its own button (none hidden behind "•••"), shows its
content, and no table cell is narrower than its longest word (measured in the page). Screenshots of every tab
in every viewport land in tests/browser/screenshots/layout-*.png (the phone's also in assets/ with
PLAYGROUND_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import re
import urllib.parse

import pytest

from tests.browser.conftest import HANG_GUARD_MS, SHOTS, assert_no_error, screenshot

pytestmark = pytest.mark.browser

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1400, "height": 900}},
    # Chrome's 150% zoom of a 1280×720 window, in CSS pixels
    "zoom150": {"viewport": {"width": 853, "height": 480}, "device_scale_factor": 1.5},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True},
}
TABS = {  # tab id → what shows once it is open: an element of its own, and a table it fills (with a number in it)
    "quant": ("#quant-run", "#quant-metrics", "NF4"),
    "adapters": ("#adapters-measure", "#adapters-params", "460800"),  # LoRA r = 8 on q and v: 30·8·(1152+768)
    "studio": ("#studio-start", "#studio-estimate", "trainable"),
}

# For every visible table cell: each word's width (measured with the font it is drawn in) against the width its
# text has inside the cell (the cell's content box less the padding of the elements around the text).
NARROW_CELLS = """() => {
    const context = document.createElement('canvas').getContext('2d');
    const narrow = [];
    for (const cell of document.querySelectorAll('th, td')) {
        if (!cell.checkVisibility({visibilityProperty: true})) continue;
        const box = cell.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        const style = getComputedStyle(cell);
        const content = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const parent = node.parentElement;
            if (!parent.checkVisibility()) continue;
            const font = getComputedStyle(parent);
            context.font = `${font.fontStyle} ${font.fontWeight} ${font.fontSize} ${font.fontFamily}`;
            let room = content;
            for (let element = parent; element && element !== cell; element = element.parentElement) {
                const around = getComputedStyle(element);
                room -= parseFloat(around.paddingLeft) + parseFloat(around.paddingRight)
                      + parseFloat(around.marginLeft) + parseFloat(around.marginRight);
            }
            for (const word of node.textContent.split(/\\s+/)) {
                const width = word ? context.measureText(word).width : 0;
                if (width > room + 1) {
                    narrow.push(`${(cell.closest('[id]') || {}).id}: "${word}" ${Math.round(width)} px in ${Math.round(room)} px`);
                }
            }
        }
    }
    return narrow;
}"""


def fill(page, selector: str, value) -> None:
    field = page.locator(selector)
    field.fill(str(value))
    field.press("Enter")


def wait_text(page, selector: str, text: str) -> None:
    """Until the element's text (thousands separators aside) holds `text`."""
    page.wait_for_function("([selector, text]) => (document.querySelector(selector)?.innerText || '')"
                           ".replaceAll(',', '').includes(text)", arg=[selector, text])


def stable_part(estimate: str) -> str:
    """The estimate's parameter count and time for these settings (what follows, the memory available, is the
    machine's state at that moment)."""
    return estimate.split("estimated peak")[0].strip()


def new_page(context):
    page = context.new_page()
    page.console_errors = []
    page.on("pageerror", lambda err: page.console_errors.append(str(err)))
    return page


def link_box(page):
    return page.locator("#link-box textarea, #link-box input").first


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def sized_page(request, browser, app_url):
    name = request.param
    context = browser.new_context(**VIEWPORTS[name])
    context.set_default_timeout(HANG_GUARD_MS)
    page = context.new_page()
    page.console_errors = []
    page.on("pageerror", lambda err: page.console_errors.append(str(err)))
    page.viewport_name = name
    yield page
    if getattr(request.node, "failed_call", False):
        page.screenshot(path=str(SHOTS / f"FAILED-layout-{name}.png"), full_page=True)
    context.close()


def test_every_tab_is_reachable_and_no_table_squeezes_a_word(sized_page, app_url):
    page, name = sized_page, sized_page.viewport_name
    width = VIEWPORTS[name]["viewport"]["width"]
    page.goto(app_url)
    wait_text(page, "#quant-metrics", "NF4")
    assert page.locator("text=•••").count() == 0 or not page.locator("text=•••").first.is_visible()
    narrow = {}
    for tab, (content, table, number) in TABS.items():
        button = page.locator(f"#tab-{tab}-button")
        assert button.is_visible(), f"{tab}'s button is hidden at {name}"
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, f"{tab}'s button is off screen at {name}"
        button.click()
        assert page.locator(f"#tab-{tab}-button[aria-selected=true]").count() == 1
        page.locator(content).scroll_into_view_if_needed()
        assert page.locator(content).is_visible()
        wait_text(page, table, number)
        narrow[tab] = page.evaluate(NARROW_CELLS)
        if name == "phone":
            screenshot(page, f"phone-{tab}")
        else:
            page.screenshot(path=str(SHOTS / f"layout-{name}-{tab}.png"), full_page=True)
    body = page.evaluate("() => getComputedStyle(document.querySelector('#tab-quant .prose p, .prose p')).fontSize")
    assert body == "16px"
    assert narrow == {tab: [] for tab in TABS}
    assert_no_error(page)


def test_a_copied_link_restores_every_tab_and_its_figures(browser, app_url):
    """Settings changed on every tab, the Studio open, Copy link; a new browser opens the link and shows the
    same settings, the same tab and the same numbers."""
    context = browser.new_context(viewport={"width": 1400, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    context.set_default_timeout(HANG_GUARD_MS)
    page = new_page(context)
    page.goto(app_url + "?lang=en")
    wait_text(page, "#quant-metrics", "NF4")
    fill(page, "#quant-size input", 4096)
    fill(page, "#quant-bits input[type=number]", 3)
    page.locator("#quant-run").click()
    wait_text(page, "#quant-summary", "4096 values")
    wait_text(page, "#quant-metrics", "int3")
    quant_summary = page.locator("#quant-summary").inner_text()
    quant_metrics = page.locator("#quant-metrics tbody").last.inner_text()

    page.locator("#tab-adapters-button").click()
    fill(page, "#adapters-rank input", 16)
    wait_text(page, "#adapters-params", "921600")  # 30·16·(576+576) + 30·16·(576+192)
    adapter_counts = page.locator("#adapters-params tbody").last.inner_text()

    page.locator("#tab-studio-button").click()
    before = page.locator("#studio-estimate").inner_text()
    fill(page, "#studio-steps input", 7)
    page.wait_for_function("before => document.querySelector('#studio-estimate').innerText !== before", arg=before)
    estimate = stable_part(page.locator("#studio-estimate").inner_text())

    page.locator("#link-copy").click()
    page.locator("#link-note", has_text="copied").wait_for()
    url = link_box(page).input_value()
    assert page.url == url  # the address bar shows it too
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query == {"tab": ["studio"], "lang": ["en"], "quant.size": ["4096"], "quant.bits": ["3"],
                     "adapters.r": ["16"], "studio.steps": ["7"]}
    assert_no_error(page)
    context.close()

    # a participant: another browser, nothing saved
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(HANG_GUARD_MS)
    page = new_page(context)
    page.goto(url)
    page.locator("#tab-studio-button[aria-selected=true]").wait_for()
    page.locator("#link-note", has_text="Restored 4 settings").wait_for()
    assert page.locator("#studio-steps input").input_value() == "7"
    wait_text(page, "#studio-estimate", estimate.replace(",", ""))
    page.locator("#tab-quant-button").click()
    assert page.locator("#quant-size input").input_value() == "4096"
    assert page.locator("#quant-bits input[type=number]").input_value() == "3"
    # the first run on load used the link's values, not the defaults
    wait_text(page, "#quant-summary", "4096 values")
    wait_text(page, "#quant-metrics", "int3")
    assert page.locator("#quant-summary").inner_text() == quant_summary
    assert page.locator("#quant-metrics tbody").last.inner_text() == quant_metrics
    page.locator("#tab-adapters-button").click()
    assert page.locator("#adapters-rank input").input_value() == "16"
    wait_text(page, "#adapters-params", "921600")
    assert page.locator("#adapters-params tbody").last.inner_text() == adapter_counts
    assert_no_error(page)
    context.close()


def test_a_broken_link_says_so_once_and_keeps_the_defaults(browser, app_url):
    """Without clipboard permission the link is shown to copy by hand."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    context.set_default_timeout(HANG_GUARD_MS)
    page = new_page(context)
    page.goto(app_url + "?tab=adapters&quant.bits=99&adapters.r=abc&%3Cimg%20src%3Dx%3E=1&quant.granularity=row")
    page.locator("#tab-adapters-button[aria-selected=true]").wait_for()
    note = page.locator("#link-note")
    note.get_by_text("not applied").wait_for()
    assert note.inner_text().strip() == (
        "Some settings of this link were not applied (their defaults stay): quant.bits: must be between 2 and 8; "
        "adapters.r: must be a number. Ignored, not settings of this page: ?img?src?x?.")
    assert page.locator("#link-note img").count() == 0
    assert page.locator("#adapters-rank input").input_value() == "8"
    page.locator("#tab-quant-button").click()
    assert page.locator("#quant-bits input[type=number]").input_value() == "4"
    assert page.locator("#quant-granularity input[value=row]").is_checked()
    page.locator("#link-copy").click()
    link_box(page).wait_for()
    page.locator("#link-note", has_text=re.compile("copied|did not allow copying")).wait_for()
    assert urllib.parse.urlsplit(link_box(page).input_value()).query == "tab=quant&quant.granularity=row"
    assert page.locator(".toast-body.error").count() == 0
    context.close()

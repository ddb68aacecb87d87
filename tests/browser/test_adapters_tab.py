"""Adapter vs LoRA in the browser: drawing and counts on load, the share of one W, the notes' examples in one
click, a bad or half-typed setting as one line (no pop-ups), the code, a latency run with its verdict, Stop,
and a phone's 390 px (tables scroll sideways, no cell narrower than its longest word)."""

from __future__ import annotations

import shutil

import pytest

from tests.browser.conftest import (
    HANG_GUARD_MS as GUARD_MS,
    SHOTS,
    assert_no_error,
    open_tab,
    plots_rendered,
    screenshot,
)
from bench.server import ROOT

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


# Every wait below ends on a state the page shows (counts drawn, a run's phase), or fails at once on an
# error message; this bound only guards against a hang. Never a guess at how long work takes: the first
# use of the bundled model converts its GGUF (tens of seconds on 2 cores) and nothing here may race that.
HANG_GUARD_MS = 15 * 60_000

# The latency run's phase, from the status line's <strong class="adapters-phase phase-<name>">.
PHASE_JS = ("[...(document.querySelector('#adapters-status .adapters-phase')?.classList || [])]"
            ".find(c => c.startsWith('phase-'))?.slice(6)")
RUN_ORDER = ["idle", "loading", "building", "measuring", "done"]  # a run's phases, in the order they come
ENDS = ["done", "stopped", "failed"]


def wait_until(page, condition: str, arg=None, what: str = "a state"):
    """Waits until the JS expression `condition` (of `arg`) is truthy and returns its value; an error
    message that appears meanwhile fails the test at once, with its text."""
    toasts = page.locator(".toast-body.error").count()
    handle = page.wait_for_function(
        f"""([arg, toasts]) => {{
            const errors = [...document.querySelectorAll('.toast-body.error')];
            if (errors.length > toasts) return {{error: errors.map(e => e.innerText).join(' | ')}};
            const value = (arg => {condition})(arg);
            return value ? {{value}} : false;
        }}""",
        arg=[arg, toasts], timeout=HANG_GUARD_MS, polling=200,
    )
    result = handle.json_value()
    assert "error" not in result, f"error message while waiting for {what}: {result['error']}"
    return result["value"]


def wait_for_text(page, elem_id: str, text: str):
    wait_until(page, "(document.getElementById(arg[0])?.innerText || '').includes(arg[1])", [elem_id, text],
               f"{text!r} in #{elem_id}")


def notice_text(page) -> str:
    """What the notice line says (its Markdown), without the status tracker Gradio draws over a pending output."""
    return page.evaluate("() => (document.querySelector('#adapters-notice .prose')?.innerText ?? '').trim()")


def wait_for_counts(page, text: str) -> None:
    wait_for_text(page, "adapters-params", text)


def phase(page) -> str | None:
    return page.evaluate(f"() => {PHASE_JS}")


def status_text(page) -> str:
    return page.locator("#adapters-status").inner_text()


def record_phases(page) -> None:
    """From now on, every phase the status line shows is noted, in order (window.adapterPhases)."""
    page.evaluate(f"""() => {{
        const phases = window.adapterPhases = [];
        const note = () => {{ const p = {PHASE_JS}; if (p && phases.at(-1) !== p) phases.push(p); }};
        note();
        new MutationObserver(note).observe(document.getElementById('adapters-status'),
                                           {{subtree: true, childList: true, characterData: true, attributes: true}});
    }}""")


def phases_seen(page) -> list[str]:
    return page.evaluate("() => window.adapterPhases")


def wait_for_phase(page, *wanted: str) -> str:
    """Waits until the run is in one of `wanted`, or has ended some other way (a failure, say: then it fails
    at once); returns the phase."""
    found = wait_until(page, f"(p => (arg[0].includes(p) || arg[1].includes(p)) && p)({PHASE_JS})",
                       [list(wanted), ENDS], f"phase {' or '.join(wanted)}")
    assert found in wanted, f"wanted phase {wanted}, got {found!r}: {status_text(page)!r}; seen {phases_seen(page)}"
    return found


def assert_in_run_order(seen: list[str]) -> None:
    """Phases only move forward (a quick one may be drawn over before the page shows it, so not all are seen)."""
    assert all(p in RUN_ORDER for p in seen), seen
    positions = [RUN_ORDER.index(p) for p in seen]
    assert positions == sorted(positions) and len(set(positions)) == len(positions), seen


def test_main_view_draws_and_counts(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)")
    wait_until(page, "document.querySelectorAll('#adapters-paths .js-plotly-plot, #adapters-sweep .js-plotly-plot')"
                     ".length == 3", what="the two path figures and the sweep drawn")
    paths = page.locator("#adapters-paths").inner_text()
    for shape in ("down  W: (36, 576) + b: (36)", "A  (8, 576)", "B  (576, 8)", "merged: W = W0 + (α/r)·B·A"):
        assert shape in paths, shape
    params = page.locator("#adapters-params").inner_text()
    assert "460800" in params.replace(",", "")  # LoRA on q, v at r = 8: 57,600 · 8
    assert "2.78%" in params  # q_proj's share of its one 576 × 576 W
    share = page.locator("#adapters-share").inner_text()
    assert "2.78% of one W" in share and "0.34% of the whole model" in share
    page.locator("#adapters-targets").get_by_label("down").check()
    wait_for_counts(page, "8·(1536+576)")
    assert "967680" in page.locator("#adapters-params").inner_text().replace(",", "")  # + 30 · 8 · (1536 + 576)
    page.locator("#adapters-code-accordion").get_by_text("Show the code").click()
    wait_for_text(page, "adapters-snippet", "target_modules=['q_proj', 'v_proj', 'down_proj']")
    assert "peft.LoraConfig(" in page.locator("#adapters-snippet").inner_text()
    assert_no_error(page)
    screenshot(page, "adapters-main")


def choose_example(page, title: str) -> None:
    field = page.locator("#adapters-example input").first
    field.click()
    page.get_by_role("option", name=title).click()


def test_the_notes_examples_in_one_click(browser, app_url):
    """At 1400 × 900: the LoRA d = 4096, r = 16 example shows 131,072 = 0.78% of one W; the 6→2→6 adapter 32."""
    page = new_page(browser, app_url, 1400, 900)
    try:
        open_tab(page, TAB)
        wait_for_counts(page, "8·(576+576)")
        choose_example(page, "LoRA d = 4096, r = 16: 131,072 = 0.78% of one W")
        wait_for_counts(page, "16·(4096+4096)")
        share = page.locator("#adapters-share").inner_text()
        assert "131,072 parameters beside a 4096 × 4096 W of 16,777,216: 0.78% of one W" in share, share
        assert "0.0628% of the whole model" in share
        assert "0.78% of that W" in page.locator("#adapters-example-note").inner_text()
        assert page.locator("#adapters-d-model input").first.input_value() == "4096"
        assert_no_error(page)
        page.locator("#adapters-example").scroll_into_view_if_needed()
        page.evaluate("() => window.scrollBy(0, -20)")
        path = screenshot(page, "adapters", full_page=False)
        shutil.copy(path, ROOT / "assets" / "screenshot-adapters.png")  # the README's picture of the tab
        choose_example(page, "Adapter 6 → 2 → 6: 2md + d + m = 32")
        wait_for_counts(page, "2md+d+m = 2·2·6+6+2")
        assert "2md + d + m = 32 per adapter, 32 in all" in page.locator("#adapters-share").inner_text()
        assert_no_error(page)
    finally:
        page.context.close()


@pytest.mark.parametrize(
    "elem_id, value, message",
    [
        ("adapters-rank", 0, "LoRA rank must be a whole number of at least 1, got 0"),
        ("adapters-rank", 1000, "r must be at most min(d_in, d_out)"),
        ("adapters-bottleneck", 600, "bottleneck 600 is larger than d_model = 576"),
        ("adapters-alpha", -1, "LoRA alpha must be greater than 0"),
    ],
)
def test_bad_input_is_one_line_and_the_views_stay(page, elem_id, value, message):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)")
    set_number(page, elem_id, value)
    wait_for_text(page, "adapters-notice", message)
    assert page.locator(".toast-body").count() == 0  # no pop-up
    assert "8·(576+576)" in page.locator("#adapters-params").inner_text()  # the last good counts stay
    assert "Traceback" not in page.content()
    good = {"adapters-rank": 4, "adapters-bottleneck": 36, "adapters-alpha": 16}
    set_number(page, elem_id, good[elem_id])
    set_number(page, "adapters-rank", 4)
    wait_for_counts(page, "4·(576+576)")
    assert notice_text(page) == ""


def test_typing_a_custom_shape_raises_no_pop_up(page):
    """Each keystroke of a half-typed shape recounts; what cannot be counted yet is one line, never a toast."""
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)")
    page.locator("#adapters-source").get_by_label("Custom shape (counts only)").check()
    field = page.locator("#adapters-d-model input[type=number]").first
    field.fill("")
    field.press_sequentially("900", delay=150)  # 9 (r = 8 > its 3-wide k/v: not countable), 90, 900
    wait_for_counts(page, "8·(900+900)")
    assert page.locator(".toast-body").count() == 0
    assert notice_text(page) == ""  # the Markdown's own text: a trailing event's progress timer ("0.2s") is not it
    heads = page.locator("#adapters-heads input[type=number]").first
    heads.fill("")
    heads.press_sequentially("7", delay=100)
    wait_for_text(page, "adapters-notice", "d_model 900 must be divisible by the number of heads 7")
    assert "must be divisible" in notice_text(page)  # what notice_text reads is the notice itself
    assert page.locator(".toast-body").count() == 0 and "8·(900+900)" in page.locator("#adapters-params").inner_text()
    assert_no_error(page)


def test_no_target_module_is_a_message(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)")
    targets = page.locator("#adapters-targets")
    targets.get_by_label("q", exact=True).uncheck()
    targets.get_by_label("v", exact=True).uncheck()
    wait_for_text(page, "adapters-notice", "Choose at least one LoRA target module")


# Each cell of a table against the longest word in it, in the cell's own font: a cell narrower than its longest
# word breaks that word (what stacked the numbers one digit per line on a phone).
NARROW_CELLS_JS = """sel => {
    const ctx = document.createElement('canvas').getContext('2d');
    const narrow = [];
    let cells = 0;
    for (const cell of document.querySelectorAll(`${sel} [role=gridcell], ${sel} th`)) {
        const box = cell.getBoundingClientRect();
        if (!box.width) continue;
        const text = cell.querySelector('span.text, .header-content, .cell-wrap') || cell;
        ctx.font = getComputedStyle(text).font;
        const wrap = cell.querySelector('.cell-wrap') || cell;
        const style = getComputedStyle(wrap);
        const room = wrap.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        const words = (cell.innerText || '').split(/\s+/).filter(Boolean);
        const longest = Math.max(0, ...words.map(word => ctx.measureText(word).width));
        cells += 1;
        if (longest > room + 1) narrow.push(`${cell.innerText.trim()}: ${Math.round(room)} < ${Math.round(longest)}`);
    }
    const viewport = document.querySelector(`${sel} .virtual-table-viewport`);
    return {cells, narrow, scrolls: viewport ? viewport.scrollWidth > viewport.clientWidth : null};
}"""


def new_page(browser, app_url, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(GUARD_MS)
    page = context.new_page()
    page.console_errors = []
    page.on("pageerror", lambda err: page.console_errors.append(str(err)))
    page.goto(app_url)
    page.wait_for_selector("button[role=tab]", timeout=GUARD_MS)
    return page


def open_tab_anywhere(page, name: str) -> None:
    """The tab's button, or on a narrow page the same tab from Gradio's overflow menu."""
    button = page.get_by_role("tab", name=name)
    if button.count() == 0 or not button.first.is_visible():
        page.locator(".overflow-menu button, button:has-text('•••')").first.click()
    page.get_by_role("tab", name=name).first.click()


def test_a_phone_scrolls_the_tables_instead_of_breaking_words(browser, app_url):
    page = new_page(browser, app_url, 390, 844)
    try:
        open_tab_anywhere(page, TAB)
        wait_for_counts(page, "8·(576+576)")
        wait_until(page, "document.querySelectorAll('#adapters-paths .js-plotly-plot').length == 2",
                   what="both path figures drawn")
        params = page.evaluate(NARROW_CELLS_JS, "#adapters-params")
        assert params["cells"] >= 70 and params["narrow"] == [], params  # 10 headers + 7 rows × 10
        assert params["scrolls"], params  # wider than the phone: it scrolls sideways
        checks = page.evaluate(NARROW_CELLS_JS, "#adapters-checks")
        assert checks["narrow"] == [], checks
        # the two path figures stack, each the phone's full width, and their titles clear the toolbar
        boxes = [page.locator(sel).bounding_box() for sel in ("#adapters-path-adapter", "#adapters-path-lora")]
        assert boxes[1]["y"] >= boxes[0]["y"] + boxes[0]["height"] - 1 and min(b["width"] for b in boxes) >= 320
        page.locator("#adapters-paths").scroll_into_view_if_needed()
        screenshot(page, "adapters-phone", full_page=False)
        page.locator("#adapters-params").scroll_into_view_if_needed()
        screenshot(page, "adapters-phone-params", full_page=False)
        assert_no_error(page)
    finally:
        page.context.close()


def run_latency(page, budget: int) -> None:
    """Runs the latency measurement to its end: phases forward only, through measuring, to done."""
    set_number(page, "adapters-budget", budget)
    record_phases(page)
    page.locator("#adapters-measure").click()
    wait_for_phase(page, "done")
    seen = phases_seen(page)
    assert_in_run_order(seen)
    assert seen[0] == "idle" and "measuring" in seen and seen[-1] == "done", seen
    status = status_text(page)
    assert "Done in" in status and "100%" in status, status
    wait_until(page, "document.querySelectorAll('#adapters-latency-plot .js-plotly-plot').length == 1",
               what="the latency figure drawn")


def test_latency_run_on_the_tiny_model(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)")
    choose_model(page, "tiny/llama")
    wait_for_counts(page, "8·(64+64)")
    run_latency(page, 5)
    checks = page.locator("#adapters-checks").inner_text()
    assert checks.count("yes") == 3 and "NO" not in checks
    table = page.locator("#adapters-latency-table").inner_text()
    assert table.count("base + LoRA (merged)") == 2  # batch 1 × 2 sequence lengths on a CPU
    verdict = page.locator("#adapters-verdict").inner_text()
    assert "What this run can tell" in verdict and "batch 1 × 16 tokens" in verdict, verdict
    items = [item for line in verdict.splitlines() if "tokens:" in line for item in line.split(":", 1)[1].split("·")]
    assert len(items) == 6, verdict  # 3 variants × 2 settings, each with its verdict
    assert all(any(word in item for word in ("no measurable difference", "slower by", "faster by", "too few"))
               for item in items), items
    assert_no_error(page)


def test_latency_run_on_the_real_model(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)")
    run_latency(page, 20)
    checks = page.locator("#adapters-checks").inner_text()
    assert checks.count("yes") == 3
    table = page.locator("#adapters-latency-table").inner_text()
    assert table.count("base + adapters") == 2
    assert plots_rendered(page, "#adapters-latency-plot") == 1
    assert_no_error(page)
    page.locator("#adapters-latency-plot").scroll_into_view_if_needed()
    screenshot(page, "adapters-latency")


def test_stop_cancels_the_run_and_quick_actions_stay_free(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)")
    set_number(page, "adapters-budget", 60)
    record_phases(page)
    assert phase(page) == "idle"
    page.locator("#adapters-measure").click()
    if wait_for_phase(page, "loading", "building", "measuring") == "loading":  # a first use: the load shows
        screenshot(page, "adapters-loading")
    wait_for_phase(page, "measuring")
    seen = phases_seen(page)
    assert_in_run_order(seen)
    assert seen[0] == "idle" and seen[-1] == "measuring", seen
    screenshot(page, "adapters-measuring")
    set_number(page, "adapters-rank", 2)  # a quick action while the long one runs
    phase_when_counted = wait_until(page, f"(document.getElementById('adapters-params')?.innerText || '')"
                                          f".includes(arg) && ({PHASE_JS} || 'none')", "2·(576+576)", "new counts")
    assert phase_when_counted == "measuring"  # answered while the 60 s run was still measuring, not after it
    page.locator("#adapters-stop").click()
    wait_for_phase(page, "stopped")  # the run's own last update (it checks its stop flag between passes)
    assert "Stopped." in status_text(page) and "Done in" not in status_text(page)
    assert phases_seen(page)[-2:] == ["measuring", "stopped"], phases_seen(page)
    set_number(page, "adapters-rank", 3)  # the app still answers; no update of the stopped run came meanwhile
    wait_for_counts(page, "3·(576+576)")
    assert phase(page) == "stopped" and phases_seen(page)[-1] == "stopped", phases_seen(page)
    assert_no_error(page)

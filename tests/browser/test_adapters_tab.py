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
                     ".length == 2", what="both figures drawn")
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
    wait_for_counts(page, "8·(576+576)")
    set_number(page, elem_id, value)
    assert message in error_toast_text(page, timeout=HANG_GUARD_MS)
    assert "Traceback" not in page.content()
    good = {"adapters-rank": 4, "adapters-bottleneck": 36, "adapters-alpha": 16}
    set_number(page, elem_id, good[elem_id])
    set_number(page, "adapters-rank", 4)
    wait_for_counts(page, "4·(576+576)")


def test_no_target_module_is_a_message(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)")
    targets = page.locator("#adapters-targets")
    targets.get_by_label("q", exact=True).uncheck()
    targets.get_by_label("v", exact=True).uncheck()
    assert "Choose at least one LoRA target module" in error_toast_text(page, timeout=HANG_GUARD_MS)


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
    assert table.count("base + LoRA (merged)") == 4  # 2 batch sizes × 2 sequence lengths
    assert_no_error(page)


def test_latency_run_on_the_real_model(page):
    open_tab(page, TAB)
    wait_for_counts(page, "8·(576+576)")
    run_latency(page, 20)
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

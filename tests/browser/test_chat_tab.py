"""Chat & Arena in a real browser: a tiny run trained in the Studio, a two-turn chat that switches from the 4-bit
base to the run, then the arena with base vs run, a vote and the tally."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import assert_no_error, choose, error_toast_text, open_tab, screenshot
from tests.browser.test_studio_tab import set_number, use_tiny_model, wait_for_text

pytestmark = pytest.mark.browser

BASE_LABEL = "4-bit base (NF4 + DQ) · tiny/llama"
RUN_LABEL = "run1 · 4-bit + LoRA (NF4 + DQ) · tiny/llama"

# every distinct text the element shows from now on (the answer as it streams in)
WATCH_JS = """(selector) => {
    const node = document.querySelector(selector);
    window.seenTexts = [node.innerText];
    new MutationObserver(() => {
        const text = node.innerText;
        if (text !== window.seenTexts[window.seenTexts.length - 1]) window.seenTexts.push(text);
    }).observe(node, {subtree: true, childList: true, characterData: true});
}"""


def pick(page, elem_id: str, option: str) -> None:
    """`choose`, with the option looked for in this dropdown's own list (the pickers offer the same labels)."""
    page.locator(f"#{elem_id} input").click()
    page.locator(f"#{elem_id}").get_by_role("option", name=option, exact=True).click()
    page.wait_for_function("([id, value]) => document.querySelector(`#${id} input`)?.value === value",
                           arg=[elem_id, option], polling=100)


def send(page, message: str) -> None:
    page.locator("#chat-message textarea").fill(message)
    page.locator("#chat-send").click()


def test_chat_two_turns_then_the_arena_and_its_tally(page):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_tab(page, "QLoRA Studio")
    use_tiny_model(page, steps="4", eval_every="0")
    page.locator("#studio-start").click()
    wait_for_text(page, "#studio-progress", r"saved as run1")

    open_tab(page, "Chat & Arena")
    model = page.locator("#chat-model input")
    model.fill("tiny/llama")
    model.press("Enter")
    set_number(page, "chat-temperature", "1")  # the random tiny model's greedy answer is empty: sample
    set_number(page, "chat-max-new-tokens", "24")
    choose(page, "chat-target", BASE_LABEL)  # the picker lists the run too, once refreshed on the tab's select
    page.locator("#chat-target input").click()
    page.get_by_role("option", name=RUN_LABEL, exact=True).wait_for()
    page.keyboard.press("Escape")

    page.evaluate(WATCH_JS, "#chat-chatbot")
    send(page, "Hello there")
    wait_for_text(page, "#chat-status", re.escape(f"{BASE_LABEL} answered in"))
    streamed = page.evaluate("window.seenTexts")
    assert len(streamed) >= 3, streamed  # the question, the answer as it grew, the answer complete
    pick(page, "chat-target", RUN_LABEL)  # another model for the second turn
    send(page, "Tell me more.")
    wait_for_text(page, "#chat-status", re.escape(f"{RUN_LABEL} answered in"))
    conversation = page.locator("#chat-chatbot").inner_text()
    assert conversation.index("Hello there") < conversation.index(BASE_LABEL) < conversation.index("Tell me more.") \
        < conversation.index(RUN_LABEL)
    assert page.locator("#chat-message textarea").input_value() == ""
    assert_no_error(page)
    page.evaluate("document.querySelector('#chat-target').scrollIntoView({block: 'start'})")
    screenshot(page, "chat", full_page=False)

    pick(page, "chat-arena-a", BASE_LABEL)
    pick(page, "chat-arena-b", RUN_LABEL)
    page.locator("#chat-arena-prompt textarea").fill("Name a color.")
    page.evaluate(WATCH_JS, "#chat-answer-b")
    page.locator("#chat-arena-ask").click()
    wait_for_text(page, "#chat-arena-status", r"Both answered: which is better\?")
    assert len(page.evaluate("window.seenTexts")) >= 3  # B's answer streamed in too
    assert BASE_LABEL in page.locator("#chat-answer-a").inner_text()
    assert RUN_LABEL in page.locator("#chat-answer-b").inner_text()
    page.locator("#chat-vote-b").click()
    wait_for_text(page, "#chat-arena-status", r"Vote recorded: B \(run1")
    wait_for_text(page, "#chat-tally", r"run1")
    rows = page.evaluate("""() => Array.from(document.querySelectorAll('#chat-tally [role=row]'))
        .map(row => Array.from(row.querySelectorAll('[role=gridcell]')).map(cell => cell.innerText.trim()))
        .filter(cells => cells.some(text => text))""")
    assert rows == [[BASE_LABEL, "0", RUN_LABEL, "1", "0", "1"]]  # one pair, run1's vote counted as its own
    assert_no_error(page)
    page.evaluate("document.querySelector('#chat-arena-a').scrollIntoView({block: 'start'})")
    screenshot(page, "arena", full_page=False)
    page.locator("#chat-vote-a").click()  # a second vote on the same answers is refused
    assert "this prompt already has its vote" in error_toast_text(page)
    assert not page.console_errors, page.console_errors

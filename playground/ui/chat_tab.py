"""Chat & Arena tab: a multi-turn chat with the model, its 4-bit base or a run's adapter, and two answers side by side.

Events: `chat` (the conversation + a message → the answer streamed into the chat, titled with who answered),
`arena` (one prompt → A's answer streamed, then B's), `arena_vote` and `arena_tally` (API endpoints; the page's
vote buttons call the same function). The target pickers list the owner's runs, refreshed on page load, when the
tab is selected and when the model changes. Everything runs through `playground.studio.chat` on the Studio's
shared models; the conversation itself lives in the page (the Chatbot's value), the votes in the session.
"""

from __future__ import annotations

import time

import gradio as gr
import pandas as pd

from playground.checks import config_from_form
from playground.generation import Decoding
from playground.studio import chat
from playground.ui import language
from playground.ui.common import model_dropdown, user_errors
from playground.ui.strings import t
from playground.ui.studio_tab import STUDIO, _owner

TALLY_COLUMNS = ("chat.col.first", "chat.col.first_wins", "chat.col.second", "chat.col.second_wins", "chat.col.ties",
                 "chat.col.total")


def _decoding(max_new_tokens, temperature, seed) -> Decoding:
    return config_from_form(Decoding, {"max_new_tokens": max_new_tokens, "temperature": temperature, "seed": seed})


def _history(history) -> list[dict]:
    """The Chatbot's messages as role, text and who answered (what the page shows again); a bad message is refused."""
    history = list(history or [])
    shown = []
    for message, plain in zip(history, chat.plain(history)):
        metadata = message.get("metadata") or {}
        kept = {key: metadata[key] for key in ("title", "duration", "log") if metadata.get(key) is not None}
        shown.append({**plain, "metadata": kept} if kept.get("title") else plain)
    return shown


def _answer(label: str, text: str, seconds: float | None = None) -> dict:
    """An answer in the chat, titled with the model that gave it (a spinner while it streams)."""
    metadata: dict = {"title": str(label)}
    if seconds is None:
        metadata["status"] = "pending"
    else:
        metadata["duration"] = round(seconds, 1)
        if not text:
            metadata["log"] = str(t("chat.empty"))
    return {"role": "assistant", "content": text, "metadata": metadata}


def tally_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([[row["labels"][0], row["wins"][0], row["labels"][1], row["wins"][1], row["ties"], row["total"]]
                         for row in rows], columns=[t(key) for key in TALLY_COLUMNS])


@user_errors
def chat_turn(target: str, message: str, history: list, max_new_tokens: float = 48, temperature: float = 0.0,
              seed: float = 0, model_id: str | None = None, owner: str | None = None, request: gr.Request = None):
    """The answer of `target` ("full", "base" or a run id) to the conversation `history` + `message`, streamed:
    (the conversation with the answer so far, the message box, the status line)."""
    owner = _owner(owner, request)
    decoding = _decoding(max_new_tokens, temperature, seed)
    shown = _history(history) + [{"role": "user", "content": message or ""}]
    reply = chat.chat_stream(STUDIO, owner, target, shown, decoding, model_id)  # refuses before any model runs
    started = time.monotonic()
    yield shown + [_answer(reply.label, "")], "", t("chat.answering", label=reply.label)
    text = ""
    try:
        for text in reply:
            yield shown + [_answer(reply.label, text)], gr.skip(), gr.skip()
    finally:
        reply.close()
    seconds = time.monotonic() - started
    status = t("chat.answered", label=reply.label, seconds=f"{seconds:.1f}", tokens=reply.prompt_tokens)
    if reply.dropped:
        status += t("chat.dropped", count=reply.dropped, turns=chat.MAX_TURNS, limit=chat.max_context_tokens())
    yield shown + [_answer(reply.label, text, seconds)], gr.skip(), status


@user_errors
def arena(a: str, b: str, prompt: str, max_new_tokens: float = 48, temperature: float = 0.0, seed: float = 0,
          model_id: str | None = None, owner: str | None = None, request: gr.Request = None):
    """Targets `a` and `b` answer `prompt`, A first and then B, streamed: (A's chat, B's chat, the status line)."""
    owner = _owner(owner, request)
    reply = chat.arena_stream(STUDIO, owner, a, b, prompt, _decoding(max_new_tokens, temperature, seed), model_id)
    label_a, label_b = reply.labels
    user = {"role": "user", "content": (prompt or "").strip()}
    started, seconds = time.monotonic(), {}
    try:
        for step in reply:
            if step.answering != "a" and "a" not in seconds:
                seconds["a"] = time.monotonic() - started
            if step.answering is None:
                seconds["b"] = time.monotonic() - started - seconds["a"]
            shown_a = [user, _answer(label_a, step.a, seconds.get("a"))]
            shown_b = [user, _answer(label_b, step.b, seconds.get("b"))] if step.answering != "a" else [user]
            status = t("chat.arena_done") if step.answering is None else t(
                "chat.arena_answering", label=label_a if step.answering == "a" else label_b)
            yield shown_a, shown_b, status
    finally:
        reply.close()


def arena_vote(a: str, b: str, winner: str, model_id: str | None = None, owner: str | None = None,
               request: gr.Request = None) -> tuple[pd.DataFrame, str]:
    """Vote on the latest arena prompt: `winner` "a", "b" or "tie" (once per answered prompt); the tally and a
    line saying what was recorded."""
    owner = _owner(owner, request)
    rows = chat.arena_vote(STUDIO, owner, a, b, winner, model_id)
    label = chat.target(STUDIO, owner, a if winner == "a" else b, model_id).label if winner != "tie" else ""
    choice = t("chat.choice.tie") if winner == "tie" else t(f"chat.choice.{winner}", label=label)
    return tally_table(rows), t("chat.voted", choice=choice)


def _vote_for(winner: str):
    """The page's vote button for `winner`."""
    @user_errors
    def vote(a: str, b: str, model_id: str | None = None, owner: str | None = None, request: gr.Request = None):
        return arena_vote(a, b, winner, model_id, owner, request)

    vote.__name__ = f"arena_vote_{winner}"
    return vote


def arena_tally(owner: str | None = None, request: gr.Request = None) -> pd.DataFrame:
    """The arena's tally per pair: both models, each one's wins, the ties and the votes."""
    return tally_table(chat.arena_tally(STUDIO, _owner(owner, request)))


def _live(owner: str | None) -> str | None:
    try:
        return STUDIO.session(owner).owner if owner else None
    except ValueError:  # an ended session: the page gets a new token from the Studio tab's load
        return None


@user_errors
def refresh(owner: str | None, model_id: str | None, target: str, a: str, b: str) -> list:
    """The three target pickers with the owner's runs (each keeps its choice while it is still offered) and the
    tally."""
    owned = _live(owner)
    options = chat.choices(STUDIO, owned, model_id)
    offered = [value for _, value in options]

    def keep(current: str, default: str) -> dict:
        return gr.update(choices=options, value=current if current in offered else default)

    tally = tally_table(chat.arena_tally(STUDIO, owned)) if owned else tally_table([])
    return [keep(target, chat.BASE), keep(a, chat.BASE), keep(b, chat.FULL), tally]


def create_chat_tab(demo: gr.Blocks, owner: gr.BrowserState, tab: gr.Tab) -> None:
    """Builds the tab inside `tab`; `owner` is the Studio's owner token (see studio_tab)."""
    gr.Markdown(t("chat.intro"))
    options = chat.choices(STUDIO, None, None)
    with gr.Row():
        with gr.Column(scale=1, min_width=260):
            model = model_dropdown(label=t("chat.model"), elem_id="chat-model")
            gr.Markdown(t("chat.settings"))
            # the Studio compare's widgets and ranges
            temperature = gr.Slider(0.0, 1.5, value=0.0, step=0.05, label=t("studio.temperature"),
                                    elem_id="chat-temperature")
            max_new_tokens = gr.Slider(8, 128, value=48, step=8, label=t("studio.max_new_tokens"),
                                       elem_id="chat-max-new-tokens")
            seed = gr.Number(value=0, label=t("studio.decode_seed"), precision=0, elem_id="chat-seed")
        with gr.Column(scale=3):
            target = gr.Dropdown(options, value=chat.BASE, allow_custom_value=True, label=t("chat.target"), info=t("chat.target_info"),
                                 elem_id="chat-target")
            chatbot = gr.Chatbot(label=t("chat.chatbot"), height=560, elem_id="chat-chatbot")
            message = gr.Textbox(label=t("chat.message"), placeholder=t("chat.message_placeholder"), lines=1,
                                 elem_id="chat-message")
            with gr.Row():
                send = gr.Button(t("chat.send"), variant="primary", elem_id="chat-send")
                clear = gr.Button(t("chat.clear"), elem_id="chat-clear")
            status = gr.Markdown(t("chat.idle"), elem_id="chat-status")
    gr.Markdown(t("chat.arena"))
    gr.Markdown(t("chat.arena_info"))
    with gr.Row():
        pick_a = gr.Dropdown(options, value=chat.BASE, allow_custom_value=True, label=t("chat.arena_a"), elem_id="chat-arena-a")
        pick_b = gr.Dropdown(options, value=chat.FULL, allow_custom_value=True, label=t("chat.arena_b"), elem_id="chat-arena-b")
    with gr.Row(equal_height=True):
        prompt = gr.Textbox(value=t("chat.arena_prompt_default"), label=t("chat.arena_prompt"), lines=1, scale=4,
                            elem_id="chat-arena-prompt")
        ask = gr.Button(t("chat.arena_ask"), variant="primary", scale=1, elem_id="chat-arena-ask")
    with gr.Row():
        answer_a = gr.Chatbot(label=t("chat.answer_a"), height=300, elem_id="chat-answer-a")
        answer_b = gr.Chatbot(label=t("chat.answer_b"), height=300, elem_id="chat-answer-b")
    arena_status = gr.Markdown(t("chat.arena_idle"), elem_id="chat-arena-status")
    with gr.Row():
        votes = {winner: gr.Button(t(f"chat.vote_{winner}"), elem_id=f"chat-vote-{winner}") for winner in chat.WINNERS}
    tally = gr.Dataframe(tally_table([]), label=t("chat.tally"), wrap=True, interactive=False, elem_id="chat-tally")

    settings = [max_new_tokens, temperature, seed, model]
    gr.on([send.click, message.submit], chat_turn, [target, message, chatbot, *settings, owner],
          [chatbot, message, status], api_name="chat", concurrency_id="compare", concurrency_limit=2)
    clear.click(lambda: ([], t("chat.idle")), None, [chatbot, status], api_visibility="private", queue=False)
    ask.click(arena, [pick_a, pick_b, prompt, *settings, owner], [answer_a, answer_b, arena_status], api_name="arena",
              concurrency_id="compare", concurrency_limit=2)
    for winner, button in votes.items():
        button.click(_vote_for(winner), [pick_a, pick_b, model, owner], [tally, arena_status],
                     api_visibility="private")
    # the API's vote and tally: hidden buttons, so that the tally arrives as a table ({"headers", "data"})
    winner_box = gr.Textbox("a", visible=False, elem_id="chat-api-winner")
    vote_api = gr.Button(visible=False, elem_id="chat-api-vote")
    tally_api = gr.Button(visible=False, elem_id="chat-api-tally")
    vote_api.click(user_errors(arena_vote), [pick_a, pick_b, winner_box, model, owner], [tally, arena_status],
                   api_name="arena_vote")
    tally_api.click(user_errors(arena_tally), owner, tally, api_name="arena_tally")
    pickers = [owner, model, target, pick_a, pick_b]
    outputs = [target, pick_a, pick_b, tally]
    tab.select(refresh, pickers, outputs, api_visibility="private", show_progress="hidden")
    demo.load(refresh, pickers, outputs, api_visibility="private", show_progress="hidden")
    model.change(refresh, pickers, outputs, api_visibility="private", show_progress="hidden")
    language.on_change(refresh, pickers, outputs)

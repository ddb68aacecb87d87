"""The Chat & Arena tab's handlers, called as Gradio calls them (with a request carrying the session hash)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import gradio as gr
import pytest

from playground import models
from playground.generation import Decoding, generate
from playground.studio import chat
from playground.ui import chat_tab, studio_tab
from playground.ui.studio_tab import STUDIO
from tests.ui.test_studio_tab import form

TINY = models.TINY_ID
SAMPLING = dict(max_new_tokens=16, temperature=1.0, seed=4)  # the random tiny model's greedy answer is empty
BASE_LABEL = "4-bit base (NF4 + DQ) · tiny/llama"
RUN_LABEL = "run1 · 4-bit + LoRA (NF4 + DQ) · tiny/llama"


def request(session: str):
    return SimpleNamespace(session_hash=session)


@pytest.fixture(scope="module")
def owner():
    """An API connection's session with one trained run (run1, tiny model)."""
    outputs = list(studio_tab.finetune(form(learning_rate=0.2), request=request("chat-ui")))
    assert "saved as run1" in outputs[-1][0]
    return STUDIO.session_for("api:chat-ui").owner


def as_gradio_sends(history: list[dict]) -> list[dict]:
    """The Chatbot's value as Gradio hands it to a handler: each content a list of text parts."""
    return [{**message, "content": [{"type": "text", "text": message["content"]}]} for message in history]


def turn(owner, target, message, history, **settings):
    return list(chat_tab.chat_turn(target, message, as_gradio_sends(history), **{**SAMPLING, **settings},
                                   model_id=TINY, request=request("chat-ui")))


def test_two_turns_stream_their_answers_and_each_is_titled_with_who_gave_it(owner):
    first = turn(owner, "base", "Hello there", [])
    history, box, status = first[0]
    assert box == "" and status == f"{BASE_LABEL} is answering…"
    assert history[-1]["metadata"] == {"title": BASE_LABEL, "status": "pending"} and history[-1]["content"] == ""
    assert len(first) >= 4  # the answer grows step by step: gr.skip() keeps the box and the status meanwhile
    assert all(step[1] is not None and step[2] is not None for step in first)
    history, _, status = first[-1]
    assert re.fullmatch(rf"{re.escape(BASE_LABEL)} answered in \d+\.\d s · the model was given \d+ tokens of "
                        r"conversation\.", status)
    assert history[-1]["metadata"]["title"] == BASE_LABEL and "status" not in history[-1]["metadata"]

    second = turn(owner, "run1", "Tell me more.", history)
    history, _, status = second[-1]
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert [m["metadata"]["title"] for m in history if m["role"] == "assistant"] == [BASE_LABEL, RUN_LABEL]
    assert status.startswith(f"{RUN_LABEL} answered in")
    run = STUDIO.run(owner, "run1")
    conversation = [{"role": m["role"], "content": m["content"]} for m in history[:-1]]
    with STUDIO.pool.use(run.quant_key, run.adapter_dir) as model:
        assert generate(model, models.load_tokenizer(TINY), [conversation], Decoding(**SAMPLING)) == \
            [history[-1]["content"]]


def test_a_page_that_leaves_mid_answer_stops_the_generation_and_frees_the_shared_model(owner):
    import threading

    key = (TINY, "nf4", True)
    steps = []
    with STUDIO.pool.use(key) as model:
        hook = model.register_forward_pre_hook(lambda *_: steps.append(1))
    try:
        answer = chat_tab.chat_turn("base", "Tell me a story.", [], max_new_tokens=128, temperature=1.0, seed=1,
                                    model_id=TINY, request=request("chat-ui"))
        next(answer), next(answer)
        answer.close()  # what Gradio does when the page is gone
        taken = threading.Event()

        def take() -> None:
            with STUDIO.pool.use(key):
                taken.set()

        other = threading.Thread(target=take)
        other.start()
        other.join(timeout=120)  # a hang guard only: it returns as soon as the model is free
        assert taken.is_set() and len(steps) < 128
    finally:
        hook.remove()
    with STUDIO.pool.use(key) as model:  # left alone, this answer runs to its 128 tokens
        story = generate(model, models.load_tokenizer(TINY), ["Tell me a story."], Decoding(128, 1.0, 1))[0]
    assert len(models.load_tokenizer(TINY)(story, add_special_tokens=False).input_ids) >= 128


def test_a_long_chat_says_what_the_model_was_not_given(owner):
    history = []
    for number in range(chat.MAX_TURNS):
        history += [{"role": "user", "content": f"q{number}"}, {"role": "assistant", "content": f"a{number}"}]
    *_, (shown, _, status) = turn(owner, "base", "one more", history, max_new_tokens=8)
    assert len(shown) == 2 * chat.MAX_TURNS + 2  # the page keeps the whole conversation
    assert status.endswith("The earliest 2 message(s) were left out of what the model was given: a chat gives the "
                           "model its last 8 turns and at most 1024 tokens.")


@pytest.mark.parametrize("target, message, settings, error", [
    ("base", "   ", {}, "type a message to send"),
    ("run9", "hi", {}, "no run 'run9' in this session"),
    ("", "hi", {}, "pick who answers"),
    ("base", "hi", {"max_new_tokens": 300}, "max_new_tokens must be between 1 and 256, got 300"),
    ("base", "hi", {"temperature": 3}, "temperature"),
])
def test_bad_input_is_a_message(owner, target, message, settings, error):
    with pytest.raises(gr.Error, match=error):
        turn(owner, target, message, [], **settings)


def test_arena_streams_a_then_b_and_the_vote_fills_the_tally(owner):
    steps = list(chat_tab.arena("run1", "base", "Name a color.", **SAMPLING, model_id=TINY,
                                request=request("chat-ui")))
    first_a, first_b, status = steps[0]
    assert first_b == [{"role": "user", "content": "Name a color."}] and status == f"{RUN_LABEL} is answering…"
    assert first_a[-1]["metadata"] == {"title": RUN_LABEL, "status": "pending"}
    shown_a, shown_b, status = steps[-1]
    assert status == "Both answered: which is better?"
    assert shown_a[-1]["metadata"]["title"] == RUN_LABEL and shown_b[-1]["metadata"]["title"] == BASE_LABEL
    assert "status" not in shown_a[-1]["metadata"] and "status" not in shown_b[-1]["metadata"]
    assert any(status == f"{BASE_LABEL} is answering…" for _, _, status in steps)
    reference = chat.arena_stream(STUDIO, owner, "run1", "base", "Name a color.", Decoding(**SAMPLING), TINY)
    assert list(reference)[-1][:2] == (shown_a[-1]["content"], shown_b[-1]["content"])
    # the reference made a new round: vote on that one
    vote_a = chat_tab._vote_for("a")
    table, line = vote_a("run1", "base", TINY, request=request("chat-ui"))
    assert line == f"Vote recorded: A ({RUN_LABEL}) is better. Ask another prompt to vote again."
    assert table.columns.tolist() == ["model 1", "model 1 wins", "model 2", "model 2 wins", "ties", "votes"]
    assert table.values.tolist() == [[BASE_LABEL, 0, RUN_LABEL, 1, 0, 1]]  # run1 sorts second: its win is model 2's
    with pytest.raises(gr.Error, match="this prompt already has its vote"):
        vote_a("run1", "base", TINY, request=request("chat-ui"))
    assert chat_tab.arena_tally(request=request("chat-ui")).values.tolist() == [[BASE_LABEL, 0, RUN_LABEL, 1, 0, 1]]
    with pytest.raises(gr.Error, match="pick two different models or adapters for A and B"):
        list(chat_tab.arena("base", "base", "hi", model_id=TINY, request=request("chat-ui")))


def test_the_pickers_list_the_owners_runs_and_keep_their_choices(owner):
    target, a, b, tally = chat_tab.refresh(owner, TINY, "run1", "base", "gone")
    assert target["choices"] == [("random fp32 (tiny) · tiny/llama", "full"), (BASE_LABEL, "base"), (RUN_LABEL, "run1")]
    assert (target["value"], a["value"], b["value"]) == ("run1", "base", "full")
    assert tally.columns[0] == "model 1"
    target, *_ = chat_tab.refresh("", TINY, "run1", "base", "full")  # before the page has its token
    assert [value for _, value in target["choices"]] == ["full", "base"] and target["value"] == "base"


def test_public_api_names_and_private_page_helpers():
    with gr.Blocks() as demo:
        owner = gr.BrowserState("")
        with gr.Tabs():
            with gr.Tab("Chat") as tab:
                chat_tab.create_chat_tab(demo, owner, tab)
    endpoints = demo.get_api_info()["named_endpoints"]
    assert set(endpoints) == {"/chat", "/arena", "/arena_vote", "/arena_tally"}
    assert [p["parameter_name"] for p in endpoints["/arena_vote"]["parameters"]] == ["a", "b", "winner", "model_id",
                                                                                     "owner"]


def test_every_chat_text_is_used():
    source = open(chat_tab.__file__).read() + open(chat.__file__).read()
    from playground.texts.chat import EN

    looked_up = {"chat.vote_a", "chat.vote_b", "chat.vote_tie", "chat.choice.a", "chat.choice.b",  # by f-string
                 "chat.col.first", "chat.col.first_wins", "chat.col.second", "chat.col.second_wins", "chat.col.ties",
                 "chat.col.total"}
    unused = [key for key in EN if key != "tab.chat" and f'"{key}"' not in source and key not in looked_up]
    assert unused == []

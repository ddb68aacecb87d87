"""Chat and arena over the Studio's models: the exact prompt a turn gives the model, switching targets between
turns, the conversation's bounds, the arena's streams and its tally (no Gradio)."""

from __future__ import annotations

import threading

import pytest

from playground import models
from playground.datasets import prompt_ids
from playground.finetune import FinetuneConfig
from playground.generation import Decoding, generate
from playground.studio import Studio
from playground.studio import chat

TINY = dict(model_id=models.TINY_ID, dataset="sentiment", steps=3, batch_size=2, max_length=96, warmup_steps=1,
            eval_every=0, eval_examples=2, learning_rate=0.2, device="cpu")
SAMPLED = Decoding(max_new_tokens=12, temperature=1.0, seed=5)  # the random tiny model's greedy answer is empty
BASE_KEY = (models.TINY_ID, "nf4", True)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A studio where one owner has trained run1 on the tiny model."""
    models.load_model(models.TINY_ID)
    studio = Studio(tmp_path_factory.mktemp("chat"))
    owner = studio.open()
    for final in studio.finetune(owner, FinetuneConfig(**TINY)):
        pass
    assert "saved as run1" in final.message
    return studio, owner


def first_forward_ids(model) -> tuple[list, object]:
    """Records the token ids of the model's first forward (the whole prompt) through its embedding layer."""
    seen: list = []

    def hook(module, args):
        if not seen:
            seen.append(args[0][0].tolist())

    return seen, model.get_input_embeddings().register_forward_pre_hook(hook)


def test_each_turn_gives_the_model_the_whole_conversation_through_the_chat_template(trained):
    studio, owner = trained
    tokenizer = models.load_tokenizer(models.TINY_ID)
    with studio.pool.use(BASE_KEY) as model:
        seen, hook = first_forward_ids(model)
    try:
        conversation = [{"role": "user", "content": "Hello there"}]
        reply = chat.chat_stream(studio, owner, "base", conversation, SAMPLED, model_id=models.TINY_ID)
        first = list(reply)[-1]
        assert reply.label == "4-bit base (NF4 + DQ) · tiny/llama" and reply.dropped == 0
        conversation += [{"role": "assistant", "content": first, "metadata": {"title": reply.label}},
                         {"role": "user", "content": [{"type": "text", "text": "Tell me more."}]}]  # Gradio's format
        seen.clear()
        reply = chat.chat_stream(studio, owner, "base", conversation, SAMPLED, model_id=models.TINY_ID)
        second = list(reply)[-1]
    finally:
        hook.remove()
    plain = [{"role": "user", "content": "Hello there"}, {"role": "assistant", "content": first},
             {"role": "user", "content": "Tell me more."}]
    expected = tokenizer.apply_chat_template(plain, add_generation_prompt=True, return_dict=True)["input_ids"]
    assert seen == [list(expected)] == [prompt_ids(tokenizer, plain)]
    assert reply.prompt_tokens == len(expected)
    assert first and second  # sampled: the random model says something
    with studio.pool.use(BASE_KEY) as model:
        assert generate(model, tokenizer, [plain], SAMPLED) == [second]


def test_switching_the_adapter_between_turns_changes_who_answers(trained):
    studio, owner = trained
    tokenizer = models.load_tokenizer(models.TINY_ID)
    run = studio.run(owner, "run1")
    conversation = [{"role": "user", "content": "Classify the sentiment of this review: The lamp is great."}]
    base_reply = chat.chat_stream(studio, owner, "base", conversation, SAMPLED, model_id=models.TINY_ID)
    base_answer = list(base_reply)[-1]
    conversation += [{"role": "assistant", "content": base_answer},
                     {"role": "user", "content": "Classify the sentiment of this review: The chair broke."}]
    run_reply = chat.chat_stream(studio, owner, "run1", conversation, SAMPLED)
    texts = list(run_reply)
    assert run_reply.label == "run1 · 4-bit + LoRA (NF4 + DQ) · tiny/llama"
    plain = chat.plain(conversation)
    with studio.pool.use(run.quant_key, run.adapter_dir) as model:
        assert generate(model, tokenizer, [plain], SAMPLED) == [texts[-1]]
    with studio.pool.use(BASE_KEY) as model:
        by_base = generate(model, tokenizer, [plain], SAMPLED)[0]
    assert by_base != texts[-1]  # the same turn from the base alone is another answer
    full = chat.chat_stream(studio, owner, "full", conversation, SAMPLED, model_id=models.TINY_ID)
    assert full.label == "random fp32 (tiny) · tiny/llama"
    assert list(full)[-1] == generate(models.load_model(models.TINY_ID).model, tokenizer, [plain], SAMPLED)[0]


def test_a_long_conversation_keeps_its_latest_turns_and_says_how_many_messages_are_left_out(monkeypatch):
    from playground.settings import Limits

    tokenizer = models.load_tokenizer(models.TINY_ID)
    turns = []
    for number in range(12):
        turns += [{"role": "user", "content": f"question {number}"}, {"role": "assistant", "content": f"answer {number}"}]
    kept = chat.window(tokenizer, turns + [{"role": "user", "content": "the last one"}])
    assert kept.dropped == 2 * 5  # 13 user turns: the last 8 are kept, and the answers between them
    assert kept.messages[0] == {"role": "user", "content": "question 5"} and len(kept.messages) == 15
    assert kept.prompt_tokens == len(prompt_ids(tokenizer, kept.messages))

    monkeypatch.setattr(chat, "LIMITS", Limits(max_prompt_tokens=40))  # 80 tokens of conversation at most
    long_answer = {"role": "assistant", "content": "word " * 60}
    kept = chat.window(tokenizer, [{"role": "user", "content": "first"}, long_answer,
                                   {"role": "user", "content": "second"}, {"role": "assistant", "content": "ok"},
                                   {"role": "user", "content": "third"}])
    assert kept.dropped == 2 and [m["content"] for m in kept.messages] == ["second", "ok", "third"]
    assert kept.prompt_tokens <= 80


@pytest.mark.parametrize("messages, message", [
    ([], "type a message to send"),
    ([{"role": "user", "content": "   "}], "type a message to send"),
    ([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}], "type a message to send"),
    ([{"role": "system", "content": "hi"}], "a message's role must be 'user' or 'assistant', got 'system'"),
    ([{"role": "user", "content": [{"type": "file", "file": {"path": "x.png"}}]}],
     "only text messages can be sent, got a 'file' part"),
    ([{"role": "user", "content": "hi"}] * 201, "the conversation has 201 messages, more than the 200"),
    ("hello", "the conversation must be a list of messages"),
])
def test_bad_conversations_are_refused_before_any_model_runs(trained, messages, message):
    studio, owner = trained
    with pytest.raises(ValueError, match=message):
        chat.chat_stream(studio, owner, "base", messages, SAMPLED, model_id=models.TINY_ID)


def test_bad_targets_and_settings_are_refused(trained, monkeypatch):
    from playground.settings import Limits

    studio, owner = trained
    hello = [{"role": "user", "content": "hello"}]
    with pytest.raises(ValueError, match="no run 'run9' in this session"):
        chat.chat_stream(studio, owner, "run9", hello, SAMPLED)
    with pytest.raises(ValueError, match="pick who answers"):
        chat.chat_stream(studio, owner, "", hello, SAMPLED)
    with pytest.raises(ValueError, match="not allowed"):
        monkeypatch.setattr(models, "LIMITS", Limits(allowed_model_ids=("someone/allowed",)))
        chat.chat_stream(studio, owner, "full", hello, SAMPLED, model_id="someone/else")
    monkeypatch.undo()
    with pytest.raises(ValueError, match="this session has ended"):
        chat.chat_stream(studio, "no such owner", "base", hello, SAMPLED, model_id=models.TINY_ID)
    with pytest.raises(ValueError, match="max_new_tokens must be between 1 and 256, got 257"):
        Decoding(max_new_tokens=257)
    with pytest.raises(ValueError, match="must be a Decoding"):
        chat.chat_stream(studio, owner, "base", hello, {"max_new_tokens": 999}, model_id=models.TINY_ID)
    monkeypatch.setattr(chat, "LIMITS", Limits(max_prompt_tokens=8))
    with pytest.raises(ValueError, match="a message of 48 characters is longer than the 8 tokens one message may take"):
        chat.chat_stream(studio, owner, "base", [{"role": "user", "content": "one two three four five six seven eight"
                                                                                 " nine ten"}], SAMPLED,
                         model_id=models.TINY_ID)
    with pytest.raises(ValueError, match="a message of 60,000 characters is longer"):
        chat.arena_stream(studio, owner, "base", "run1", "x" * 60_000, SAMPLED, model_id=models.TINY_ID)


def test_leaving_an_answer_midway_stops_its_generation_and_frees_the_pool(trained):
    studio, owner = trained
    steps = []
    with studio.pool.use(BASE_KEY) as model:
        hook = model.register_forward_pre_hook(lambda *_: steps.append(1))
    try:
        reply = chat.chat_stream(studio, owner, "base", [{"role": "user", "content": "Tell me a story."}],
                                 Decoding(max_new_tokens=256, temperature=1.0, seed=2), model_id=models.TINY_ID)
        next(iter(reply))
        reply.close()  # the page is gone
        taken = threading.Event()

        def take() -> None:  # another thread gets the shared model once the answer has let it go
            with studio.pool.use(BASE_KEY):
                taken.set()

        other = threading.Thread(target=take)
        other.start()
        other.join(timeout=120)  # a hang guard only: it returns as soon as the pool is free
        assert taken.is_set() and len(steps) < 256  # left alone it runs to 256 tokens (no early end token)
    finally:
        hook.remove()


def test_arena_streams_a_then_b_and_counts_one_vote_per_answered_prompt_by_sorted_pair(trained):
    studio, owner = trained
    tokenizer = models.load_tokenizer(models.TINY_ID)
    run = studio.run(owner, "run1")
    prompt = "Name a color."
    assert chat.arena_tally(studio, owner) == []
    with pytest.raises(ValueError, match="ask both models a prompt first"):
        chat.arena_vote(studio, owner, "run1", "base", "a", model_id=models.TINY_ID)

    reply = chat.arena_stream(studio, owner, "run1", "base", prompt, SAMPLED, model_id=models.TINY_ID)
    assert reply.labels == ("run1 · 4-bit + LoRA (NF4 + DQ) · tiny/llama", "4-bit base (NF4 + DQ) · tiny/llama")
    steps = iter(reply)
    assert next(steps)[1:] == ("", "a")  # A first, B not started
    with pytest.raises(ValueError, match="wait until both answers are complete"):
        chat.arena_vote(studio, owner, "run1", "base", "a", model_id=models.TINY_ID)
    shown = list(steps)
    a_text, b_text, answering = shown[-1]
    assert answering is None and [step.answering for step in shown[-2:]] == ["b", None]
    assert all(step.b == "" and step.answering == "a" for step in shown if step.a != a_text)  # B starts once A ends
    with studio.pool.use(run.quant_key, run.adapter_dir) as model:
        assert generate(model, tokenizer, [prompt], SAMPLED) == [a_text]
    with studio.pool.use(BASE_KEY) as model:
        assert generate(model, tokenizer, [prompt], SAMPLED) == [b_text]

    with pytest.raises(ValueError, match="the answers shown are from run1 · .* vs 4-bit base"):
        chat.arena_vote(studio, owner, "base", "run1", "a", model_id=models.TINY_ID)  # not the pair that answered
    pair = ("base:tiny/llama", "run1")  # sorted: run1 is the pair's second
    tally = chat.arena_vote(studio, owner, "run1", "base", "a", model_id=models.TINY_ID)  # A = run1 wins
    assert studio.session(owner).arena == {pair: {"a": 0, "b": 1, "tie": 0}}
    assert tally == [{"pair": pair, "labels": ("4-bit base (NF4 + DQ) · tiny/llama",
                                               "run1 · 4-bit + LoRA (NF4 + DQ) · tiny/llama"),
                      "wins": (0, 1), "ties": 0, "total": 1}]
    with pytest.raises(ValueError, match="this prompt already has its vote"):
        chat.arena_vote(studio, owner, "run1", "base", "b", model_id=models.TINY_ID)

    for a, b, winner in [("base", "run1", "a"), ("base", "run1", "tie"), ("run1", "base", "b")]:
        list(chat.arena_stream(studio, owner, a, b, prompt, Decoding(max_new_tokens=2), model_id=models.TINY_ID))
        chat.arena_vote(studio, owner, a, b, winner, model_id=models.TINY_ID)
    list(chat.arena_stream(studio, owner, "full", "base", prompt, Decoding(max_new_tokens=2), model_id=models.TINY_ID))
    tally = chat.arena_vote(studio, owner, "full", "base", "a", model_id=models.TINY_ID)
    assert studio.session(owner).arena == {pair: {"a": 2, "b": 1, "tie": 1},
                                           ("base:tiny/llama", "full:tiny/llama"): {"a": 0, "b": 1, "tie": 0}}
    assert [(row["wins"], row["ties"], row["total"]) for row in tally] == [((0, 1), 0, 1), ((2, 1), 1, 4)]
    assert tally[0]["labels"][1] == "random fp32 (tiny) · tiny/llama"


def test_arena_refusals(trained):
    studio, owner = trained
    with pytest.raises(ValueError, match="pick two different models or adapters"):
        chat.arena_stream(studio, owner, "base", "base", "hi", SAMPLED, model_id=models.TINY_ID)
    with pytest.raises(ValueError, match="type a prompt for both models"):
        chat.arena_stream(studio, owner, "base", "run1", "  ", SAMPLED, model_id=models.TINY_ID)
    with pytest.raises(ValueError, match="no run 'run7'"):
        chat.arena_stream(studio, owner, "base", "run7", "hi", SAMPLED, model_id=models.TINY_ID)
    with pytest.raises(ValueError, match="a vote is 'a', 'b' or 'tie', got 'c'"):
        chat.arena_vote(studio, owner, "base", "run1", "c", model_id=models.TINY_ID)


def test_the_arena_keeps_at_most_its_pairs(trained):
    studio, owner = trained
    session = studio.session(owner)
    saved = dict(session.arena)
    limit = (studio.max_runs + 2) ** 2
    session.arena.clear()
    session.arena.update({(f"x{i}", f"y{i}"): {"a": 1, "b": 0, "tie": 0} for i in range(limit)})
    try:
        list(chat.arena_stream(studio, owner, "base", "run1", "hi", Decoding(max_new_tokens=2), model_id=models.TINY_ID))
        with pytest.raises(ValueError, match=f"the arena keeps at most {limit} pairs per session"):
            chat.arena_vote(studio, owner, "base", "run1", "tie", model_id=models.TINY_ID)
    finally:
        session.arena.clear()
        session.arena.update(saved)


def test_choices_list_both_built_ins_then_the_runs(trained):
    studio, owner = trained
    assert chat.choices(studio, owner, models.TINY_ID) == [
        ("random fp32 (tiny) · tiny/llama", "full"), ("4-bit base (NF4 + DQ) · tiny/llama", "base"),
        ("run1 · 4-bit + LoRA (NF4 + DQ) · tiny/llama", "run1")]
    assert [value for _, value in chat.choices(studio, None, models.TINY_ID)] == ["full", "base"]

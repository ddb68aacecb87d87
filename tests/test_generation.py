"""Generation for the compare view: greedy is deterministic and batch-independent; sampling is seeded."""

from __future__ import annotations

import threading

import pytest
import torch

from playground.generation import Decoding, generate

PROMPTS = ["What is the capital of France?", "Name a color.", "How do I bake bread?"]


def test_greedy_batch_equals_one_by_one(smollm):
    batched = generate(smollm.model, smollm.tokenizer, PROMPTS, Decoding(max_new_tokens=12))
    single = [generate(smollm.model, smollm.tokenizer, [p], Decoding(max_new_tokens=12))[0] for p in PROMPTS]
    assert batched == single
    assert batched[0].startswith("The capital of France is Paris")


def test_sampling_is_repeatable_with_a_seed(tiny):
    sampled = [generate(tiny.model, tiny.tokenizer, PROMPTS[:2], Decoding(max_new_tokens=8, temperature=1.0, seed=s))
               for s in (1, 1, 2)]
    assert sampled[0] == sampled[1] != sampled[2]


def test_sampling_draws_from_its_own_generator_whatever_runs_beside_it(tiny):
    """The same seed gives the same answers while the global RNG is drawn from at every step, and while other
    threads reseed and draw from it and sample with another seed; sampling leaves the global RNG untouched."""
    def sample(seed: int) -> list[str]:
        return generate(tiny.model, tiny.tokenizer, PROMPTS[:2], Decoding(max_new_tokens=8, temperature=1.0, seed=seed))

    state = torch.get_rng_state()
    alone, other_alone = sample(7), sample(8)
    assert torch.equal(torch.get_rng_state(), state) and alone != other_alone

    def draw_before_each_token(*_) -> None:
        torch.rand(3)

    hook = tiny.model.register_forward_pre_hook(draw_before_each_token)
    try:
        assert sample(7) == alone
    finally:
        hook.remove()

    started, done, beside = threading.Barrier(3), threading.Event(), []

    def draw_globally():
        started.wait()
        while not done.is_set():
            torch.manual_seed(int(torch.randint(0, 1000, ())))
            torch.rand(1000)

    def sample_beside():
        started.wait()
        while not done.is_set():
            beside.append(sample(8))

    threads = [threading.Thread(target=draw_globally), threading.Thread(target=sample_beside)]
    for thread in threads:
        thread.start()
    started.wait()  # both are running when the seeded call starts, and go on until it has ended
    try:
        concurrent = sample(7)
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert concurrent == alone
    assert beside and all(answers == other_alone for answers in beside)


def test_answers_stop_at_max_new_tokens(tiny):
    answer = generate(tiny.model, tiny.tokenizer, ["hi"], Decoding(max_new_tokens=5))[0]
    assert len(tiny.tokenizer(answer, add_special_tokens=False)["input_ids"]) <= 8


@pytest.mark.parametrize("kwargs, message", [({"max_new_tokens": 0}, "max_new_tokens"),
                                             ({"temperature": -1.0}, "temperature"),
                                             ({"seed": 2**32}, "seed must be a whole number from 0 to 4294967295"),
                                             ({"seed": 1.5}, "seed must be a whole number")])
def test_bad_decoding_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Decoding(**kwargs)


CONVERSATION = [{"role": "user", "content": "What is the capital of France?"},
                {"role": "assistant", "content": "Paris."},
                {"role": "user", "content": "And of Italy? Answer with a sentence about its history."}]


@pytest.mark.parametrize("loaded, decoding", [("smollm", Decoding(max_new_tokens=16)),
                                               ("tiny", Decoding(max_new_tokens=16, temperature=1.0, seed=3))],
                         ids=["greedy", "sampled"])
def test_stream_grows_to_the_answer_generate_gives(request, loaded, decoding):
    """Greedy with the real model (the random tiny one ends its greedy answers at once), sampled with the tiny one."""
    from playground.generation import stream

    model = request.getfixturevalue(loaded)
    pieces = list(stream(model.model, model.tokenizer, CONVERSATION, decoding))
    answer = generate(model.model, model.tokenizer, [CONVERSATION], decoding)[0]
    assert pieces[-1] == answer and len(answer) > 10
    assert all(later.startswith(earlier) for earlier, later in zip(pieces, pieces[1:]))
    assert len(pieces) >= 4  # piece by piece as the tokens come, not one piece at the end


def test_stream_of_the_real_model_says_paris(smollm):
    from playground.generation import stream

    pieces = list(stream(smollm.model, smollm.tokenizer, CONVERSATION[:1], Decoding(max_new_tokens=12)))
    assert pieces[-1].startswith("The capital of France is Paris")
    assert pieces[0] == "The" and pieces[1] == "The capital"


def test_closing_a_stream_ends_its_generation_at_once(tiny):
    from playground.generation import stream

    steps = []
    hook = tiny.model.register_forward_pre_hook(lambda *_: steps.append(1))
    try:
        before = threading.active_count()
        pieces = stream(tiny.model, tiny.tokenizer, CONVERSATION, Decoding(max_new_tokens=256, temperature=1.0, seed=1))
        first = next(pieces)
        pieces.close()  # returns once the generating thread has ended
        assert isinstance(first, str) and threading.active_count() == before
        assert len(steps) < 256  # stopped long before its max_new_tokens
    finally:
        hook.remove()


def test_a_stop_event_ends_the_stream_early(tiny):
    from playground.generation import stream

    stop = threading.Event()
    seen = []
    for text in stream(tiny.model, tiny.tokenizer, CONVERSATION, Decoding(max_new_tokens=200, temperature=1.0, seed=1),
                       stop):
        seen.append(text)
        stop.set()
    full = generate(tiny.model, tiny.tokenizer, [CONVERSATION], Decoding(max_new_tokens=200, temperature=1.0, seed=1))
    assert len(tiny.tokenizer(seen[-1]).input_ids) < len(tiny.tokenizer(full[0]).input_ids)

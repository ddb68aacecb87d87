"""Generation for the compare view: greedy is deterministic and batch-independent; sampling is seeded."""

from __future__ import annotations

import pytest

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

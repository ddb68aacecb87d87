"""Built-in data, upload parsing, chat template with response-only labels, held-out metrics."""

from __future__ import annotations

import json

import pytest

from playground import datasets
from playground.datasets import IGNORE_INDEX, example
from playground.settings import LIMITS


@pytest.mark.parametrize("name", sorted(datasets.BUILT_INS))
def test_built_ins_have_disjoint_train_and_held_out_splits(name):
    data = datasets.built_in(name)
    assert len(data.train) >= 80 and len(data.test) >= 16
    assert not {e.user_text for e in data.train} & {e.user_text for e in data.test}
    perfect = data.metric([e.response for e in data.test], list(data.test))
    assert perfect["score"] == 1.0


def test_metrics_score_the_behaviour():
    pirate = datasets.built_in("pirate")
    tests = list(pirate.test[:2])
    assert datasets.pirate_metric(["The capital of Peru is Lima.", "Arr, matey! It be Lima."], tests)["score"] == 0.5
    person = example("x", json.dumps({"name": "Ana", "age": 30, "job": "chef", "city": "Oslo"}))
    scored = datasets.json_metric(['```json\n{"name": "Ana", "age": 31, "job": "chef", "city": "Oslo"}\n```'], [person])
    assert scored == {"score": 0.75, "valid_json": 1.0}
    assert datasets.json_metric(["not json"], [person]) == {"score": 0.0, "valid_json": 0.0}
    review = example("x", "Sentiment: negative")
    assert datasets.sentiment_metric(["Sentiment: positive", "Sentiment: negative"], [review, review]) == {
        "score": 0.5, "format": 1.0}


def test_unknown_built_in_names_the_choices():
    with pytest.raises(ValueError, match="json-extract"):
        datasets.built_in("nope")


def test_jsonl_with_messages_and_instruction_rows():
    text = "\n".join([
        json.dumps({"instruction": "Hi", "response": "Hello"}),
        json.dumps({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q"},
                                 {"role": "assistant", "content": "A"}]}),
    ])
    parsed = datasets.parse_upload("mine.jsonl", text.encode())
    assert [e.response for e in parsed] == ["Hello", "A"]
    assert parsed[1].prompt[0] == {"role": "system", "content": "Be brief."}


def test_csv_and_pasted():
    parsed = datasets.parse_upload("d.csv", b"instruction,response\nq1,a1\n\"q, 2\",a2\n")
    assert [(e.user_text, e.response) for e in parsed] == [("q1", "a1"), ("q, 2", "a2")]
    pasted = datasets.parse_pasted("one ||| 1\ntwo ||| 2\n")
    assert [e.response for e in pasted] == ["1", "2"]


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("d.jsonl", b'{"instruction": "a", "response": "b"}\n{broken\n', "line 2 is not valid JSON"),
        ("d.jsonl", b'{"prompt": "a", "answer": "b"}\n{"prompt": "c", "answer": "d"}\n', "missing column"),
        ("d.jsonl", b'{"instruction": "a", "response": "b"}\n', "at least 2"),
        ("d.jsonl", b"", "0 example"),
        ("d.csv", b"question,answer\na,b\nc,d\n", "'instruction' and 'response' columns"),
        ("d.csv", b"instruction,response\na,\nc,d\n", "non-empty"),
        ("d.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
        ("d.jsonl", b'{"instruction": "caf\xe9", "response": "b"}', "not UTF-8"),
        ("d.exe", b"instruction,response\na,b\n", "unsupported file type"),
        ("d.jsonl", b'{"messages": [{"role": "user", "content": "a"}]}\n' * 2, "at least a user and an assistant"),
    ],
)
def test_bad_uploads_get_clear_messages(name, data, message):
    with pytest.raises(ValueError, match=message):
        datasets.parse_upload(name, data)


def test_upload_over_the_size_limit_is_refused():
    with pytest.raises(ValueError, match="limit"):
        datasets.parse_upload("d.jsonl", b" " * (LIMITS.max_upload_bytes + 1))


def test_file_names_are_only_read_for_their_suffix():
    parsed = datasets.parse_upload("../../etc/passwd.jsonl", b'{"instruction": "a", "response": "b"}\n' * 2)
    assert len(parsed) == 2


def test_labels_cover_only_the_answer(tiny):
    tokenizer = tiny.tokenizer
    item = example("What is 2 plus 2?", "Arr, matey! 4.")
    tokenized = datasets.tokenize_example(tokenizer, item)
    prompt = datasets.prompt_ids(tokenizer, item.prompt)
    assert len(tokenized.input_ids) == len(tokenized.labels)
    assert tokenized.labels[: len(prompt)] == [IGNORE_INDEX] * len(prompt)
    answer = [token for token in tokenized.labels if token != IGNORE_INDEX]
    assert tokenizer.decode(answer) == "Arr, matey! 4.<|im_end|>\n"
    assert tokenized.input_ids[len(prompt):] == answer


def test_examples_longer_than_max_length_are_left_out(tiny):
    short, long = example("a", "b"), example("a", "word " * 200)
    kept, skipped = datasets.tokenize(tiny.tokenizer, [short, long], max_length=64)
    assert len(kept) == 1 and skipped == 1


def test_user_dataset_holds_out_the_last_tenth():
    items = [example(f"q{i}", f"a{i}") for i in range(20)]
    data = datasets.user_dataset(items)
    assert len(data.train) == 18 and [e.response for e in data.test] == ["a18", "a19"]
    assert data.metric(["A18 ", "x"], list(data.test)) == {"score": 0.5}


def test_the_pirate_held_out_prompts_are_ones_the_voice_metric_judges():
    """No sums (every small model gets them wrong, and the metric does not judge them): questions where talking
    like a pirate is the thing measured; the first three, which the compare view asks, are greetings and chat."""
    pirate = datasets.built_in("pirate")
    assert not [e.user_text for e in pirate.test if any(ch.isdigit() for ch in e.user_text)]
    assert [e.user_text for e in pirate.test[:3]] == [
        "Greet a new member of the crew.", "Tell me about your favourite food.", "Say good morning to me."]
    plain = ["Welcome to the team! We are glad to have you.", "I like pasta with tomato sauce.", "Good morning!"]
    assert datasets.pirate_metric(plain, list(pirate.test[:3]))["score"] == 0.0
    assert datasets.pirate_metric([e.response for e in pirate.test[:3]], list(pirate.test[:3]))["score"] == 1.0

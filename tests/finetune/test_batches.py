"""Batches: padded to their own longest example, with no loss on pads; shuffled epochs that cover every example."""

from __future__ import annotations

import itertools

from playground.datasets import IGNORE_INDEX, Tokenized
from playground.finetune.batches import pad_batch, shuffled_batches


def test_a_batch_is_right_padded_to_its_longest_example():
    items = [Tokenized([5, 6, 7, 8], [IGNORE_INDEX, IGNORE_INDEX, 7, 8]), Tokenized([5, 9], [IGNORE_INDEX, 9])]
    batch = pad_batch(items, pad_id=0, device="cpu")
    assert batch["input_ids"].tolist() == [[5, 6, 7, 8], [5, 9, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 1], [1, 1, 0, 0]]
    assert batch["labels"].tolist() == [[IGNORE_INDEX, IGNORE_INDEX, 7, 8], [IGNORE_INDEX, 9, IGNORE_INDEX, IGNORE_INDEX]]


def test_shuffled_batches_cover_each_epoch_and_repeat_a_small_dataset():
    items = [Tokenized([i], [i]) for i in range(6)]
    epoch = list(itertools.chain.from_iterable(itertools.islice(shuffled_batches(items, 3, seed=0), 2)))
    assert sorted(item.input_ids[0] for item in epoch) == list(range(6))
    again = list(itertools.chain.from_iterable(itertools.islice(shuffled_batches(items, 3, seed=0), 2)))
    assert again == epoch  # the seed fixes the order
    small = next(shuffled_batches(items[:2], 5, seed=1))
    assert len(small) == 5 and {item.input_ids[0] for item in small} == {0, 1}

"""Batches for training and evaluation: shuffled epochs of tokenized examples, each batch padded to its
own longest example (never to max_length), so short data costs short steps.

    prompt p p, answer a a ─►  input_ids [p p a a]   attention_mask [1 1 1 1]   labels [- - a a]
    prompt p,   answer b   ─►            [p b P P]                  [1 1 0 0]          [- b - -]
                               P: the tokenizer's pad id, -: IGNORE_INDEX (no loss on prompts or pads)
"""

from __future__ import annotations

import random
from typing import Iterator

import torch

from playground.datasets import IGNORE_INDEX, Tokenized


def pad_batch(items: list[Tokenized], pad_id: int, device: str) -> dict[str, torch.Tensor]:
    """Right-pad to the longest example in this batch; pad labels are IGNORE_INDEX."""
    width = max(len(item.input_ids) for item in items)
    input_ids = [item.input_ids + [pad_id] * (width - len(item.input_ids)) for item in items]
    labels = [item.labels + [IGNORE_INDEX] * (width - len(item.labels)) for item in items]
    mask = [[1] * len(item.input_ids) + [0] * (width - len(item.input_ids)) for item in items]
    return {
        "input_ids": torch.tensor(input_ids, device=device),  # (B, T)
        "attention_mask": torch.tensor(mask, device=device),  # (B, T)
        "labels": torch.tensor(labels, device=device),  # (B, T)
    }


def shuffled_batches(items: list[Tokenized], batch_size: int, seed: int) -> Iterator[list[Tokenized]]:
    """Endless shuffled epochs, reshuffled each pass; a dataset smaller than a batch is repeated within it."""
    rng = random.Random(seed)
    order: list[int] = []
    while True:
        while len(order) < batch_size:
            epoch = list(range(len(items)))
            rng.shuffle(epoch)
            order.extend(epoch)
        chosen, order = order[:batch_size], order[batch_size:]
        yield [items[i] for i in chosen]

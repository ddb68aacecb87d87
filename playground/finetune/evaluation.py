"""How a run is scored: the loss per answer token (for training and on the held-out split), and the
dataset's own metric on generated answers, taken before (adapter off) and after training.
"""

from __future__ import annotations

import torch

from playground.datasets import IGNORE_INDEX, Dataset, Tokenized
from playground.finetune import train_ops
from playground.finetune.batches import pad_batch
from playground.generation import Decoding, generate


def batch_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean loss per answer token of one batch: on answer positions only where the model allows it
    (`train_ops.answer_token_loss`, equal to the model's own loss), else the model's own loss."""
    if train_ops.supports_answer_loss(model):
        return train_ops.answer_token_loss(model, **batch)
    return model(**batch).loss


@torch.no_grad()
def eval_loss(model, items: list[Tokenized], pad_id: int, device: str, batch_size: int = 8) -> float:
    """Mean loss per answer token on the held-out split."""
    was_training = model.training
    model.eval()
    total, count = torch.zeros((), device=device), 0
    for start in range(0, len(items), batch_size):
        batch = pad_batch(items[start:start + batch_size], pad_id, device)
        tokens = sum(sum(label != IGNORE_INDEX for label in item.labels[1:]) for item in items[start:start + batch_size])
        total += batch_loss(model, batch).float() * tokens
        count += tokens
    model.train(was_training)
    return float(total) / max(count, 1)


def held_out_metric(model, tokenizer, dataset: Dataset, count: int, decoding: Decoding | None = None) -> dict[str, float]:
    """The dataset's metric on the answers to its first `count` held-out prompts."""
    examples = list(dataset.test[:count])
    decoding = decoding or Decoding(max_new_tokens=dataset.max_new_tokens)
    answers = generate(model, tokenizer, [e.prompt for e in examples], decoding)
    return {name: round(value, 4) for name, value in dataset.metric(answers, examples).items()}

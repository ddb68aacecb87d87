"""Answering prompts with a chat model: the same decoding for every model the Studio compares.

    prompt ─► chat template (+ assistant header) ─► left-padded batch ─► model.generate ─► new tokens only
    conversation ─► chat template ─► model.generate in a thread ─► the answer so far, token by token (`stream`)

Greedy by default, so the full-precision, 4-bit and 4-bit + LoRA answers differ only because the
weights differ. With a temperature > 0 it samples from a private generator seeded per call, never
from torch's global one, so a comparison repeats whatever else runs at the same time.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Iterator

import torch

from playground.checks import MAX_SEED, check_whole_number
from playground.datasets import prompt_ids
from playground.i18n import t

MAX_NEW_TOKENS = 256  # upper bound on what a caller may ask for


@dataclass(frozen=True)
class Decoding:
    max_new_tokens: int = field(default=64, metadata={"label_key": "studio.form.max_new_tokens"})
    temperature: float = field(default=0.0, metadata={"label_key": "studio.form.temperature"})  # 0: greedy
    seed: int = field(default=0, metadata={"label_key": "studio.form.seed"})

    def __post_init__(self) -> None:
        check_whole_number(t("studio.field.seed"), self.seed, 0, MAX_SEED)
        if not 1 <= self.max_new_tokens <= MAX_NEW_TOKENS:
            raise ValueError(t("studio.err.max_new_tokens", high=MAX_NEW_TOKENS, value=self.max_new_tokens))
        if not 0.0 <= self.temperature <= 2.0:
            raise ValueError(t("studio.err.temperature", value=self.temperature))


def _device_of(model) -> torch.device:
    return next(model.parameters()).device


class _Sample:
    """A logits processor that draws the next token from softmax(scores / temperature) with `generator` and
    leaves only that token finite, so generate's greedy step picks it (transformers samples from the global RNG)."""

    def __init__(self, temperature: float, generator: torch.Generator):
        self.temperature, self.generator = temperature, generator

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        probs = torch.softmax(scores.float() / self.temperature, dim=-1)  # (B, V)
        tokens = torch.multinomial(probs, 1, generator=self.generator)  # (B, 1)
        return torch.full_like(scores, -math.inf).scatter_(1, tokens, 0.0)


@torch.no_grad()
def generate(model, tokenizer, prompts: list[str] | list[list[dict]], decoding: Decoding = Decoding(),
             batch_size: int = 16) -> list[str]:
    """Answers for `prompts` (user texts or message lists), in order, without the prompt."""
    conversations = [[{"role": "user", "content": p}] if isinstance(p, str) else p for p in prompts]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    device = _device_of(model)
    sampling = [_Sample(decoding.temperature, torch.Generator(device=device).manual_seed(decoding.seed))
                ] if decoding.temperature > 0 else []
    was_training = model.training
    model.eval()
    answers: list[str] = []
    try:
        for start in range(0, len(conversations), batch_size):
            encoded = [prompt_ids(tokenizer, c) for c in conversations[start:start + batch_size]]
            width = max(len(ids) for ids in encoded)
            input_ids = torch.tensor([[pad_id] * (width - len(ids)) + ids for ids in encoded], device=device)  # (B, T)
            attention_mask = torch.tensor(
                [[0] * (width - len(ids)) + [1] * len(ids) for ids in encoded], device=device
            )  # (B, T)
            output = model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                max_new_tokens=decoding.max_new_tokens,
                do_sample=False,
                logits_processor=sampling,
                temperature=None,
                top_p=None,
                top_k=None,
                eos_token_id=tokenizer.eos_token_id,
                pad_token_id=pad_id,
            )  # (B, T + new)
            new_tokens = output[:, width:]
            answers.extend(tokenizer.batch_decode(new_tokens, skip_special_tokens=True))
    finally:
        model.train(was_training)
    return [answer.strip() for answer in answers]


class _Stop:
    """A stopping criterion that ends generation at the next token once `event` is set (the reader is gone)."""

    def __init__(self, event: threading.Event):
        self.event = event

    def __call__(self, input_ids: torch.Tensor, scores, **kwargs) -> torch.Tensor:
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)


def stream(model, tokenizer, messages: list[dict], decoding: Decoding = Decoding(),
           stop_event: threading.Event | None = None) -> Iterator[str]:
    """The answer to one conversation (`messages`, through the chat template), as it grows: each item is the
    text so far, the last one exactly what `generate` answers for the same conversation and decoding.

    The model generates in its own thread (transformers' TextIteratorStreamer hands its pieces over); setting
    `stop_event`, or closing this iterator, ends the generation at the next token, and the iterator returns
    only once that thread has ended, so a caller holding the model (the pool's lock) may release it then.
    """
    from transformers import StoppingCriteriaList, TextIteratorStreamer

    stop_event = stop_event or threading.Event()
    ids = prompt_ids(tokenizer, messages)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    device = _device_of(model)
    sampling = [_Sample(decoding.temperature, torch.Generator(device=device).manual_seed(decoding.seed))
                ] if decoding.temperature > 0 else []
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    outcome: dict = {}

    @torch.no_grad()
    def work() -> None:
        try:
            output = model.generate(
                input_ids=torch.tensor([ids], device=device),  # (1, T)
                attention_mask=torch.ones((1, len(ids)), dtype=torch.long, device=device),
                max_new_tokens=decoding.max_new_tokens,
                do_sample=False,
                logits_processor=sampling,
                stopping_criteria=StoppingCriteriaList([_Stop(stop_event)]),
                temperature=None,
                top_p=None,
                top_k=None,
                eos_token_id=tokenizer.eos_token_id,
                pad_token_id=pad_id,
                streamer=streamer,
            )  # (1, T + new)
            outcome["answer"] = tokenizer.decode(output[0, len(ids):], skip_special_tokens=True).strip()
        except BaseException as err:  # noqa: BLE001 - raised again in the reader's thread
            outcome["error"] = err
            streamer.end()

    was_training = model.training
    model.eval()
    thread = threading.Thread(target=work, name="generation-stream", daemon=True)
    thread.start()
    shown = None
    try:
        so_far = ""
        for piece in streamer:
            so_far += piece
            if piece and so_far.strip() != shown:
                shown = so_far.strip()
                yield shown
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        if outcome["answer"] != shown:  # the whole answer decoded at once (the pieces may differ in spacing)
            yield outcome["answer"]
    finally:
        stop_event.set()  # closed early: the generation ends at its next token
        thread.join()
        model.train(was_training)

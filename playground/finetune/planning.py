"""The plan of a run, made before anything heavy loads: what it trains on, the memory it will need, and
about how long it will take.

    config + dataset + tokenizer ─► tokenize both splits once (examples over max_length left out)
                                 ─► ModelShape from the model's config.json (no weights read)
                                 ─► memory.estimate_memory: fits? ("auto" checkpointing: try keeping
                                    activations, recompute blocks only when that would not fit)
                                 ─► memory.estimate_seconds ─► Plan

Every way a run could fail early (no CUDA, nothing fits max_length, not enough memory) is a ValueError
here, so the UI can refuse a run, and show the estimate, without loading a model.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from playground import datasets, models
from playground.datasets import Dataset, Tokenized
from playground.finetune import memory
from playground.finetune.config import FinetuneConfig
from playground.i18n import t
from playground.shapes import ModelShape


@dataclass(frozen=True)
class Plan:
    """What `plan` decided for a run."""

    train: list[Tokenized]
    test: list[Tokenized]
    skipped: int  # examples of either split longer than max_length, left out
    estimate: memory.MemoryEstimate
    gradient_checkpointing: bool  # "auto" resolved
    estimated_seconds: float

    def check_work(self, max_seconds: float | None) -> None:
        """A ValueError naming the estimate and the cap when the training would take longer than `max_seconds`."""
        if max_seconds is not None and self.estimated_seconds > max_seconds:
            raise ValueError(t("studio.err.work_cap", seconds=f"{self.estimated_seconds:,.0f}",
                               device=self.estimate.device, cap=f"{max_seconds:,.0f}"))


def model_shape(model_id: str) -> ModelShape:
    return ModelShape.from_config(models.model_config(model_id))  # config.json only, no weights downloaded


def plan(config: FinetuneConfig, dataset: Dataset, tokenizer) -> Plan:
    """Tokenize and estimate, before anything heavy; a ValueError for a run that cannot go ahead."""
    device = config.resolved_device
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(t("studio.err.no_cuda", device=repr(device)))
    train, skipped_train = datasets.tokenize(tokenizer, dataset.train, config.max_length)
    test, skipped_test = datasets.tokenize(tokenizer, dataset.test, config.max_length)
    if not train:
        raise ValueError(t("studio.err.all_too_long", count=len(dataset.train), max_length=config.max_length))
    if not test:
        raise ValueError(t("studio.err.held_out_too_long", max_length=config.max_length))
    shape = model_shape(config.model_id)
    settings = dict(rank=config.rank, target_modules=config.target_modules, batch_size=config.batch_size,
                    max_length=max(len(item.input_ids) for item in train), double_quant=config.double_quant,
                    compute_dtype=models.compute_dtype_for(device), device=device)
    checkpointing = config.gradient_checkpointing == "on"
    estimate = memory.estimate_memory(shape, gradient_checkpointing=checkpointing, **settings)
    if not estimate.fits and config.gradient_checkpointing == "auto":
        with_checkpointing = memory.estimate_memory(shape, gradient_checkpointing=True, **settings)
        if with_checkpointing.fits:
            estimate, checkpointing = with_checkpointing, True
    if not estimate.fits:
        raise ValueError(t("studio.err.no_fit", summary=estimate.summary()))
    mean_length = sum(len(item.input_ids) for item in train) / len(train)
    seconds = memory.estimate_seconds(shape, steps=config.steps, batch_size=config.batch_size,
                                      grad_accum=config.grad_accum, mean_length=mean_length, device=device,
                                      gradient_checkpointing=checkpointing)
    return Plan(train, test, skipped_train + skipped_test, estimate, checkpointing, seconds)

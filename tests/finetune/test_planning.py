"""The plan made before a run: the splits it trains on, the estimate, and the runs it refuses."""

from __future__ import annotations

import dataclasses

import pytest

from playground import models
from playground.datasets import built_in
from playground.finetune import FinetuneConfig, Plan, memory, plan


def test_the_plan_holds_the_tokenized_splits_and_the_estimate():
    config = FinetuneConfig(model_id=models.TINY_ID, device="cpu", max_length=96, gradient_checkpointing="auto")
    dataset = built_in("pirate")
    planned = plan(config, dataset, models.load_tokenizer(config.model_id))
    assert isinstance(planned, Plan)
    assert [f.name for f in dataclasses.fields(Plan)] == [
        "train", "test", "skipped", "estimate", "gradient_checkpointing", "estimated_seconds"]
    assert len(planned.train) + len(planned.test) + planned.skipped == len(dataset.train) + len(dataset.test)
    assert all(len(item.input_ids) <= config.max_length for item in [*planned.train, *planned.test])
    # "auto" keeps the activations when the run fits that way
    assert planned.estimate.fits and planned.gradient_checkpointing is False and planned.estimated_seconds > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        planned.skipped = 0


def test_a_run_that_cannot_fit_is_refused_with_the_estimate(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda device: 1 << 30)
    config = FinetuneConfig(model_id=models.BUNDLED_ID, batch_size=64, max_length=4096)
    with pytest.raises(ValueError, match="would not fit in memory: estimated .* GiB of 1.0 GiB"):
        plan(config, built_in("pirate"), models.load_tokenizer(models.BUNDLED_ID))

"""The memory estimate against peft's parameter counts and the sizes bitsandbytes really allocates."""

from __future__ import annotations

import pytest
import torch

from playground import datasets, models
from playground import shapes
from playground.finetune import memory
from playground.finetune import ALL_PROJECTIONS, FinetuneConfig, model_shape
from playground.datasets import built_in


def test_smollm_shape_and_lora_count():
    shape = model_shape(models.BUNDLED_ID)
    assert (shape.hidden, shape.intermediate, shape.layers, shape.heads, shape.kv_heads) == (576, 1536, 30, 9, 3)
    assert shape.quantized_params + shape.unquantized_params == 134_515_008
    assert shapes.lora_param_count(shape, 8, ALL_PROJECTIONS) == 2_442_240 == 305_280 * 8
    assert shapes.lora_param_count(shape, 4, ("q_proj", "v_proj")) == 57_600 * 4


def test_lora_count_matches_peft(tiny):
    from peft import LoraConfig, get_peft_model

    base = models.load_4bit(models.TINY_ID, device="cpu")
    peft_model = get_peft_model(base, LoraConfig(r=4, target_modules=list(ALL_PROJECTIONS)))
    trainable, _ = peft_model.get_nb_trainable_parameters()
    assert shapes.lora_param_count(model_shape(models.TINY_ID), 4, ALL_PROJECTIONS) == trainable


def test_weight_bytes_match_the_loaded_4bit_model():
    shape = model_shape(models.BUNDLED_ID)
    estimate = memory.estimate_memory(shape, rank=8, target_modules=ALL_PROJECTIONS, batch_size=1, max_length=16,
                                      double_quant=True, compute_dtype=torch.float32, device="cpu", available=1 << 40)
    model = models.load_4bit(models.BUNDLED_ID, device="cpu")
    actual = sum(p.numel() * p.element_size() for p in model.parameters())
    actual += sum(b.numel() * b.element_size() for b in model.buffers() if b.dtype != torch.float32 or b.numel() > 64)
    assert abs(estimate.weights_bytes - actual) / actual < 0.05, (estimate.weights_bytes, actual)
    # without double quantization the constants cost 0.5 instead of 0.127 bits per quantized parameter
    plain = memory.estimate_memory(shape, rank=8, target_modules=ALL_PROJECTIONS, batch_size=1, max_length=16,
                                   double_quant=False, compute_dtype=torch.float32, device="cpu", available=1 << 40)
    saved_bits = (plain.weights_bytes - estimate.weights_bytes) * 8 / shape.quantized_params
    assert abs(saved_bits - (0.5 - 0.126953125)) < 1e-3


def test_activations_grow_with_batch_and_length_and_checkpointing_shrinks_them():
    shape = model_shape(models.BUNDLED_ID)
    base = dict(rank=8, target_modules=ALL_PROJECTIONS, double_quant=True, compute_dtype=torch.float32, device="cpu",
                available=1 << 40)
    small = memory.estimate_memory(shape, batch_size=4, max_length=64, **base)
    double_batch = memory.estimate_memory(shape, batch_size=8, max_length=64, **base)
    checkpointed = memory.estimate_memory(shape, batch_size=8, max_length=64, gradient_checkpointing=True, **base)
    # the blocks' share doubles; the logits stay one chunk of answer rows (170 rows of 49,152 for SmolLM2)
    blocks = memory.kept_activation_bytes(shape, 4 * 64, 4, ALL_PROJECTIONS, gradient_checkpointing=False)
    assert double_batch.activations_bytes - small.activations_bytes == blocks
    logits = 3 * 170 * 49152 * 4  # float32 logits, softmax and gradient of one chunk
    dequantized = 2 * 576 * 1536 * 4  # the largest weight, dequantized, and its transpose
    assert shape.plain_head and small.activations_bytes - blocks == logits + dequantized
    assert checkpointed.activations_bytes < double_batch.activations_bytes / 3
    assert small.optimizer_bytes == 2_442_240 * 8
    assert small.fits and not memory.estimate_memory(shape, batch_size=8, max_length=64, **{**base, "available": 1 << 28}).fits


@pytest.mark.parametrize("checkpointing", [False, True])
def test_kept_activations_match_what_autograd_keeps_on_smollm(checkpointing):
    """The estimate's activation term against the bytes autograd really keeps in the engine's forward pass."""
    from playground import finetune
    from playground.finetune import train_ops
    from playground.finetune.batches import pad_batch
    from tests.autograd_memory import saved_bytes

    config = FinetuneConfig(model_id=models.BUNDLED_ID, device="cpu", dropout=0.05)
    tokenizer = models.load_tokenizer(config.model_id)
    train, _ = datasets.tokenize(tokenizer, built_in("pirate").train, config.max_length)
    batch = pad_batch(train[:4], tokenizer.pad_token_id, "cpu")
    model = finetune.build_model(config, gradient_checkpointing=checkpointing).train()
    with train_ops.fused_lora(model):
        measured = saved_bytes(lambda: finetune.batch_loss(model, batch), model)
    shape = model_shape(config.model_id)
    estimated = memory.kept_activation_bytes(shape, batch["input_ids"].numel(), 4, ALL_PROJECTIONS, checkpointing)
    assert 0.85 < measured / estimated < 1.15, (measured, estimated)


def test_the_runs_own_peak_is_apart_from_the_runtime_overhead():
    """The estimated peak of this run (what PeakMemory measures) leaves out the process's overhead; the fit
    check adds it back."""
    shape = model_shape(models.BUNDLED_ID)
    estimate = memory.estimate_memory(shape, rank=8, target_modules=ALL_PROJECTIONS, batch_size=4, max_length=64,
                                      double_quant=True, compute_dtype=torch.float32, device="cpu",
                                      gradient_checkpointing=True, available=1 << 40)
    parts = estimate.weights_bytes + estimate.lora_bytes + estimate.optimizer_bytes + estimate.activations_bytes
    assert estimate.run_bytes == parts and estimate.total_bytes == parts + memory.CPU_OVERHEAD_BYTES
    rows = dict(estimate.rows())
    assert rows["estimated peak of this run"] == round(parts / 2**20, 1)
    assert rows["total for the fit check"] == round((parts + memory.CPU_OVERHEAD_BYTES) / 2**20, 1)
    assert estimate.summary().startswith(f"estimated peak of this run {parts / 2**30:.2f} GiB")

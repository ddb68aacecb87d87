"""The fused training operations against the reference path: the model's own loss and peft's LoRA forward."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from playground import datasets
from playground.finetune import train_ops
from playground import finetune as ft
from playground.finetune.batches import pad_batch
from playground import models
from tests.autograd_memory import saved_bytes

TINY = dict(model_id=models.TINY_ID, steps=2, batch_size=4, max_length=96, warmup_steps=1, device="cpu")


def _model_and_batch(dropout: float = 0.0, checkpointing: bool = False):
    """The engine's 4-bit tiny Llama with LoRA (B made non-zero, so the adapter matters) and a real batch."""
    config = ft.FinetuneConfig(**TINY, dropout=dropout)
    tokenizer = models.load_tokenizer(config.model_id)
    train, _ = datasets.tokenize(tokenizer, datasets.built_in("pirate").train, config.max_length)
    model = ft.build_model(config, gradient_checkpointing=checkpointing)
    generator = torch.Generator().manual_seed(1)
    for name, parameter in model.named_parameters():
        if "lora_B" in name:
            parameter.data.normal_(0, 0.05, generator=generator)
    model.train()
    return model, pad_batch(train[:4], tokenizer.pad_token_id, "cpu")


def _loss_and_grads(model, loss_fn):
    model.zero_grad(set_to_none=True)
    loss = loss_fn()
    loss.backward()
    return loss.detach(), {name: p.grad.clone() for name, p in model.named_parameters() if p.requires_grad}


def _assert_same_grads(expected: dict, actual: dict, atol: float = 1e-6) -> None:
    assert expected.keys() == actual.keys() and len(expected) == 2 * 7 * 2  # A and B, 7 projections, 2 layers
    for name in expected:
        torch.testing.assert_close(actual[name], expected[name], rtol=1e-4, atol=atol, msg=name)


def test_answer_token_loss_and_gradients_equal_the_models_own():
    model, batch = _model_and_batch()
    assert train_ops.supports_answer_loss(model)
    reference, reference_grads = _loss_and_grads(model, lambda: model(**batch).loss)
    loss, grads = _loss_and_grads(model, lambda: train_ops.answer_token_loss(model, **batch))
    assert reference.item() > 1  # a real loss, not a degenerate one
    torch.testing.assert_close(loss, reference, rtol=1e-6, atol=1e-6)
    _assert_same_grads(reference_grads, grads)
    with torch.no_grad():  # the eval path: the loss only
        torch.testing.assert_close(train_ops.answer_token_loss(model, **batch), reference, rtol=1e-6, atol=1e-6)


def test_answer_token_loss_chunks_the_vocabulary_rows(monkeypatch):
    model, batch = _model_and_batch()
    whole, whole_grads = _loss_and_grads(model, lambda: train_ops.answer_token_loss(model, **batch))
    monkeypatch.setattr(train_ops, "LOGIT_CHUNK_ELEMENTS", 7 * 49152)  # 7 rows a chunk: many chunks, a short last one
    assert train_ops._chunk_rows(49152) == 7
    chunked, chunked_grads = _loss_and_grads(model, lambda: train_ops.answer_token_loss(model, **batch))
    torch.testing.assert_close(chunked, whole, rtol=1e-6, atol=1e-6)
    _assert_same_grads(whole_grads, chunked_grads)


def test_a_batch_without_answer_tokens_gives_a_zero_loss_that_backpropagates():
    model, batch = _model_and_batch()
    batch["labels"] = torch.full_like(batch["labels"], datasets.IGNORE_INDEX)
    loss = train_ops.answer_token_loss(model, **batch)
    loss.backward()
    assert loss.item() == 0.0


def test_models_whose_head_is_not_plain_use_their_own_loss():
    model, batch = _model_and_batch()
    head = model.get_base_model().get_output_embeddings()
    head.weight.requires_grad_(True)  # a trained head needs a weight gradient, which the fused loss does not give
    assert not train_ops.supports_answer_loss(model)
    head.weight.requires_grad_(False)
    model.get_base_model().config.model_type = "gemma2"  # soft-capped logits
    assert not train_ops.supports_answer_loss(model)
    torch.testing.assert_close(ft.batch_loss(model, batch), model(**batch).loss)


def test_fused_lora_gives_peft_outputs_and_gradients_and_restores_peft():
    model, batch = _model_and_batch()
    reference, reference_grads = _loss_and_grads(model, lambda: model(**batch).loss)
    with train_ops.fused_lora(model) as count:
        assert count == 14
        loss, grads = _loss_and_grads(model, lambda: model(**batch).loss)
    torch.testing.assert_close(loss, reference, rtol=1e-6, atol=1e-6)
    _assert_same_grads(reference_grads, grads)
    assert all("forward" not in vars(layer) for layer in train_ops.peft_lora_layers(model))


def test_fused_lora_defers_to_peft_when_the_adapter_is_off_or_merged():
    model, batch = _model_and_batch()
    model.eval()
    with torch.no_grad():
        with model.disable_adapter():
            base = model(**batch).logits
        with train_ops.fused_lora(model):
            with model.disable_adapter():
                torch.testing.assert_close(model(**batch).logits, base)
            adapted = model(**batch).logits
    assert (adapted - base).abs().max() > 1e-3


def _peft_lora_linears(count: int, d_in: int, d_out: int, p: float):
    from peft import LoraConfig
    from peft.tuners.lora import Linear

    torch.manual_seed(0)
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=p)
    layers = []
    for _ in range(count):
        layer = Linear(nn.Linear(d_in, d_out, bias=False), "default", config=config, r=4, lora_alpha=8)
        layer.base_layer.weight.requires_grad_(False)
        nn.init.normal_(layer.lora_B["default"].weight, std=0.1)
        layers.append(layer.train())
    return layers


def test_lora_branch_with_dropout_equals_peft_with_the_same_mask():
    (layer,) = _peft_lora_linears(1, 48, 40, p=0.25)
    x = torch.randn(3, 5, 48, requires_grad=True)
    grad_out = torch.randn(3, 5, 40)
    lora_a, lora_b = layer.lora_A["default"].weight, layer.lora_B["default"].weight

    with train_ops.fused_lora(nn.ModuleList([layer]), torch.Generator().manual_seed(7)):
        fused = layer(x)
    fused_grads = torch.autograd.grad(fused, (x, lora_a, lora_b), grad_out)

    # the same random bits: peft's arithmetic with this mask
    mask = train_ops.dropout_mask(x.shape, 0.25, x.device, torch.Generator().manual_seed(7))
    assert 0.6 < mask.float().mean() < 0.9
    reference = layer.base_layer(x) + layer.lora_B["default"](layer.lora_A["default"](x * mask / 0.75)) * layer.scaling["default"]
    reference_grads = torch.autograd.grad(reference, (x, lora_a, lora_b), grad_out)
    torch.testing.assert_close(fused, reference)
    for got, expected in zip(fused_grads, reference_grads):
        torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("p", [0.05, 0.5])
def test_dropout_mask_keeps_one_minus_p(p):
    mask = train_ops.dropout_mask(torch.Size([1000, 1000]), p, torch.device("cpu"), torch.Generator().manual_seed(0))
    assert mask.dtype == torch.bool and mask.shape == (1000, 1000)
    assert abs(mask.float().mean().item() - (1 - p)) < 0.002  # binomial std ≤ 0.0005 at a million draws
    assert 0.3 < mask[:, 0].float().mean() < 1 and mask.any(0).all()  # no row or column pattern


@pytest.mark.parametrize("p", [0.05, 0.5])  # drop positions (geometric gaps), then 32 bits per element
def test_dropout_mask_draws_from_its_generator_only(p):
    state = torch.get_rng_state()
    masks = [train_ops.dropout_mask(torch.Size([64, 300]), p, torch.device("cpu"), torch.Generator().manual_seed(seed))
             for seed in (4, 4, 5)]
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(masks[0], masks[1]) and not torch.equal(masks[0], masks[2])


def test_siblings_reading_one_input_keep_it_once_and_the_mask_as_bool():
    """q, k and v read the same x: peft keeps a float32 mask and a dropped copy of x for each (6 × x);
    the fused branch keeps x once plus three bool masks (1.75 × x)."""
    layers = _peft_lora_linears(3, 256, 256, p=0.1)
    x = torch.randn(8, 64, 256, requires_grad=True)
    x_bytes = x.numel() * 4
    run = lambda: [layer(x) for layer in layers]  # noqa: E731
    peft_bytes = saved_bytes(run, nn.ModuleList(layers))
    with train_ops.fused_lora(nn.ModuleList(layers)):
        fused_bytes = saved_bytes(run, nn.ModuleList(layers))
    assert peft_bytes >= 6 * x_bytes
    assert fused_bytes <= 1.8 * x_bytes
    assert fused_bytes < 0.3 * peft_bytes


def test_answer_token_loss_keeps_no_logits():
    """The standard loss keeps float32 logits over the whole vocabulary for every position; the fused one none."""
    model, batch = _model_and_batch()
    batch_logits = batch["input_ids"].numel() * 49152 * 4
    standard = saved_bytes(lambda: model(**batch).loss, model)
    fused = saved_bytes(lambda: train_ops.answer_token_loss(model, **batch), model)
    assert standard > batch_logits
    assert fused < batch_logits / 10


@pytest.mark.parametrize("dropout", [0.0, 0.1])
def test_checkpointed_training_gives_the_same_gradients(dropout):
    """Recomputing a block replays its dropout masks (the run's generator is rewound for it), so the gradients
    match, and the generator then stands where it would without recomputation."""
    results, states = [], []
    for checkpointing in (False, True):
        model, batch = _model_and_batch(dropout=dropout, checkpointing=checkpointing)
        generator = torch.Generator().manual_seed(3)
        with train_ops.fused_lora(model, generator):
            results.append(_loss_and_grads(model, lambda: ft.batch_loss(model, batch)))
        states.append(generator.get_state())
    (loss_kept, grads_kept), (loss_recomputed, grads_recomputed) = results
    torch.testing.assert_close(loss_recomputed, loss_kept)
    _assert_same_grads(grads_kept, grads_recomputed, atol=1e-5)
    assert torch.equal(states[1], states[0])
    assert torch.equal(states[0], torch.Generator().manual_seed(3).get_state()) == (dropout == 0)


def test_fused_lora_restores_the_models_checkpointing():
    model, _ = _model_and_batch(checkpointing=True)
    checkpointed = {name: module._gradient_checkpointing_func for name, module in model.named_modules()
                    if "_gradient_checkpointing_func" in vars(module)}
    assert checkpointed
    with train_ops.fused_lora(model, torch.Generator()):
        pass
    assert all(module._gradient_checkpointing_func is checkpointed[name]
               for name, module in model.named_modules() if name in checkpointed)

"""LoraLinear against peft's LoRA Linear: same weights in, same outputs out, merged or not."""

from __future__ import annotations

import math
import re

import pytest
import torch
from peft import LoraConfig
from peft.tuners.lora.layer import Linear as PeftLoraLinear
from torch import nn

from playground.adapters.lora import LoraLinear, lora_scaling


def _pair(d_in=48, d_out=24, r=4, alpha=8.0, dropout=0.0, use_rslora=False, bias=True):
    """Our layer and peft's around two copies of one base Linear, with the same (non-zero) A and B."""
    base = nn.Linear(d_in, d_out, bias=bias)
    ours = LoraLinear(_copy_linear(base), r, alpha, dropout, use_rslora)
    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, use_rslora=use_rslora)
    theirs = PeftLoraLinear(_copy_linear(base), "default", config=config, r=r, lora_alpha=alpha)
    with torch.no_grad():
        ours.lora_B.weight.normal_(std=0.1)
        theirs.lora_A["default"].weight.copy_(ours.lora_A.weight)
        theirs.lora_B["default"].weight.copy_(ours.lora_B.weight)
    return ours, theirs


def _copy_linear(linear: nn.Linear) -> nn.Linear:
    copy = nn.Linear(linear.in_features, linear.out_features, bias=linear.bias is not None)
    copy.load_state_dict(linear.state_dict())
    return copy


@pytest.mark.parametrize("use_rslora", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_forward_equals_peft(use_rslora, bias):
    ours, theirs = _pair(use_rslora=use_rslora, bias=bias)
    assert ours.scaling == theirs.scaling["default"] == (8.0 / math.sqrt(4) if use_rslora else 8.0 / 4)
    x = torch.randn(3, 5, 48)  # (B, T, d_in)
    expected = theirs(x)
    torch.testing.assert_close(ours(x), expected, rtol=0, atol=0)
    manual = ours.base(x) + ours.scaling * x @ ours.lora_A.weight.T @ ours.lora_B.weight.T
    torch.testing.assert_close(ours(x), manual)


def test_merge_equals_peft_merge_and_is_safe_twice():
    ours, theirs = _pair()
    x = torch.randn(2, 7, 48)
    unmerged = ours(x)
    w0 = ours.base.weight.detach().clone()
    ours.merge()
    ours.merge()  # a second merge must not add ΔW twice
    theirs.merge()
    assert ours.merged
    torch.testing.assert_close(ours.base.weight, theirs.base_layer.weight)
    torch.testing.assert_close(ours.base.weight, w0 + ours.delta_weight())
    torch.testing.assert_close(ours(x), theirs(x), rtol=0, atol=0)
    assert (ours(x) - unmerged).abs().max() < 1e-5
    ours.unmerge()
    ours.unmerge()
    assert not ours.merged
    torch.testing.assert_close(ours.base.weight, w0, rtol=0, atol=1e-6)
    torch.testing.assert_close(ours(x), unmerged, rtol=0, atol=1e-5)


def test_fresh_layer_is_exactly_the_base():
    base = nn.Linear(32, 16)
    layer = LoraLinear(_copy_linear(base), r=8, alpha=16)
    assert torch.count_nonzero(layer.lora_B.weight) == 0
    assert torch.count_nonzero(layer.lora_A.weight) == 8 * 32
    x = torch.randn(4, 32)
    assert torch.equal(layer(x), base(x))
    trainable = [name for name, p in layer.named_parameters() if p.requires_grad]
    assert trainable == ["lora_A.weight", "lora_B.weight"]
    assert sum(p.numel() for p in layer.parameters() if p.requires_grad) == 8 * (32 + 16)


def test_dropout_applies_to_the_lora_branch_only_like_peft():
    ours, theirs = _pair(dropout=0.5)
    ours.train()
    theirs.train()
    x = torch.randn(2, 3, 48)
    torch.manual_seed(1)
    ours_out = ours(x)
    torch.manual_seed(1)
    theirs_out = theirs(x)
    torch.testing.assert_close(ours_out, theirs_out, rtol=0, atol=0)
    ours.eval()
    torch.testing.assert_close(ours(x), ours.base(x) + ours.scaling * ours.lora_B(ours.lora_A(x)))


def test_gradients_reach_only_a_and_b():
    ours, _ = _pair()
    ours(torch.randn(2, 48)).sum().backward()
    assert ours.lora_A.weight.grad is not None and ours.lora_B.weight.grad is not None
    assert ours.base.weight.grad is None


def test_scaling():
    assert lora_scaling(16, 32) == 2.0
    assert lora_scaling(16, 32, use_rslora=True) == 8.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"r": 0, "alpha": 8}, "at least 1"),
        ({"r": 17, "alpha": 8}, "min(d_in, d_out) = min(32, 16) = 16"),
        ({"r": 4, "alpha": 0}, "alpha must be greater than 0"),
        ({"r": 4, "alpha": -1}, "alpha must be greater than 0"),
        ({"r": 4, "alpha": 8, "dropout": 1.0}, "dropout"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        LoraLinear(nn.Linear(32, 16), **kwargs)


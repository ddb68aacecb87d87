"""The fine-tune's model: LoRA's A drawn as peft draws it, from the run's seed alone."""

from __future__ import annotations

import math

import torch

from playground import finetune as ft
from playground import models


def _lora(seed: int) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    model = ft.build_model(ft.FinetuneConfig(model_id=models.TINY_ID, device="cpu", seed=seed))
    weights = {name: parameter.detach().clone() for name, parameter in model.named_parameters() if "lora_" in name}
    return ({name: w for name, w in weights.items() if "lora_A" in name},
            {name: w for name, w in weights.items() if "lora_B" in name})


def test_lora_a_depends_on_the_seed_only_and_follows_peft_init():
    first, first_b = _lora(5)
    torch.manual_seed(123)  # whatever else uses the global RNG in between
    torch.rand(1000)
    again, _ = _lora(5)
    other, _ = _lora(6)
    assert first.keys() == again.keys() == other.keys() and len(first) == 7 * 2  # 7 projections, 2 layers
    for name, a in first.items():
        assert torch.equal(again[name], a), name
        assert not torch.equal(other[name], a), name
        # kaiming-uniform with a = √5: U(−bound, bound), bound = √(6 / ((1 + a²)·d_in)) = 1/√d_in
        bound = 1 / math.sqrt(a.shape[1])
        assert a.abs().max() <= bound and a.abs().max() > 0.9 * bound, name
    values = torch.cat([a.flatten() / (1 / math.sqrt(a.shape[1])) for a in first.values()])
    assert abs(values.mean().item()) < 0.03 and abs(values.std().item() - 1 / math.sqrt(3)) < 0.02  # U(−1, 1)
    assert len(first_b) == len(first) and all((b == 0).all() for b in first_b.values())

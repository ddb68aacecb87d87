"""The merged model: W₀ + (α/r)·B·A on the dequantized 4-bit weights, the same logits as base + adapter unmerged,
saved as a plain transformers model in the base's precision."""

from __future__ import annotations

import torch
from bitsandbytes.nn import Linear4bit
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

from playground import models
from playground.datasets import prompt_ids
from playground.export import merge

# max |logit| difference, merged vs unmerged, float32: the merge only reorders float32 sums (measured: 3.6e-7 on
# the tiny model, 1.2e-4 on the bundled SmolLM2, whose logits reach ~30)
MERGE_TOLERANCE = 5e-4


def _ids(model_id: str) -> torch.Tensor:
    tokenizer = models.load_tokenizer(model_id)
    return torch.tensor([prompt_ids(tokenizer, [{"role": "user", "content": "How do I fix a leaking tap?"}])])


@torch.no_grad()
def _check_merge(run, tolerance: float) -> dict:
    four_bit = merge.four_bit_base(run)
    base = merge.dequantized_base(run, four_bit)
    ids = _ids(run.model_id)
    # W₀ is the 4-bit weight: each block of 64 holds at most 16 distinct values (NF4 codes × its absmax)
    weight = base.model.layers[0].self_attn.q_proj.weight
    assert all(len(torch.unique(block)) <= 16 for block in weight.reshape(-1, 64)[:64])
    served = merge.with_adapter(four_bit, run)  # what the Studio answers with: 4-bit base + adapter
    served_logits = served(ids).logits
    unmerged = merge.with_adapter(base, run)
    unmerged_logits = unmerged(ids).logits
    # the reference merge by hand, for one layer: W₀ + (α/r)·B·A
    layer = unmerged.base_model.model.model.layers[0].self_attn.v_proj
    by_hand = layer.base_layer.weight + layer.scaling["default"] * layer.lora_B["default"].weight @ layer.lora_A["default"].weight
    merged = unmerged.merge_and_unload()
    assert torch.allclose(merged.model.layers[0].self_attn.v_proj.weight, by_hand, atol=1e-7)
    merged_logits = merged(ids).logits
    diff = (merged_logits - unmerged_logits).abs().max().item()
    served_diff = (merged_logits - served_logits).abs().max().item()
    print(f"{run.model_id}: merged vs unmerged max |Δlogit| {diff:.2e}; vs the served 4-bit + adapter {served_diff:.2e}")
    assert diff <= tolerance
    assert served_diff <= 1e-3  # bitsandbytes' CPU 4-bit matmul dequantizes the same codes (measured: = diff)
    return {"diff": diff, "served": served_diff}


def test_merge_matches_unmerged_on_the_tiny_model(tiny_run):
    _check_merge(tiny_run, MERGE_TOLERANCE)


def test_merge_matches_unmerged_on_the_bundled_model(bundled_run):
    _check_merge(bundled_run, MERGE_TOLERANCE)


def test_saved_merged_model_loads_with_transformers(tiny_run, tiny_exports):
    folder = tiny_exports["merged"].folder
    loaded = AutoModelForCausalLM.from_pretrained(folder)
    assert loaded.dtype == torch.float32 and getattr(loaded.config, "quantization_config", None) is None
    tensors = load_file(folder / "model.safetensors")
    assert all(tensor.dtype == torch.float32 for tensor in tensors.values())
    assert not any("lora" in name for name in tensors) and "lm_head.weight" not in tensors  # tied, merged
    ids = _ids(tiny_run.model_id)
    with torch.no_grad():
        expected = merge.merged_model(tiny_run)(ids).logits
        assert (loaded.eval()(ids).logits - expected).abs().max().item() == 0.0
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert tokenizer.chat_template == models.load_tokenizer(tiny_run.model_id).chat_template


def test_the_4bit_base_is_the_runs_quantization(tiny_run):
    four_bit = merge.four_bit_base(tiny_run)
    layers = [m for m in four_bit.modules() if isinstance(m, Linear4bit)]
    assert layers and all(m.weight.quant_type == tiny_run.config.quant_type for m in layers)
    assert merge.original_dtype(models.TINY_ID) == torch.float32 == merge.original_dtype(models.BUNDLED_ID)

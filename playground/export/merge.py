"""The run's adapter merged into its base, the way it trained: W = W₀ + (α/r)·B·A with W₀ the 4-bit weights.

    4-bit base (load_4bit: the run's NF4/FP4 and double quantization, on CPU)
        │ every Linear4bit dequantized (bitsandbytes' own dequantize_4bit: the values the run trained against)
        ▼
    dense base, float32 (embeddings, norms: the checkpoint's own values)  ── + adapter, unmerged: the reference
        │ peft merge_and_unload: W₀ + (α/r)·B·A per target module, in float32
        ▼
    merged model, cast to the base's original precision (float32 for the bundled and tiny copies, the Hub
    checkpoint's dtype otherwise) ─► save_pretrained (safetensors) + tokenizer + chat template

The 4-bit copy is quantized on CPU from the checkpoint's float32 values (as a CPU run trains); a run trained
on a GPU quantized the same weights after a cast to bf16, so a code near a rounding boundary can differ.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from playground import models
from playground.export.run_folder import RunFolder
from playground.i18n import t


def original_dtype(model_id: str) -> torch.dtype:
    """The precision the base checkpoint is published in: float32 for the bundled and tiny copies."""
    if model_id in (models.BUNDLED_ID, models.TINY_ID):
        return torch.float32
    config = models.model_config(model_id)
    dtype = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None) or torch.float32
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype.removeprefix("torch."), torch.float32)
    return dtype if dtype in (torch.float32, torch.float16, torch.bfloat16) else torch.float32


def parameter_count(model_id: str) -> int:
    return models.parameter_count(models.model_config(model_id))


def check_merge_memory(model_id: str) -> None:
    """A merge holds the 4-bit copy and the dense float32 base at once (the merge itself is in place)."""
    count = parameter_count(model_id)
    models.check_memory(model_id, count * 4 + models.load_bytes(models.model_config(model_id), torch.float32, True),
                        "cpu", t("export.what_merge", count=f"{count:,}"))


def four_bit_base(run: RunFolder) -> nn.Module:
    """The run's 4-bit base on CPU, float32 compute: the model the Studio serves the run's adapter on."""
    config = run.config
    return models.load_4bit(config.model_id, config.quant_type, config.double_quant, compute_dtype=torch.float32,
                            device="cpu")


@torch.no_grad()
def dequantized_base(run: RunFolder, four_bit: nn.Module | None = None) -> nn.Module:
    """A dense float32 model whose quantized linear layers hold the dequantized 4-bit weights (W₀)."""
    from bitsandbytes.functional import dequantize_4bit
    from bitsandbytes.nn import Linear4bit
    from transformers import AutoModelForCausalLM

    check_merge_memory(run.model_id)
    four_bit = four_bit if four_bit is not None else four_bit_base(run)
    dense = AutoModelForCausalLM.from_pretrained(models.model_dir(run.model_id), dtype=torch.float32,
                                                 trust_remote_code=False, use_safetensors=True)
    replaced = 0
    for name, module in four_bit.named_modules():
        if isinstance(module, Linear4bit):
            weight = dequantize_4bit(module.weight.data, module.weight.quant_state).to(torch.float32)
            target = dense.get_submodule(name).weight
            if target.shape != weight.shape:
                raise ValueError(t("export.err.shape", name=name, expected=tuple(target.shape), got=tuple(weight.shape)))
            target.copy_(weight)
            replaced += 1
    if replaced == 0:
        raise ValueError(t("export.err.no_4bit", model=run.model_id))
    return dense.eval().requires_grad_(False)


def with_adapter(base: nn.Module, run: RunFolder):
    """`base` + the run's adapter, unmerged (a PeftModel, eval mode)."""
    from peft import PeftModel

    return PeftModel.from_pretrained(base, run.path, is_trainable=False).eval()


@torch.no_grad()
def merged_model(run: RunFolder) -> nn.Module:
    """The run's adapter merged into the dequantized base, in float32 (cast it for saving: `save_merged`)."""
    merged = with_adapter(dequantized_base(run), run).merge_and_unload()
    merged.config.name_or_path = ""
    return merged.eval().requires_grad_(False)


def save_merged(model: nn.Module, run: RunFolder, out: Path) -> Path:
    """safetensors in the base's original precision, the generation config, the tokenizer and its chat template."""
    model.to(original_dtype(run.model_id))
    model.save_pretrained(out, safe_serialization=True)
    tokenizer = models.load_tokenizer(run.model_id)
    tokenizer.save_pretrained(out)
    return out

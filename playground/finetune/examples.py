"""The notes' and the QLoRA paper's examples, as numbers the Studio shows and settings it can load.

    paper_memory("65B")   16-bit full fine-tune: weights 2 + gradients 2 + Adam's two moments 8 = 12 bytes
                          per parameter (the paper's "more than 780 GB"), against QLoRA: 4-bit NF4 weights,
                          4 + 32/64 = 4.5 bits with plain constants → 4 + 8/64 + 32/(64·256) = 4.127 bits
                          with double quantization, plus the LoRA matrices with their gradients and AdamW
                          state (the paper's "less than 48 GB").

The QLoRA side is computed by the Studio's own memory model (`memory.estimate_memory`, the figures its
estimate shows before a run), on the LLaMA shapes of the paper; activations depend on the batch and
are left out of the static figures here. No Gradio.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from playground.finetune import memory
from playground.shapes import ModelShape, lora_param_count

# LLaMA 7B and 65B (Touvron et al. 2023, Table 2): hidden, MLP width, layers, heads, vocabulary 32,000, untied head
PAPER_SHAPES: dict[str, ModelShape] = {
    "7B": ModelShape(hidden=4096, intermediate=11008, layers=32, heads=32, kv_heads=32, head_dim=128, vocab=32000,
                     tied=False),
    "65B": ModelShape(hidden=8192, intermediate=22016, layers=80, heads=64, kv_heads=64, head_dim=128, vocab=32000,
                      tied=False),
}
FULL_FINETUNE_BYTES = 2 + 2 + 8  # 16-bit weights and gradients, Adam's two 32-bit moments, per parameter
NOTES_RANK, NOTES_TARGETS = 16, ("q_proj", "v_proj")  # the notes' LoRA: r = 16 on the query and value projections
GB = 10**9  # the paper's gigabytes


@dataclass(frozen=True)
class PaperMemory:
    """One model's memory arithmetic, in bytes (bits per parameter where named so)."""

    name: str
    params: int
    full_finetune_bytes: int  # 16-bit full fine-tune: 12 bytes per parameter
    bits_plain: float  # 4-bit codes + one float32 absmax per 64 weights
    bits_double_quant: float  # 4-bit codes + double-quantized constants
    weights_plain_bytes: int  # the 4-bit model without double quantization (unquantized layers included)
    weights_bytes: int  # with double quantization
    lora_params: int
    lora_bytes: int  # LoRA parameters + gradients + AdamW state
    rank: int
    target_modules: tuple[str, ...]

    @property
    def qlora_bytes(self) -> int:
        """QLoRA's static memory: the double-quantized 4-bit model plus the LoRA training state."""
        return self.weights_bytes + self.lora_bytes

    @property
    def double_quant_saving_bytes(self) -> int:
        return self.weights_plain_bytes - self.weights_bytes


def _estimate(shape: ModelShape, double_quant: bool, rank: int, targets: tuple[str, ...]) -> memory.MemoryEstimate:
    return memory.estimate_memory(shape, rank=rank, target_modules=targets, batch_size=1, max_length=1,
                                  double_quant=double_quant, compute_dtype=torch.bfloat16, device="cuda",
                                  available=1 << 50)


def paper_memory(name: str, rank: int = NOTES_RANK, target_modules: tuple[str, ...] = NOTES_TARGETS) -> PaperMemory:
    """The memory arithmetic of the paper's `name` model ("7B" or "65B"), with LoRA `rank` on `target_modules`."""
    if name not in PAPER_SHAPES:
        raise ValueError(f"model size must be one of {sorted(PAPER_SHAPES)}, got {name!r}")
    shape = PAPER_SHAPES[name]
    params = shape.quantized_params + shape.unquantized_params
    plain, dq = _estimate(shape, False, rank, target_modules), _estimate(shape, True, rank, target_modules)
    return PaperMemory(
        name=name, params=params, full_finetune_bytes=params * FULL_FINETUNE_BYTES,
        bits_plain=4 + 32 / 64, bits_double_quant=4 + 8 / 64 + 32 / (64 * 256),
        weights_plain_bytes=plain.weights_bytes, weights_bytes=dq.weights_bytes,
        lora_params=lora_param_count(shape, rank, target_modules), lora_bytes=dq.lora_bytes + dq.optimizer_bytes,
        rank=rank, target_modules=tuple(target_modules),
    )


# Settings the Studio's form can load (by FinetuneConfig field name), each reproducing a setting of the notes
# or the paper; the label and what it shows are catalog texts "studio.example.<name>" / ".<name>.info".
STUDIO_EXAMPLES: dict[str, dict] = {
    "notes-qv-r16": dict(quant_type="nf4", double_quant=True, rank=16, alpha=32.0, dropout=0.05,
                         target_modules=["q_proj", "v_proj"]),
    "paper-all-linear": dict(quant_type="nf4", double_quant=True, rank=64, alpha=16.0, dropout=0.05,
                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                             "down_proj"]),
    "fp4-no-dq": dict(quant_type="fp4", double_quant=False, rank=8, alpha=16.0, dropout=0.05,
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]),
}

"""What a QLoRA run will need, before it starts: memory by part, and a rough time.

    total = 4-bit weights + quantization constants      (QLoRA §3: 4 bits + 0.5 or 0.127 bits/param)
          + weights left unquantized (embeddings, norms, in float32 after prepare_model_for_kbit_training)
          + LoRA parameters + their gradients + AdamW's two moments   (4 + 4 + 8 bytes per parameter)
          + activations kept for backward  (batch × length × per-layer widths, + a chunk of logits)
          + runtime overhead (CUDA context, or the Python process on CPU)

The activation term follows the usual transformer accounting (Korthikanti et al. 2022, §4.1), counted
per layer as the tensors autograd keeps with the engine's fused LoRA branch (`train_ops`): per token,
nine hidden-wide tensors (the two norm inputs, the inputs of the attention and MLP projections, q,
k and v as attention reads them, its output and the output projection's input), four MLP-wide ones
(gate, up, the activation and their product) in the compute dtype, and one bool dropout mask per
adapted projection input. With gradient checkpointing only block inputs are kept, plus one block
while it is recomputed. Models with a plain LM head get their loss from answer positions in chunks
of logits (`train_ops.answer_token_loss`); others keep logits, log-softmax and gradient for every
position. It is an estimate meant to refuse runs that clearly cannot fit.

Two figures come out of it. The **estimated peak of this run** (`run_bytes`: weights, LoRA, AdamW,
activations) is what the run itself adds to the device, and it is what `peak.PeakMemory` measures
while the run trains (the peak less what the process held before loading): the two are shown side by
side and describe the same thing. The **total for the fit check** (`total_bytes`) adds the runtime
overhead every process has, and is compared with the memory available.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from playground.finetune.train_ops import LOGIT_CHUNK_ELEMENTS
from playground.i18n import t
from playground.shapes import ModelShape, lora_param_count

GIB = 1 << 30
# torch + transformers + the tokenizer in a fresh Python process (~700 MiB: outside the run, not in its measured
# peak), plus a reserve for what glibc's heap keeps beyond the live tensors while training (~400 MiB; with
# SmolLM2's quick preset the run's measured peak is ~180 MiB above its estimate for that reason)
CPU_OVERHEAD_BYTES = 1100 << 20
CUDA_OVERHEAD_BYTES = 600 << 20  # CUDA context and allocator slack
FIT_MARGIN = 0.9  # refuse above 90 % of the memory there is

# Seconds per step ≈ fixed + per_token × tokens × (params / 1e8), × RECOMPUTE_FACTOR with gradient
# checkpointing: fitted on the bundled SmolLM2-135M (NF4 + DQ, r = 8, seven projections, float32
# compute) on a 2-core x86-64 CPU, torch 2.13 (bench.finetune: 1.53 s/step kept, 2.08 recomputed).
CPU_STEP_FIXED_S = 0.3
CPU_STEP_PER_TOKEN_S = 0.0039
CUDA_STEP_FIXED_S = 0.08
CUDA_STEP_PER_TOKEN_S = 0.00002
RECOMPUTE_FACTOR = 1.45  # gradient checkpointing runs each block's forward twice


@dataclass(frozen=True)
class MemoryEstimate:
    weights_bytes: int
    lora_bytes: int  # parameters + gradients
    optimizer_bytes: int
    activations_bytes: int
    overhead_bytes: int
    available_bytes: int
    device: str
    lora_params: int

    @property
    def run_bytes(self) -> int:
        """The estimated peak of this run: what the run itself allocates (what `PeakMemory` measures)."""
        return self.weights_bytes + self.lora_bytes + self.optimizer_bytes + self.activations_bytes

    @property
    def total_bytes(self) -> int:
        """The run's peak plus the runtime overhead: what the fit check compares with the memory available."""
        return self.run_bytes + self.overhead_bytes

    @property
    def fits(self) -> bool:
        return self.total_bytes <= FIT_MARGIN * self.available_bytes

    def rows(self) -> list[tuple[str, float]]:
        """(part, MiB) rows for a table, the parts named in the current language."""
        parts = [
            (t("studio.mem.weights"), self.weights_bytes),
            (t("studio.mem.lora"), self.lora_bytes),
            (t("studio.mem.adamw"), self.optimizer_bytes),
            (t("studio.mem.activations"), self.activations_bytes),
            (t("studio.mem.run"), self.run_bytes),
            (t("studio.mem.overhead"), self.overhead_bytes),
            (t("studio.mem.total"), self.total_bytes),
            (t("studio.mem.available", device=self.device), self.available_bytes),
        ]
        return [(name, round(value / (1 << 20), 1)) for name, value in parts]

    def summary(self) -> str:
        return t(
            "studio.mem.summary", run=f"{self.run_bytes / GIB:.2f}", overhead=f"{self.overhead_bytes / GIB:.2f}",
            total=f"{self.total_bytes / GIB:.2f}", available=f"{self.available_bytes / GIB:.1f}",
            device=self.device, weights=f"{self.weights_bytes / GIB:.2f}",
            activations=f"{self.activations_bytes / GIB:.2f}",
            lora=f"{(self.lora_bytes + self.optimizer_bytes) / GIB:.3f}",
        )


def available_bytes(device: str) -> int:
    """Free memory on the device: the GPU's free memory, or the host's available RAM."""
    if device.startswith("cuda"):
        free, _total = torch.cuda.mem_get_info(torch.device(device))
        return int(free)
    import psutil

    return int(psutil.virtual_memory().available)


def block_activation_bytes(shape: ModelShape, tokens: int, element: int, target_modules: tuple[str, ...]) -> int:
    """What autograd keeps for one transformer block: 9 hidden-wide and 4 MLP-wide tensors per token in
    the compute dtype, plus a bool dropout mask over each adapted projection's input."""
    projections = shape.projection_shapes()
    mask_bytes = sum(projections[name][0] for name in target_modules if name in projections)
    return tokens * ((9 * shape.hidden + 4 * shape.intermediate) * element + mask_bytes)


def kept_activation_bytes(shape: ModelShape, tokens: int, element: int, target_modules: tuple[str, ...],
                          gradient_checkpointing: bool) -> int:
    """Activations kept through the forward pass: every block's, or only each block's input when checkpointing."""
    per_layer = tokens * shape.hidden * element if gradient_checkpointing else block_activation_bytes(
        shape, tokens, element, target_modules)
    return shape.layers * per_layer


def estimate_memory(
    shape: ModelShape,
    *,
    rank: int,
    target_modules: tuple[str, ...],
    batch_size: int,
    max_length: int,
    double_quant: bool,
    compute_dtype: torch.dtype,
    device: str,
    gradient_checkpointing: bool = False,
    available: int | None = None,
) -> MemoryEstimate:
    """Memory for one run; with gradient checkpointing only block inputs are kept, plus one block recomputed."""
    const_bits = 8 / 64 + 32 / (64 * 256) if double_quant else 32 / 64  # per quantized parameter
    quantized = shape.quantized_params
    weights = int(quantized * (4 + const_bits) / 8) + shape.unquantized_params * 4
    lora_params = lora_param_count(shape, rank, target_modules)
    element = torch.finfo(compute_dtype).bits // 8
    tokens = batch_size * max_length
    per_layer = block_activation_bytes(shape, tokens, element, target_modules)
    largest_weight = max(d_in * d_out for d_in, d_out in shape.projection_shapes().values())
    # float32 logits, log-softmax and gradient: for one chunk of answer rows, or for every position
    logit_rows = min(tokens, max(1, LOGIT_CHUNK_ELEMENTS // shape.vocab)) if shape.plain_head else tokens
    activations = (
        kept_activation_bytes(shape, tokens, element, target_modules, gradient_checkpointing)
        + (per_layer if gradient_checkpointing else 0)  # the block being recomputed
        + 3 * logit_rows * shape.vocab * 4
        + 2 * largest_weight * element  # one dequantized weight (and its transpose) at a time
    )
    return MemoryEstimate(
        weights_bytes=weights,
        lora_bytes=lora_params * 8,
        optimizer_bytes=lora_params * 8,
        activations_bytes=activations,
        overhead_bytes=CUDA_OVERHEAD_BYTES if device.startswith("cuda") else CPU_OVERHEAD_BYTES,
        available_bytes=available if available is not None else available_bytes(device),
        device=device,
        lora_params=lora_params,
    )


def estimate_seconds(shape: ModelShape, *, steps: int, batch_size: int, grad_accum: int, mean_length: float,
                     device: str, gradient_checkpointing: bool = True) -> float:
    """Rough wall time of the training steps (evaluation not included)."""
    params = (shape.quantized_params + shape.unquantized_params) / 1e8
    tokens = batch_size * grad_accum * mean_length
    if device.startswith("cuda"):
        fixed, per_token = CUDA_STEP_FIXED_S * grad_accum, CUDA_STEP_PER_TOKEN_S
    else:
        fixed, per_token = CPU_STEP_FIXED_S * grad_accum, CPU_STEP_PER_TOKEN_S
    recompute = RECOMPUTE_FACTOR if gradient_checkpointing else 1.0
    return steps * (fixed + per_token * recompute * tokens * params)

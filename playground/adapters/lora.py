"""LoRA: a frozen linear layer plus a trainable low-rank update beside it (arXiv 2106.09685, §4.1).

        x (…, d_in)
        ├──────────────► W0 (d_out × d_in, frozen) ─────────► W0·x (…, d_out) ──┐
        └─ dropout ─► A (r × d_in) ─► B (d_out × r) ─► ×α/r ─► ΔW·x (…, d_out) ──┴─► + ─► h

The two paths run side by side (parallel), there is no nonlinearity between A and B, and only
weights are added (no biases). B starts at zero, so a fresh LoRA layer computes exactly W0·x.
Because the update is linear, it folds into the base weight, `W = W0 + (α/r)·B·A` (§4.1,
"No Additional Inference Latency"): after `merge()` the layer costs what the base layer costs.

The layer follows peft's `tuners/lora/layer.py` `Linear` (same init, same scaling, rsLoRA's
`α/√r` as an option) and is tested against it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from playground.checks import check_whole_number
from playground.i18n import t


def lora_scaling(r: int, alpha: float, use_rslora: bool = False) -> float:
    """α/r, or α/√r with rsLoRA (arXiv 2312.03732), which keeps updates stable at high rank."""
    return alpha / math.sqrt(r) if use_rslora else alpha / r


def check_lora_settings(r: int, alpha: float, dropout: float, d_in: int | None = None, d_out: int | None = None,
                        name: str = "layer") -> None:
    """Raises ValueError with a message for the user when a LoRA setting cannot work (on a d_in→d_out layer)."""
    check_whole_number(t("adapters.label.rank"), r)
    if d_in is not None and d_out is not None and r > min(d_in, d_out):
        raise ValueError(t("adapters.err.rank_too_large", r=r, name=name, d_in=d_in, d_out=d_out,
                           most=min(d_in, d_out)))
    if not alpha > 0:
        raise ValueError(t("adapters.err.alpha", value=repr(alpha)))
    if not 0 <= dropout < 1:
        raise ValueError(t("adapters.err.dropout", value=repr(dropout)))


class LoraLinear(nn.Module):
    """Wraps a frozen `nn.Linear` and adds `(α/r)·B·A·x` to its output."""

    def __init__(
        self, base: nn.Linear, r: int, alpha: float, dropout: float = 0.0, use_rslora: bool = False
    ) -> None:
        super().__init__()
        if not isinstance(base, nn.Linear):
            raise ValueError(f"LoraLinear wraps an nn.Linear, got {type(base).__name__}")
        check_lora_settings(r, alpha, dropout, base.in_features, base.out_features)
        self.base = base.requires_grad_(False)
        self.r = r
        self.alpha = alpha
        self.use_rslora = use_rslora
        self.scaling = lora_scaling(r, alpha, use_rslora)
        factory = {"device": base.weight.device, "dtype": base.weight.dtype}
        self.lora_A = nn.Linear(base.in_features, r, bias=False, **factory)  # weight (r, d_in)
        self.lora_B = nn.Linear(r, base.out_features, bias=False, **factory)  # weight (d_out, r)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.merged = False
        self.reset_lora()

    def reset_lora(self) -> None:
        """peft's default init: A Kaiming-uniform (a=√5), B zero, so ΔW = 0 at step 0."""
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)

    def delta_weight(self) -> torch.Tensor:
        return self.scaling * (self.lora_B.weight @ self.lora_A.weight)  # (d_out, d_in)

    @torch.no_grad()
    def merge(self) -> None:
        """W0 ← W0 + (α/r)·B·A. A second call does nothing."""
        if not self.merged:
            self.base.weight += self.delta_weight()
            self.merged = True

    @torch.no_grad()
    def unmerge(self) -> None:
        """W0 ← W0 − (α/r)·B·A. Does nothing unless merged."""
        if self.merged:
            self.base.weight -= self.delta_weight()
            self.merged = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result = self.base(x)  # (…, d_out)
        if self.merged:
            return result
        return result + self.lora_B(self.lora_A(self.dropout(x))) * self.scaling  # (…, d_out)

    def extra_repr(self) -> str:
        return f"r={self.r}, alpha={self.alpha}, scaling={self.scaling:g}, merged={self.merged}"

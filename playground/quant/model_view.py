"""The whole model under each scheme: every linear layer quantized, and what the model would weigh.

    for each nn.Linear in the transformer blocks (SmolLM2-135M: 30 layers × 7 projections = 210):
        W (d_out, d_in) ── quantize(W, scheme) ──► Ŵ        relative error ‖Ŵ − W‖ / ‖W‖

Memory follows what bitsandbytes does to a model (QLoRA §3): the linear layers are quantized, every
other weight (embeddings, norms) stays in 16-bit. fp32 / fp16 store everything at 32 / 16 bits. The fixed
formats (GGUF Q4_0 / Q4_1 / Q8_0, MXFP4, NVFP4) are counted the same way, at their own bits per value.

`rank_by_error` turns the per-layer rows into one row per scheme, ranked by mean relative error among the
schemes that spend the same bits per parameter (to the nearest 1/8 bit: NF4, Q4_0, absmax int4 at 64 and
NVFP4 all cost ≈ 4.5). The bundled SmolLM2 ships as a Q4_1 GGUF, so its linear weights are already on the
Q4_1 grid: re-quantizing them with q4_1 gives back exactly the same values (tests/quant/test_model_view.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch
from torch import nn

from playground.i18n import t
from playground.models import linear_layers
from playground.quant import QuantSpec, block_count, one_thread, quantize, storage_bits

# (text key of the label, spec of the linear layers or None for plain floats, bits of a float weight)
MEMORY_FORMATS: tuple[tuple[str, QuantSpec | None, int], ...] = (
    ("quant.format.fp32", None, 32),
    ("quant.format.fp16", None, 16),
    ("quant.format.int8", QuantSpec("absmax", bits=8, per_row=True), 16),
    ("quant.format.nf4", QuantSpec("nf4", blocksize=64), 16),
    ("quant.format.nf4_dq", QuantSpec("nf4", blocksize=64, double_quant=True), 16),
    ("quant.format.q8_0", QuantSpec("q8_0"), 16),
    ("quant.format.q4_1", QuantSpec("q4_1"), 16),
    ("quant.format.q4_0", QuantSpec("q4_0"), 16),
    ("quant.format.nvfp4", QuantSpec("nvfp4"), 16),
    ("quant.format.mxfp4", QuantSpec("mxfp4"), 16),
)
BITS_GROUP = 8  # rank_by_error groups schemes whose bits per parameter agree to the nearest 1/8 bit
MB = 1e6


def layer_errors(
    model: nn.Module, specs: list[QuantSpec], rows_per_layer: int | None = None, seed: int = 0,
    layer_names: Iterable[str] | None = None,
) -> Iterator[tuple[int, int, list[dict]]]:
    """Quantizes every linear layer under every spec; yields (done, total, rows of that layer).

    rows_per_layer: quantize only that many random weight rows of each layer (whole rows, so per-row and
    blockwise constants are exactly those of the full layer; a per-tensor absmax, and NVFP4's tensor
    scale, are those of the sample).
    layer_names: only these linear layers (in the model's order), e.g. a few for a quick measurement.
    """
    if not specs:
        raise ValueError(t("quant.err.no_scheme_model"))
    if rows_per_layer is not None and rows_per_layer < 1:
        raise ValueError(f"rows_per_layer must be at least 1 (or None for every row), got {rows_per_layer}")
    layers = linear_layers(model)
    if not layers:
        raise ValueError(t("quant.err.no_linear_layers", model=type(model).__name__))
    if layer_names is not None:
        wanted = set(layer_names)
        missing = sorted(wanted - layers.keys())
        if missing:
            raise ValueError(t("quant.err.layer", layer=missing[0], examples=", ".join(list(layers)[:3])))
        layers = {name: layer for name, layer in layers.items() if name in wanted}
    generator = torch.Generator().manual_seed(seed)
    for done, (name, layer) in enumerate(layers.items(), start=1):
        weight = layer.weight.detach().float()  # (d_out, d_in)
        if rows_per_layer is not None and rows_per_layer < weight.shape[0]:
            picked = torch.randperm(weight.shape[0], generator=generator)[:rows_per_layer]
            weight = weight.index_select(0, picked.sort().values)  # (rows_per_layer, d_in)
        yield done, len(layers), _layer_rows(name, weight, specs)


@one_thread
def _layer_rows(name: str, weight: torch.Tensor, specs: list[QuantSpec]) -> list[dict]:
    norm = float(weight.norm())
    rows = []
    for spec in specs:
        result = quantize(
            weight, spec.scheme, bits=spec.bits, blocksize=spec.blocksize,
            double_quant=spec.double_quant, per_row=spec.per_row,
        )
        error = float((result.dequantized - weight).norm())
        rows.append(
            {
                "layer": name,
                "shape": f"{weight.shape[0]}×{weight.shape[1]}",
                "scheme": spec.label,
                "relative_rmse": error / norm if norm > 0 else 0.0,
                "bits_per_param": result.bits_per_param,
            }
        )
    return rows


def rank_by_error(rows: list[dict]) -> list[dict]:
    """One row per scheme from `layer_errors` rows, ranked by mean relative error among equal bits/param.

    Rows come back sorted by bits group (bits per parameter to the nearest 1/8), then by mean relative
    error; `rank` is 1 for the lowest error in its group, `group_size` how many schemes share the group.
    """
    by_scheme: dict[str, list[dict]] = {}
    for row in rows:
        by_scheme.setdefault(row["scheme"], []).append(row)
    summary = []
    for scheme, mine in by_scheme.items():
        worst = max(mine, key=lambda row: row["relative_rmse"])
        bits = sum(row["bits_per_param"] for row in mine) / len(mine)
        summary.append({
            "scheme": scheme,
            "bits_per_param": bits,
            "bits_group": round(bits * BITS_GROUP) / BITS_GROUP,
            "mean_relative_rmse": sum(row["relative_rmse"] for row in mine) / len(mine),
            "worst_layer": worst["layer"],
            "worst_relative_rmse": worst["relative_rmse"],
            "layers": len(mine),
        })
    summary.sort(key=lambda row: (row["bits_group"], row["mean_relative_rmse"], row["scheme"]))
    for row in summary:
        group = [other for other in summary if other["bits_group"] == row["bits_group"]]
        row["rank"], row["group_size"] = group.index(row) + 1, len(group)
    return summary


def model_memory(model: nn.Module) -> list[dict]:
    """The model's weight memory under fp32, fp16, int8, NF4, NF4 + DQ and the fixed formats (Q8_0, Q4_1,
    Q4_0, NVFP4, MXFP4) (plain data, one row per format, each format named in the current language)."""
    layers = linear_layers(model)
    linear_weights = {id(layer.weight) for layer in layers.values()}
    linear_count = sum(layer.weight.numel() for layer in layers.values())
    other_count = sum(p.numel() for p in model.parameters() if id(p) not in linear_weights)
    rows = []
    for label_key, spec, float_bits in MEMORY_FORMATS:
        if spec is None:
            linear_bits = linear_count * float_bits
        else:
            linear_bits = sum(
                storage_bits(spec, layer.weight.numel(), block_count(spec, tuple(layer.weight.shape)))
                for layer in layers.values()
            )
        other_bits = other_count * float_bits
        total = (linear_bits + other_bits) / 8
        rows.append(
            {
                "format": t(label_key),
                "linear_bits_per_param": linear_bits / linear_count,
                "linear_mb": linear_bits / 8 / MB,
                "other_mb": other_bits / 8 / MB,
                "total_mb": total / MB,
                "vs_fp32": total / ((linear_count + other_count) * 4),
            }
        )
    return rows


def parameter_counts(model: nn.Module) -> dict[str, int]:
    """Parameters in the linear layers of the blocks, and in everything else (tied weights counted once)."""
    layers = linear_layers(model)
    linear_count = sum(layer.weight.numel() for layer in layers.values())
    total = sum(p.numel() for p in model.parameters())
    return {"linear_layers": len(layers), "linear": linear_count, "other": total - linear_count, "total": total}


@torch.no_grad()
def weight_of(model: nn.Module, layer_name: str) -> torch.Tensor:
    """The weight matrix of one linear layer, by name (a copy: the shared model is never touched)."""
    layers = linear_layers(model)
    if layer_name not in layers:
        examples = ", ".join(list(layers)[:3])
        raise ValueError(t("quant.err.layer", layer=layer_name, examples=examples))
    return layers[layer_name].weight.detach().float().clone()

"""The few lines of torch / bitsandbytes that do what the Quantization Lab's current settings do (no Gradio).

`snippet(values)` takes the lab's settings (the form's widget names) and returns Python source: the input
(`x`), then per chosen scheme its codes and dequantized values, named `codes_<scheme>` and `x_hat_<scheme>`:

* absmax and zero-point in plain torch, with the same operations as playground/quant/schemes.py
  (so the numbers are equal, not just close);
* NF4 / FP4 blockwise with `bitsandbytes.functional.quantize_4bit(quant_type=…, blocksize=…,
  compress_statistics=…)`, the library QLoRA uses; per tensor or per row (sizes bitsandbytes does not take)
  with its code table in torch.

The only words in it are two comment lines, from playground/texts/quant.py; the rest is code and formulas.
"""

from __future__ import annotations

import numpy as np

from playground import models
from playground.checks import QUANT_TYPES
from playground.i18n import t
from playground.quant.schemes import parse_numbers

TYPED_VALUES_SHOWN = 64  # more typed values than this: the snippet reads them from a string


def _input_lines(values: dict) -> list[str]:
    source = values["source"]
    if source == "typed":
        numbers = parse_numbers(values["numbers"]).tolist()
        if len(numbers) <= TYPED_VALUES_SHOWN:
            shortest = [float(str(np.float32(value))) for value in numbers]  # float32's shortest round-trip digits
            return [f"x = torch.tensor({shortest!r})"]
        return [f"x = torch.tensor([float(v) for v in {values['numbers']!r}.replace(',', ' ').split()])"]
    if source == "weights":
        model_id = values["model_id"] or models.default_model_id()
        layer = values["layer"] or "model.layers.0.self_attn.q_proj"
        if model_id in (models.BUNDLED_ID, models.TINY_ID):
            load = f"from playground import models\nmodel = models.load_model({model_id!r}).model"
        else:
            load = ("from transformers import AutoModelForCausalLM\n"
                    f"model = AutoModelForCausalLM.from_pretrained({model_id!r}, dtype=torch.float32)")
        return [load, f"x = model.get_submodule({layer!r}).weight.detach().float()"]
    size, seed = int(values["size"]), int(values["seed"])
    if values["distribution"] == "normal":
        return [f"x = torch.randn({size}, generator=torch.Generator().manual_seed({seed}))"]
    arguments = f"{values['distribution']!r}, {size}, seed={seed}"
    if values["distribution"] == "normal+outliers":
        arguments += f", outlier_fraction={float(values['outlier_fraction'])!r}, " \
                     f"outlier_magnitude={float(values['outlier_magnitude'])!r}"
    return [f"from playground.quant import synthetic\nx = synthetic({arguments})"]


def _block_length(values: dict) -> str:
    granularity = values["granularity"]
    if granularity == "block":
        return str(int(values["blocksize"]))
    return "x.numel()" if granularity == "tensor" else "x.shape[-1]"


def _absmax(bits: int, length: str) -> list[str]:
    top = 2 ** (bits - 1) - 1
    return [
        f"absmax = [block.abs().max() for block in x.flatten().split({length})]",
        f"# c = {top} / absmax, q = round(c·x), x̂ = q / c",
        f"codes_absmax = torch.cat([torch.round(block / a * {top}) for block, a in zip(x.flatten().split({length}), absmax)])",
        f"x_hat_absmax = torch.cat([q * (a / {top}) for q, a in zip(codes_absmax.split({length}), absmax)]).reshape(x.shape)",
        "codes_absmax = codes_absmax.to(torch.int8)",
    ]


def _zeropoint(bits: int, length: str) -> list[str]:
    levels, half = 2**bits - 1, 2 ** (bits - 1)
    return [
        "def zeropoint(block):",
        "    low, high = block.min().double(), block.max().double()",
        f"    c = {levels} / (high - low)  # multiplier c = (2^k − 1) / (max − min)",
        f"    zp = torch.round(-c * low) - {half}  # zero point",
        "    c, zp = c.float(), zp.float()",
        f"    q = torch.clamp(torch.round(block * c + zp), {-half}, {half - 1})",
        "    return q, (q - zp) / c  # x̂ = (q − zp) / c",
        "",
        f"pairs = [zeropoint(block) for block in x.flatten().split({length})]",
        "codes_zeropoint = torch.cat([q for q, _ in pairs]).to(torch.int8)",
        "x_hat_zeropoint = torch.cat([x_hat for _, x_hat in pairs]).reshape(x.shape)",
    ]


def _four_bit(scheme: str, values: dict) -> list[str]:
    if values["granularity"] == "block":
        blocksize = int(values["blocksize"])
        return [
            f"packed_{scheme}, state_{scheme} = F.quantize_4bit(x.flatten().contiguous(), blocksize={blocksize}, "
            f"quant_type={scheme!r}, compress_statistics={bool(values['double_quant'])})",
            f"x_hat_{scheme} = F.dequantize_4bit(packed_{scheme}, state_{scheme}).reshape(x.shape)",
        ]
    length = _block_length(values)
    return [
        t("quant.code.torch_four_bit"),
        f"levels_{scheme}, order_{scheme} = F.get_4bit_type({scheme!r}, device='cpu').sort()",
        f"bounds_{scheme} = (levels_{scheme}[:-1] + levels_{scheme}[1:]) / 2",
        f"blocks_{scheme} = x.flatten().split({length})",
        f"index_{scheme} = [torch.bucketize((block * (1 / block.abs().max())).clamp(-1, 1), bounds_{scheme}) "
        f"for block in blocks_{scheme}]",
        f"codes_{scheme} = torch.cat([order_{scheme}[i] for i in index_{scheme}])",
        f"x_hat_{scheme} = torch.cat([levels_{scheme}[i] * block.abs().max() "
        f"for i, block in zip(index_{scheme}, blocks_{scheme})]).reshape(x.shape)",
    ]


def snippet(values: dict) -> str:
    """Python source equivalent to the lab's settings `values` (schemes the snippet has no lines for are left out)."""
    schemes = [scheme for scheme in values["schemes"] if scheme in ("absmax", "zeropoint", *QUANT_TYPES)]
    bits = int(values["bits"])
    lines = [t("quant.code.header"), "import torch"]
    if any(scheme in QUANT_TYPES for scheme in schemes):
        lines.append("import bitsandbytes.functional as F")
    lines += ["", *_input_lines(values)]
    length = _block_length(values)
    for scheme in schemes:
        lines.append("")
        if scheme == "absmax":
            lines += _absmax(bits, length)
        elif scheme == "zeropoint":
            lines += _zeropoint(bits, length)
        else:
            lines += _four_bit(scheme, values)
    return "\n".join(lines) + "\n"

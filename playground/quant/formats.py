"""The fixed storage formats: GGUF Q4_0, Q4_1 and Q8_0 (llama.cpp), MXFP4 (OCP microscaling) and NVFP4.

Each fixes its own block length and bits (the `bits`, `blocksize` and `per_row` that `quantize` takes are
ignored for them) and stores, per block, one small constant:

    name   block  code                      constant(s) per block                  x̂                   bits / value
    q4_0     32   q ∈ 0..15                 d fp16 (d = max / −8, max = the         (q − 8) · d          4 + 16/32 = 4.5
                                            signed value of largest |x|)
    q4_1     32   q ∈ 0..15                 d fp16 = (max − min) / 15, m fp16 = min   q · d + m            4 + 32/32 = 5.0
    q8_0     32   q ∈ −127..127             d fp16 = absmax / 127                     q · d                8 + 16/32 = 8.5
    mxfp4    32   E2M1 (sign + 3 bits)      E8M0 scale 2^(e − 127),                  e2m1(q) · 2^(e−127)  4 + 8/32 = 4.25
                                            e = ⌊log2 absmax⌋ − 2 + 127
    nvfp4    16   E2M1                      E4M3 s = e4m3(absmax_b / (6 · S)),       e2m1(q) · s · S      4 + 8/16 = 4.5
                                            plus ONE fp32 S = absmax / (6 · 448)                          + 32/N

Codes are computed as the references compute them, in float32, with the constant BEFORE its fp16 rounding
(only the dequantization uses the fp16 value):
* q4_0: q = min(15, trunc(x · (1/d) + 8.5)); q4_1: q = min(15, trunc((x − min) · (1/d) + 0.5));
  q8_0: q = round-half-away(x · (1/d)). An all-zero block has d = 0 and stores 0 (q4_0: code 8).
* mxfp4: the nearest of 0, ±0.5, ±1, ±1.5, ±2, ±3, ±4, ±6 times the scale; a value exactly between two
  goes to the smaller magnitude (gguf picks the first of equal errors), and a value that rounds to 0 gets
  code 0 whatever its sign. Codes: bit 3 = sign, bits 0–2 index 0, 0.5, 1, 1.5, 2, 3, 4, 6.
* nvfp4 (NVIDIA's two-level scaling, as NVIDIA's ModelOpt stores it: `weight_scale_2` = S = amax/(6·448) fp32,
  `weight_scale` = one E4M3 per 16 values): v = x / (s · S), then E2M1 round-to-nearest-even (ties go to the
  even code: 0.25 → 0, 0.75 → 1, 1.25 → 1, 1.75 → 2, 2.5 → 2, 3.5 → 4, 5 → 4; above 6 saturates), the sign
  kept in bit 3 (−0.1 → code 8, value −0). E4M3 (bias 7, 3 mantissa bits, largest 448, subnormals m · 2^−9)
  is rounded to nearest even; a block whose scale rounds to 0 (absmax_b below 6 · S · 2^−10) stores zeros.

Bit-exact with `gguf.quants` (gguf 0.19: Q4_0, Q4_1, Q8_0, MXFP4 quantize and dequantize; NVFP4 dequantize
only, with no tensor scale) — tests/quant/test_formats.py checks codes, constants and values.

Length: GGUF stores whole blocks and gguf.quants refuses a row that is not a multiple of the block. Here the
tensor is flattened (row-major, like every scheme in the lab) and a short last block is PADDED with copies of
its own first value (min, max, absmax and the position of the largest |x| are unchanged), quantized as a whole
block, and cut back: its codes and values equal gguf's on that padded block, and the storage counts the whole
block. A weight whose rows are a multiple of the block (every SmolLM2 matrix) gets exactly gguf's blocks.

Bounds: the fp16 constants of Q4_0 / Q4_1 / Q8_0 hold at most 65504, so values that need a larger one raise a
ValueError (gguf would store inf); NVFP4's fp32 tensor scale must be finite and above 0. MXFP4's exponent is
clamped to 0 … 254: gguf's uint8 cast wraps for a block absmax below 2^−125 (≈ 2.4e−38), which is the only
place the codes here differ from gguf's (there gguf stores a NaN or a huge scale).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from playground.i18n import t

FORMATS: tuple[str, ...] = ("q4_0", "q4_1", "q8_0", "mxfp4", "nvfp4")
FORMAT_BLOCK: dict[str, int] = {"q4_0": 32, "q4_1": 32, "q8_0": 32, "mxfp4": 32, "nvfp4": 16}  # values per block, fixed
FORMAT_CODE_BITS: dict[str, int] = {"q4_0": 4, "q4_1": 4, "q8_0": 8, "mxfp4": 4, "nvfp4": 4}
FORMAT_BLOCK_CONSTANT_BITS: dict[str, int] = {"q4_0": 16, "q4_1": 32, "q8_0": 16, "mxfp4": 8, "nvfp4": 8}
FORMAT_TENSOR_BITS: dict[str, int] = {"q4_0": 0, "q4_1": 0, "q8_0": 0, "mxfp4": 0, "nvfp4": 32}  # NVFP4's fp32 scale
FORMAT_CONSTANTS: dict[str, str] = {  # what each block stores besides its codes (a formula: the same in every language)
    "q4_0": "d fp16", "q4_1": "d fp16, m fp16", "q8_0": "d fp16", "mxfp4": "E8M0", "nvfp4": "E4M3 + fp32 S",
}
FP16_MAX = 65504.0
E4M3_MAX = 448.0
E2M1_MAX = 6.0
# E2M1 code (bit 3 = sign) → value; the same nibble order as gguf's kvalues (which are these values doubled)
E2M1_CODE = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0])
_E2M1_MAGNITUDES = E2M1_CODE[:8].contiguous()
_E2M1_MIDPOINTS = (_E2M1_MAGNITUDES[:-1] + _E2M1_MAGNITUDES[1:]) / 2  # 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5
# Rounding to E2M1 by table. With w = 4 · |v| (v in E2M1 units), the midpoints 0.25, 0.75, 1.25, 1.75, 2.5,
# 3.5, 5 are the whole numbers 1, 3, 5, 7, 10, 14, 20, so floor(w) and whether w is whole decide the index:
# BETWEEN[j] for j < w < j + 1, and the tie rule's table for w == j (MXFP4: the smaller magnitude, as gguf;
# NVFP4: the even index, IEEE round-to-nearest-even). Multiplying by 4 is exact, so this equals comparing
# with the midpoints. w beyond 32 (v > 8) saturates.
_W_MIDPOINTS = (_E2M1_MIDPOINTS * 4).long()
_W_GRID = torch.arange(34)
_BETWEEN = (_W_GRID.unsqueeze(1) >= _W_MIDPOINTS).sum(1).to(torch.uint8)  # midpoints <= j
_TIE_SMALLER = (_W_GRID.unsqueeze(1) > _W_MIDPOINTS).sum(1).to(torch.uint8)  # midpoints < j
_TIE_EVEN = torch.where(_TIE_SMALLER % 2 == 1, _TIE_SMALLER + 1, _TIE_SMALLER).to(torch.uint8)
_TIE_EVEN = torch.where(torch.isin(_W_GRID, _W_MIDPOINTS), _TIE_EVEN, _BETWEEN)
_TIE_SMALLER = torch.where(torch.isin(_W_GRID, _W_MIDPOINTS), _TIE_SMALLER, _BETWEEN)
W_LIMIT = 33

CHUNK_BLOCKS = 1024  # blocks per step: a few passes over 32K values that stay in cache


def code_levels(name: str) -> torch.Tensor:
    """Level of each code before the block constant (float32): q − 8, q, q (q8_0: codes −127..127), e2m1."""
    if name == "q4_0":
        return torch.arange(16, dtype=torch.float32) - 8
    if name == "q4_1":
        return torch.arange(16, dtype=torch.float32)
    if name == "q8_0":
        return torch.arange(-127, 128, dtype=torch.float32)
    return E2M1_CODE.clone()


def all_codes(name: str) -> np.ndarray:
    """Every code the format can store, in code order (q8_0: −127..127, as gguf never writes −128)."""
    return np.arange(-127, 128) if name == "q8_0" else np.arange(16)


def storage_bits(name: str, blocks: int) -> int:
    """Whole blocks (a short last block is stored padded, as GGUF must) plus the per-tensor constant."""
    block_bits = FORMAT_BLOCK[name] * FORMAT_CODE_BITS[name] + FORMAT_BLOCK_CONSTANT_BITS[name]
    return blocks * block_bits + FORMAT_TENSOR_BITS[name]


def _padded(flat: torch.Tensor, block: int) -> torch.Tensor:
    """(blocks, block): a short last block padded with copies of its first value."""
    short = (-flat.numel()) % block
    if short:
        flat = torch.cat([flat, flat[-(block - short)].expand(short)])
    return flat.view(-1, block)


def _chunks(blocks: int) -> list[slice]:
    return [slice(start, min(start + CHUNK_BLOCKS, blocks)) for start in range(0, blocks, CHUNK_BLOCKS)]


def _reciprocal(d: torch.Tensor) -> torch.Tensor:
    """1/d in float32, and 0 where d is 0 (or where 1/d overflows: d is then 0 in fp16 anyway)."""
    inverse = torch.div(torch.ones_like(d), d)
    return torch.where((d == 0) | torch.isinf(inverse), torch.zeros_like(d), inverse)


def _fp16(name: str, constant: torch.Tensor, flat: torch.Tensor) -> torch.Tensor:
    """The fp16 rounding of a block constant (round to nearest even), refused where it would be infinite."""
    half = constant.to(torch.float16)
    if bool(torch.isinf(half).any()):
        raise ValueError(t("formats.err.fp16_overflow", scheme=name, largest=float(flat.abs().max()),
                           limit=FP16_MAX))
    return half.float()


def quantize_format(flat: torch.Tensor, name: str) -> dict:
    """Quantizes a flat float32 tensor (finite, not empty) to format `name`; plain tensors, cut to its length.

    Returns codes (uint8, q8_0 int8), dequantized, scaled (the value that was rounded, in code units),
    scales (float32 per block: d, or the decoded E8M0 / E4M3 scale), zero_points (q4_1: m), scale_codes
    (uint8 per block: E8M0 exponent or E4M3 byte) and tensor_scale (nvfp4: S).
    """
    block = FORMAT_BLOCK[name]
    blocks = _padded(flat, block)  # (n, block)
    kernel = {"q4_0": _q4_0, "q4_1": _q4_1, "q8_0": _q8_0, "mxfp4": _mxfp4, "nvfp4": _nvfp4}[name]
    out = kernel(blocks, flat)
    count = flat.numel()
    for key in ("codes", "dequantized", "scaled"):
        out[key] = out[key].reshape(-1)[:count]
    return out


def _outputs(blocks: torch.Tensor, code_dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return (torch.empty(blocks.shape, dtype=code_dtype), torch.empty(blocks.shape), torch.empty(blocks.shape))


def _signed_max(blocks: torch.Tensor) -> torch.Tensor:
    """Per block, the value of largest |x|, the first one when +m and −m both occur (numpy's argmax)."""
    high, low = blocks.amax(dim=1), blocks.amin(dim=1)  # two reductions beat one argmax over |x|
    chosen = torch.where(-low > high, low, high)
    tied = torch.nonzero((-low == high) & (high > 0)).squeeze(1)  # both signs present: who comes first
    if tied.numel():
        part = blocks.index_select(0, tied)
        chosen[tied] = part.gather(1, part.abs().argmax(dim=1, keepdim=True)).squeeze(1)
    return chosen


def _q4_0(blocks: torch.Tensor, flat: torch.Tensor) -> dict:
    """gguf Q4_0.quantize_blocks / ggml quantize_row_q4_0_ref."""
    codes, dequantized, scaled = _outputs(blocks, torch.uint8)
    d = _signed_max(blocks) / -8  # (n,) float32
    d16 = _fp16("q4_0", d, flat)
    inverse = _reciprocal(d).unsqueeze(1)
    column = d16.unsqueeze(1)
    for rows in _chunks(blocks.shape[0]):
        value = torch.mul(blocks[rows], inverse[rows])
        q = torch.add(value, 8.5).trunc_().clamp_(0, 15)
        torch.add(value, 8.0, out=scaled[rows])
        codes[rows] = q.to(torch.uint8)
        torch.mul(column[rows], q.sub_(8), out=dequantized[rows])
    return {"codes": codes, "dequantized": dequantized, "scaled": scaled, "scales": d16}


def _q4_1(blocks: torch.Tensor, flat: torch.Tensor) -> dict:
    """gguf Q4_1.quantize_blocks / ggml quantize_row_q4_1_ref."""
    codes, dequantized, scaled = _outputs(blocks, torch.uint8)
    low, high = blocks.amin(dim=1), blocks.amax(dim=1)  # (n,)
    d = (high - low) / 15
    d16, m16 = _fp16("q4_1", d, flat), _fp16("q4_1", low, flat)
    inverse, low_column = _reciprocal(d).unsqueeze(1), low.unsqueeze(1)
    d_column, m_column = d16.unsqueeze(1), m16.unsqueeze(1)
    for rows in _chunks(blocks.shape[0]):
        value = torch.mul(torch.sub(blocks[rows], low_column[rows]), inverse[rows], out=scaled[rows])
        q = torch.add(value, 0.5).trunc_().clamp_(0, 15)
        codes[rows] = q.to(torch.uint8)
        torch.mul(d_column[rows], q, out=dequantized[rows]).add_(m_column[rows])
    return {"codes": codes, "dequantized": dequantized, "scaled": scaled, "scales": d16, "zero_points": m16}


def _q8_0(blocks: torch.Tensor, flat: torch.Tensor) -> dict:
    """gguf Q8_0.quantize_blocks (bit-exact with ggml quantize_row_q8_0_ref): round half away from zero."""
    codes, dequantized, scaled = _outputs(blocks, torch.int8)
    d = blocks.abs().amax(dim=1) / 127
    d16 = _fp16("q8_0", d, flat)
    inverse, column = _reciprocal(d).unsqueeze(1), d16.unsqueeze(1)
    for rows in _chunks(blocks.shape[0]):
        value = torch.mul(blocks[rows], inverse[rows], out=scaled[rows])
        magnitude = value.abs()
        floored = magnitude.floor()
        q = (magnitude - floored).mul_(2).floor_().add_(floored).mul_(value.sign())  # gguf's np_roundf
        codes[rows] = q.to(torch.int8)
        torch.mul(q.add_(0.0), column[rows], out=dequantized[rows])  # + 0.0: a −0 code is 0, as int8 stores it
    return {"codes": codes, "dequantized": dequantized, "scaled": scaled, "scales": d16}


def _e8m0_half(exponent: torch.Tensor) -> torch.Tensor:
    """2^(e − 128) in float32, built from its bits as ggml_e8m0_to_fp32_half does (subnormal for e < 2)."""
    e = exponent.to(torch.int32)
    bits = torch.where(e < 2, torch.tensor(0x00200000, dtype=torch.int32) << e, (e - 1) << 23)
    return bits.view(torch.float32)


def _mxfp4(blocks: torch.Tensor, flat: torch.Tensor) -> dict:
    """gguf MXFP4.quantize_blocks: e from numpy's float32 log2 (so the exponent is the reference's own)."""
    codes, dequantized, scaled = _outputs(blocks, torch.uint8)
    absmax = blocks.abs().amax(dim=1)  # (n,)
    top = absmax.numpy()
    with np.errstate(divide="ignore"):
        exponent = np.where(top > 0, np.floor(np.log2(top)) - 2 + 127, 0)
    exponent = torch.from_numpy(np.clip(exponent, 0, 254).astype(np.uint8))
    half = _e8m0_half(exponent)  # gguf's d: the E8M0 scale halved, used with doubled magnitudes
    scale = half * 2  # the E8M0 value 2^(e − 127)
    scale_column = scale.unsqueeze(1)
    for rows in _chunks(blocks.shape[0]):
        x = blocks[rows]
        value = torch.div(x, scale_column[rows], out=scaled[rows])  # in E2M1 units; exact: a power of two
        magnitude = _e2m1_index(value, _TIE_SMALLER)
        code = torch.where((x < 0) & (magnitude > 0), magnitude + 8, magnitude)  # a 0 is code 0 whatever its sign
        codes[rows] = code
        picked = E2M1_CODE.index_select(0, code.reshape(-1).long()).view_as(x)
        torch.mul(picked, scale_column[rows], out=dequantized[rows])
    return {"codes": codes, "dequantized": dequantized, "scaled": scaled, "scales": scale,
            "scale_codes": exponent}


def _e2m1_index(value: torch.Tensor, ties: torch.Tensor) -> torch.Tensor:
    """uint8 index 0..7 of the E2M1 magnitude nearest to |value|; `ties` decides values on a midpoint."""
    w = value.abs().mul_(4).clamp_(max=W_LIMIT)
    whole = w.floor()
    cell = whole.to(torch.int64).reshape(-1)
    between = _BETWEEN.index_select(0, cell).view_as(value)
    on_tie = ties.index_select(0, cell).view_as(value)
    return torch.where(w == whole, on_tie, between)


def _nvfp4(blocks: torch.Tensor, flat: torch.Tensor) -> dict:
    """NVFP4: S = amax / (6·448) fp32, s = e4m3(absmax_b / (6·S)), q = e2m1_rne(x / (s·S)), x̂ = e2m1(q)·s·S."""
    codes, dequantized, scaled = _outputs(blocks, torch.uint8)
    absmax = blocks.abs().amax(dim=1)  # (n,)
    tensor_max = absmax.max()
    tensor_scale = tensor_max / (E2M1_MAX * E4M3_MAX) if float(tensor_max) > 0 else torch.tensor(1.0)
    if not (math.isfinite(float(tensor_scale)) and float(tensor_scale) > 0):
        raise ValueError(t("formats.err.nvfp4_tiny", largest=float(tensor_max)))
    block_scale = (absmax / (E2M1_MAX * tensor_scale)).clamp_(max=E4M3_MAX).to(torch.float8_e4m3fn)
    scale_codes = block_scale.view(torch.uint8)
    scales = block_scale.float()  # (n,) the decoded E4M3 scales
    divisor = (scales * tensor_scale).unsqueeze(1)  # s · S per block
    zero_block = divisor == 0
    scale_column = scales.unsqueeze(1)
    for rows in _chunks(blocks.shape[0]):
        value = torch.div(blocks[rows], divisor[rows])
        value = torch.where(zero_block[rows], torch.zeros_like(value), value)
        scaled[rows] = value
        index = _e2m1_index(value, _TIE_EVEN)
        code = torch.where(torch.signbit(value), index + 8, index)
        codes[rows] = code
        picked = E2M1_CODE.index_select(0, code.reshape(-1).long()).view_as(value)
        torch.mul(picked, scale_column[rows], out=dequantized[rows]).mul_(tensor_scale)
    return {"codes": codes, "dequantized": dequantized, "scaled": scaled, "scales": scales,
            "scale_codes": scale_codes, "tensor_scale": float(tensor_scale)}

"""Blockwise quantization: absmax, zero-point, NF4 and FP4, with double quantization of the constants.

    x (any shape) ─ flatten ─► | block 0 | block 1 | … | last (may be shorter) |
                                    │ one constant per block (absmax, or scale + zero point)
                                    ▼
    scaled = x / absmax  ──►  nearest code (decided by the midpoints between sorted levels)
                                    │
    x̂ = level[code] · absmax   ◄────┘        error = x̂ − x

* absmax, k bits (LLM.int8 §2.1; QLoRA §2 eq. 1–2): q = round((2^(k-1) − 1) · x / absmax); 0 ↦ 0 exactly.
* zero-point, k bits: scale = (2^k − 1) / (max − min), zp = round(−scale·min) − 2^(k-1),
  q = clip(round(scale·x + zp)); both ends of the code range are used.
* NF4 (QLoRA §3 eq. 4): 16 levels at quantiles of N(0, 1), rescaled to [−1, 1], with an exact 0.
* FP4 (bitsandbytes): sign + 2-bit exponent + 1-bit mantissa, levels / 12.
* Double quantization (QLoRA §3): the fp32 absmax of each 4-bit block is itself quantized to 8 bits
  (offset = mean, bnb's signed dynamic map, blocks of 256), costing 8/64 + 32/(64·256) bits per parameter
  instead of 32/64.
* The fixed formats q4_0, q4_1, q8_0 (GGUF), mxfp4 and nvfp4 live in `playground.quant.formats`: they fix
  their own block length (FORMAT_BLOCK) and bits, so `bits`, `blocksize` and `per_row` are ignored for them
  (QuantSpec stores the format's own values), and double quantization does not apply (ValueError).

NF4 and FP4 follow bitsandbytes 0.50 `quantize_4bit` / `dequantize_4bit` (CPU) bit for bit: the block is
scaled by multiplying with the float32 reciprocal of its absmax (the shorter last block divides), clamped to
[−1, 1], and the code is the number of float32 midpoints strictly below the value (`torch.bucketize`,
here a table lookup plus one comparison that equals it), so a value exactly on a midpoint gets the LOWER
code; dequantizing multiplies the float32 level by the float32 absmax. Double quantization picks its 8-bit
codes through the same 65,536-entry table as bnb's CPU kernel.

The work runs on the calling thread only (`one_thread`): a few passes over cache-sized runs of blocks are
fast on one core, and on a shared machine a multi-threaded op that waits for a descheduled second thread
was measured 50–300× slower (a 576×1536 layer: 7 ms on one thread, 200 ms on two under load).
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import torch

from playground.checks import QUANT_TYPES, check_whole_number
from playground.i18n import t
from playground.quant import formats
from playground.quant.formats import FORMAT_BLOCK, FORMAT_CODE_BITS, FORMATS
from playground.settings import LIMITS

def one_thread(function):
    """Runs `function` with torch limited to one thread on the calling thread (other threads keep theirs)."""

    @functools.wraps(function)
    def single_threaded(*args, **kwargs):
        previous = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return function(*args, **kwargs)
        finally:
            torch.set_num_threads(previous)

    return single_threaded


Scheme = Literal["absmax", "zeropoint", "nf4", "fp4", "q4_0", "q4_1", "q8_0", "mxfp4", "nvfp4"]
Distribution = Literal["normal", "uniform", "laplace", "student-t", "normal+outliers"]
SCHEMES: tuple[str, ...] = get_args(Scheme)
FIXED_FORMATS: tuple[str, ...] = FORMATS  # block length and bits fixed by the format (FORMAT_BLOCK)
CODE_TABLE_SCHEMES = ("nf4", "fp4", "mxfp4", "nvfp4")  # codes index a table, not in level order
DISTRIBUTIONS: tuple[str, ...] = get_args(Distribution)
BLOCKSIZES = (32, 64, 128, 256, 512, 1024, 2048, 4096)  # the sizes bitsandbytes accepts
MIN_BITS, MAX_BITS = 2, 8
DQ_BLOCKSIZE = 256  # blocks of absmax values per second-level constant (bnb compress_statistics)
MIN_SYNTHETIC = 16
STUDENT_T_DF = 3.0  # heavy tails, finite variance

# bitsandbytes functional.get_4bit_type: index = the 4-bit code, value = its level in [-1, 1]
NF4_CODE = torch.tensor(
    [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
        0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ],
    dtype=torch.float32,
)
# bit 3 = sign, low 3 bits an E2M1 pattern; not sorted by value; divided by the max (12) in float32 like bnb
FP4_CODE = torch.tensor(
    [0, 0.0625, 8.0, 12.0, 4.0, 6.0, 2.0, 3.0, -0.0, -0.0625, -8.0, -12.0, -4.0, -6.0, -2.0, -3.0],
    dtype=torch.float32,
) / torch.tensor(12.0)
NF4_TOP_PROBABILITY = 0.9677083  # QLoRA's offset: the outermost quantile used for ±1


def _sorted_code(code: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(order, sorted levels, midpoints) exactly as bnb's _get_4bit_quantize_bounds builds them."""
    order = torch.argsort(code)
    levels = code[order]
    return order, levels, (levels[:-1] + levels[1:]) / 2


class _CellSearch:
    """`torch.bucketize(scaled, bounds)` (how many bounds lie strictly below each value), done with a table.

    [-1, 1] is cut into 8192 cells, finer than the closest two bounds (FP4: 0.0026 apart), so a cell widened
    by a small margin holds at most one bound: the answer is the count below the cell plus one comparison
    with that bound, exact float32 comparisons as in bucketize, in a few cheap vectorised passes.
    """

    cells = 8192
    margin = 1e-6  # wider than any float32 rounding of (s + 1) · cells / 2 for s in [-1, 1]

    def __init__(self, bounds: torch.Tensor):
        edges = torch.arange(self.cells + 1, dtype=torch.float64) / (self.cells / 2) - 1
        wide = bounds.double()
        self.below = torch.searchsorted(wide, edges[:-1] - self.margin).to(torch.int32)  # (cells,)
        inside = torch.searchsorted(wide, edges[1:] + self.margin, right=True) - self.below
        if int(inside.max()) > 1:
            raise ValueError("bounds closer together than one cell: use torch.bucketize")
        self.bound = torch.full((self.cells,), math.inf)  # (cells,) the bound in the cell, or +inf
        self.bound[inside == 1] = bounds[self.below[inside == 1].long()]

    def __call__(self, scaled: torch.Tensor) -> torch.Tensor:
        cell = (scaled + 1).mul_(self.cells / 2).to(torch.int32).clamp_(0, self.cells - 1)
        index = self.below.index_select(0, cell)  # index_select: a far faster gather than tensor[cell]
        index += scaled > self.bound.index_select(0, cell)
        return index


_FOUR_BIT = {"nf4": _sorted_code(NF4_CODE), "fp4": _sorted_code(FP4_CODE)}
_FOUR_BIT_SEARCH = {scheme: _CellSearch(bounds) for scheme, (_, _, bounds) in _FOUR_BIT.items()}
_FOUR_BIT_TABLE = {"nf4": NF4_CODE, "fp4": FP4_CODE}


def nf4_derivation() -> dict[str, np.ndarray]:
    """Where NF4's levels come from (QLoRA §3): quantiles of N(0, 1) at evenly spaced probabilities.

    8 positive quantiles at linspace(0.9677083, 0.5, 9)[:-1], 7 negative ones at linspace(0.9677083, 0.5, 8)[:-1],
    plus an exact 0; all divided by the largest, so ±1 are the ends. Returns sorted arrays of the probability,
    the N(0, 1) quantile z and the level z / max(z).
    """
    positive_p = torch.linspace(NF4_TOP_PROBABILITY, 0.5, 9, dtype=torch.float64)[:-1]
    negative_p = torch.linspace(NF4_TOP_PROBABILITY, 0.5, 8, dtype=torch.float64)[:-1]
    z = torch.cat([torch.special.ndtri(positive_p), torch.zeros(1, dtype=torch.float64), -torch.special.ndtri(negative_p)])
    probability = torch.cat([positive_p, torch.full((1,), 0.5, dtype=torch.float64), 1 - negative_p])
    order = torch.argsort(z)
    z, probability = z[order], probability[order]
    return {"probability": probability.numpy(), "z": z.numpy(), "level": (z / z.abs().max()).numpy()}


def dynamic_map() -> torch.Tensor:
    """bitsandbytes' signed 8-bit dynamic map (create_dynamic_map(signed=True)): 256 sorted values in [-1, 1].

    For each exponent i = 0..6 the fractions are the midpoints of linspace(0.1, 1, 2^i + 1), times 10^(i-6),
    with both signs; plus 0 and 1, padded with zeros to 256.
    """
    data: list[float] = []
    for i in range(7):
        boundaries = torch.linspace(0.1, 1, 2**i + 1, dtype=torch.float32)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += ((10 ** (i - 6)) * means).tolist()
        data += (-(10 ** (i - 6)) * means).tolist()
    data += [0.0, 1.0]
    data += [0.0] * (256 - len(data))
    data.sort()
    return torch.tensor(data, dtype=torch.float32)


_DYNAMIC_MAP = dynamic_map()


@dataclass(frozen=True)
class QuantSpec:
    """One quantization scheme. blocksize None: one block for the whole tensor; per_row: one block per row.

    For the fixed formats (q4_0, q4_1, q8_0, mxfp4, nvfp4) the given bits, blocksize and per_row are ignored
    and replaced by the format's own (QuantSpec("q4_0", bits=2, blocksize=4096) == QuantSpec("q4_0")).
    """

    scheme: Scheme
    bits: int = 8  # absmax / zeropoint only: NF4 and FP4 are 4-bit by definition
    blocksize: int | None = None  # one of BLOCKSIZES (bitsandbytes' sizes); None = per tensor
    double_quant: bool = False  # NF4 / FP4 only
    per_row: bool = False  # one block per row (last dimension) instead of fixed-size blocks

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(t("quant.err.scheme", scheme=self.scheme, choices=", ".join(SCHEMES)))
        if self.scheme in FIXED_FORMATS:
            if self.double_quant:
                raise ValueError(t("formats.err.double_quant", scheme=self.scheme,
                                   constants=formats.FORMAT_CONSTANTS[self.scheme]))
            object.__setattr__(self, "bits", FORMAT_CODE_BITS[self.scheme])
            object.__setattr__(self, "blocksize", FORMAT_BLOCK[self.scheme])
            object.__setattr__(self, "per_row", False)
            return
        check_whole_number(t("quant.label.bits"), self.bits, MIN_BITS, MAX_BITS)
        if self.blocksize is not None and self.blocksize not in BLOCKSIZES:
            raise ValueError(
                t("quant.err.blocksize", blocksize=self.blocksize, choices=", ".join(map(str, BLOCKSIZES)))
            )
        if self.per_row and self.blocksize is not None:
            raise ValueError(f"per_row=True and blocksize={self.blocksize} contradict each other: pick one")
        if self.double_quant and self.scheme not in QUANT_TYPES:
            raise ValueError(t("quant.err.double_quant", scheme=self.scheme))

    @property
    def fixed(self) -> bool:
        """A fixed format (q4_0, q4_1, q8_0, mxfp4, nvfp4): block length and bits are the format's."""
        return self.scheme in FIXED_FORMATS

    @property
    def code_bits(self) -> int:
        return 4 if self.scheme in QUANT_TYPES else int(self.bits)

    @property
    def code_count(self) -> int:
        """How many distinct codes the scheme can store (absmax int-k and q8_0 leave -2^(k-1) unused)."""
        if self.scheme in ("absmax", "q8_0"):
            return 2**self.code_bits - 1
        return 2**self.code_bits

    @property
    def constant_bits(self) -> int:
        """Bits stored per block: an fp32 absmax, or an fp32 scale and an fp32 zero point (fixed formats:
        their fp16 / E8M0 / E4M3 constants; NVFP4's one fp32 tensor scale is not per block)."""
        if self.fixed:
            return formats.FORMAT_BLOCK_CONSTANT_BITS[self.scheme]
        return 64 if self.scheme == "zeropoint" else 32

    @property
    def label(self) -> str:
        name = {"absmax": f"absmax int{self.bits}", "zeropoint": f"zero-point int{self.bits}"}.get(
            self.scheme, self.scheme.upper()
        )
        return name + (" + DQ" if self.double_quant else "")


def storage_bits(spec: QuantSpec, count: int, blocks: int) -> int:
    """Bits to store `count` values in `blocks` blocks: codes plus per-block constants.

    absmax, NF4, FP4: one fp32 absmax per block; zero-point: fp32 scale + fp32 zero point; with double
    quantization: one 8-bit code per block plus one fp32 constant per 256 blocks. The DQ offset (one fp32
    per tensor) and the code tables (shared by every tensor) are not counted. Fixed formats store whole
    blocks (a short last block padded) plus NVFP4's fp32 tensor scale: Q4_0 4.5, Q4_1 5.0, Q8_0 8.5,
    MXFP4 4.25, NVFP4 4.5 + 32/count bits per value.
    """
    if spec.fixed:
        return formats.storage_bits(spec.scheme, blocks)
    if spec.double_quant:
        constants = blocks * 8 + math.ceil(blocks / DQ_BLOCKSIZE) * 32
    else:
        constants = blocks * spec.constant_bits
    return count * spec.code_bits + constants


def block_count(spec: QuantSpec, shape: tuple[int, ...]) -> int:
    """How many blocks `quantize` cuts a tensor of `shape` into under `spec`."""
    count = math.prod(shape)
    if spec.per_row:
        return count // shape[-1] if shape else 1
    return 1 if spec.blocksize is None else math.ceil(count / spec.blocksize)


@dataclass
class QuantResult:
    """Everything needed to undo and to explain one quantization (like bnb's QuantState, plus the codes)."""

    spec: QuantSpec
    shape: tuple[int, ...]
    block_length: int  # values per block (the last block may be shorter)
    codes: torch.Tensor  # same shape as x: int8 (absmax, zeropoint) or uint8 0..15 (nf4, fp4: bnb's index)
    dequantized: torch.Tensor  # float32, same shape as x
    scaled: torch.Tensor  # float32, same shape: the value that was rounded (x·c, x/absmax, scale·x + zp)
    scales: torch.Tensor  # float32 per block: absmax (absmax, nf4, fp4; after DQ when on) or scale (zeropoint)
    zero_points: torch.Tensor | None = None  # float32 per block (zeropoint)
    absmax_codes: torch.Tensor | None = None  # uint8 per block: the double-quantized absmax
    dq_scales: torch.Tensor | None = None  # float32 per 256 blocks: second-level absmax
    dq_offset: float | None = None  # mean absmax subtracted before double quantization
    scale_codes: torch.Tensor | None = None  # uint8 per block as stored: E8M0 exponent (mxfp4), E4M3 byte (nvfp4)
    tensor_scale: float | None = None  # nvfp4: the fp32 tensor scale S = amax / (6·448)
    total_bits: int = field(init=False)
    code_counts: np.ndarray | None = field(default=None, repr=False)  # filled by code_histogram

    def __post_init__(self) -> None:
        self.total_bits = storage_bits(self.spec, self.numel, self.block_count)

    @property
    def numel(self) -> int:
        return math.prod(self.shape)

    @property
    def block_count(self) -> int:
        return len(self.scales)

    @property
    def bits_per_param(self) -> float:
        """Code bits plus per-block constants, per value (the DQ offset and the code tables are shared, not counted)."""
        return self.total_bits / self.numel

    @property
    def nbytes(self) -> int:
        return math.ceil(self.total_bits / 8)

    def block_range(self, block: int) -> tuple[int, int]:
        """(start, stop) of `block` in the flattened tensor."""
        if not 0 <= block < self.block_count:
            raise ValueError(
                t("quant.err.block_missing", block=block, count=self.block_count, last=self.block_count - 1)
            )
        start = block * self.block_length
        return start, min(start + self.block_length, self.numel)

    def block_of(self, index: int) -> int:
        """The block holding value `index` of the flattened tensor (block lengths differ between formats:
        NVFP4's block k is not Q4_0's block k)."""
        return int(index) // self.block_length

    def block_levels(self, block: int) -> tuple[np.ndarray, np.ndarray]:
        """(codes, levels) the block can dequantize to, sorted by level; levels in the units of x."""
        self.block_range(block)
        spec, scale = self.spec, float(self.scales[block])
        if spec.scheme == "absmax":
            top = 2 ** (spec.bits - 1) - 1
            codes = np.arange(-top, top + 1)
            return codes, (codes * np.float64(scale) / top)
        if spec.scheme == "zeropoint":
            codes = np.arange(-(2 ** (spec.bits - 1)), 2 ** (spec.bits - 1))
            return codes, (codes - float(self.zero_points[block])) / scale
        if spec.fixed:
            codes = formats.all_codes(spec.scheme)
            base = formats.code_levels(spec.scheme).double().numpy()
            levels = base * scale * (self.tensor_scale or 1.0)
            if self.zero_points is not None:
                levels = levels + float(self.zero_points[block])
            order = np.argsort(levels, kind="stable")
            return codes[order], levels[order]
        order, levels, _ = _FOUR_BIT[spec.scheme]
        return order.numpy(), levels.double().numpy() * scale

    def block_boundaries(self, block: int) -> np.ndarray:
        """Decision boundaries of the block (midpoints between neighbouring levels), in the units of x."""
        _, levels = self.block_levels(block)
        return (levels[:-1] + levels[1:]) / 2

    def widest_block(self) -> int:
        """The block whose levels span the widest range (for a whole-tensor overlay)."""
        if self.spec.scheme == "zeropoint":
            spans = (2**self.spec.bits - 1) / self.scales.double()
        else:
            spans = self.scales.double().abs()
        return int(torch.argmax(spans))


def as_tensor(x) -> torch.Tensor:
    """A float tensor view of a numpy array, torch tensor or nested list (floats kept in their dtype)."""
    if isinstance(x, torch.Tensor):
        tensor = x.detach()
    else:
        array = np.asarray(x)
        if array.dtype.kind not in "fiub":
            raise ValueError(t("quant.err.not_numbers", dtype=str(array.dtype)))
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    tensor = tensor.cpu()
    if not tensor.is_floating_point():
        tensor = tensor.float()
    if tensor.dtype == torch.float64:
        tensor = tensor.float()
    return tensor


def _require_finite(block_stat: torch.Tensor, flat: torch.Tensor) -> None:
    """NaN and ±inf carry into a block's max, so checking the per-block constants checks every value."""
    if not bool(torch.isfinite(block_stat).all()):
        bad = flat[~torch.isfinite(flat)][0].item()
        raise ValueError(t("quant.err.not_finite", bad=bad))


def _split_blocks(flat: torch.Tensor, block_length: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(full blocks as (blocks, block_length), the shorter last block or None)."""
    full = flat.numel() - flat.numel() % block_length
    body = flat[:full].view(-1, block_length)  # (blocks, B)
    return body, (flat[full:] if full < flat.numel() else None)


def _blockwise_absmax(body: torch.Tensor, tail: torch.Tensor | None) -> torch.Tensor:
    absmax = body.abs().amax(dim=1) if body.numel() else body.new_zeros(0)  # (blocks,)
    if tail is not None:
        absmax = torch.cat([absmax, tail.abs().amax().unsqueeze(0)])
    return absmax


CHUNK_VALUES = 1 << 15  # values per step of the 4-bit loops: stays in cache; at torch's grain size, so each step runs on one thread (no waiting on a descheduled second thread on a busy machine)


def _row_chunks(rows: int, row_length: int) -> list[slice]:
    step = max(1, CHUNK_VALUES // max(row_length, 1))
    return [slice(start, min(start + step, rows)) for start in range(0, rows, step)]


def _four_bit(flat: torch.Tensor, block_length: int, scheme: str):
    """bnb's quantize_4bit arithmetic: (codes uint8, scaled float32, absmax per block, sorted-level index int32).

    Same operations as bnb, applied a cache-sized run of blocks at a time (a few passes over 64K values
    beat a few passes over millions that have to come from main memory each time).
    """
    order = _FOUR_BIT[scheme][0].to(torch.uint8)
    search = _FOUR_BIT_SEARCH[scheme]
    body, tail = _split_blocks(flat, block_length)
    full_blocks, full = body.shape[0], body.numel()
    absmax = torch.empty(full_blocks + (tail is not None))
    scaled = torch.empty_like(flat)
    index = torch.empty(flat.numel(), dtype=torch.int32)
    codes = torch.empty(flat.numel(), dtype=torch.uint8)
    scaled_body, index_body, codes_body = (out[:full].view_as(body) for out in (scaled, index, codes))
    for rows in _row_chunks(full_blocks, block_length):
        block_max = torch.amax(body[rows].abs(), dim=1, out=absmax[rows])  # (rows,)
        reciprocal = (1.0 / block_max.clamp(min=1e-38)).unsqueeze(1)  # as bnb: x · (1/absmax), not x / absmax
        part = torch.mul(body[rows], reciprocal, out=scaled_body[rows]).clamp_(-1, 1)
        found = search(part.reshape(-1))  # = bucketize on the midpoints: a tie goes to the lower code
        index_body[rows] = found.view_as(part)
        codes_body[rows] = (found if scheme == "nf4" else order.index_select(0, found)).view_as(part)
    if tail is not None:
        absmax[-1] = tail.abs().amax()
        scaled[full:] = torch.clamp(tail / absmax[-1].clamp(min=1e-38), -1, 1)  # bnb divides in the last block
        index[full:] = search(scaled[full:])
        codes[full:] = index[full:] if scheme == "nf4" else order.index_select(0, index[full:])
    return codes, scaled, absmax, index


def _dequantize_four_bit(index: torch.Tensor, absmax: torch.Tensor, block_length: int, scheme: str) -> torch.Tensor:
    """level · absmax in float32, as bnb's dequantize_4bit; `index` points into the sorted levels."""
    levels = _FOUR_BIT[scheme][1]
    index_body, index_tail = _split_blocks(index, block_length)
    out = torch.empty(index.numel(), dtype=torch.float32)
    out_body = out[: index_body.numel()].view_as(index_body)
    column = absmax[: index_body.shape[0]].view(-1, 1)
    for rows in _row_chunks(index_body.shape[0], block_length):
        picked = levels.index_select(0, index_body[rows].reshape(-1)).view(-1, block_length)
        torch.mul(picked, column[rows], out=out_body[rows])
    if index_tail is not None:
        out[index_body.numel():] = levels.index_select(0, index_tail) * absmax[-1]
    return out


def _nearest_code_lut(code: torch.Tensor, size: int = 65536) -> torch.Tensor:
    """For `size` evenly spaced points of [-1, 1], the index of the nearest code (a tie goes to the lower one).

    bnb 0.50's CPU 8-bit blockwise kernel looks codes up in such a table instead of searching, so the
    double-quantized absmax matches it only when it is done the same way.
    """
    points = (torch.arange(size, dtype=torch.float32) / (size - 1)) * 2 - 1
    right = torch.searchsorted(code, points).clamp(1, len(code) - 1)  # first code >= point
    left = right - 1
    closer_right = (code[right] - points).abs() < (points - code[left]).abs()
    return torch.where(closer_right, right, left).to(torch.uint8)


_DYNAMIC_LUT = _nearest_code_lut(_DYNAMIC_MAP)


def _double_quantize(absmax: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """(8-bit codes, second-level absmax per 256, dequantized absmax, offset): QLoRA §3, bnb compress_statistics."""
    offset = absmax.mean()
    centered = absmax - offset  # (blocks,)
    second = _blockwise_absmax(*_split_blocks(centered, DQ_BLOCKSIZE))  # (ceil(blocks / 256),)
    per_value = torch.repeat_interleave(second, DQ_BLOCKSIZE)[: centered.numel()]
    scaled = torch.where(per_value > 0, centered / per_value, torch.zeros_like(centered)).clamp(-1, 1)
    lut_index = (((scaled + 1) * 0.5) * (len(_DYNAMIC_LUT) - 1) + 0.5).long()  # truncation, as in bnb's kernel
    codes = _DYNAMIC_LUT[lut_index]
    restored = _DYNAMIC_MAP[codes.long()] * per_value + offset
    return codes, second, restored, float(offset)


def _padded_blocks(flat: torch.Tensor, block_length: int) -> torch.Tensor:
    """(blocks, block_length) view; a short last block is padded with copies of its first value,
    which leaves its min, max and absmax unchanged (the padding is cut off again afterwards)."""
    short = (-flat.numel()) % block_length
    if short:
        flat = torch.cat([flat, flat[-(block_length - short)].expand(short)])
    return flat.view(-1, block_length)


def _absmax_int(flat: torch.Tensor, block_length: int, bits: int):
    top = 2 ** (bits - 1) - 1
    blocks = _padded_blocks(flat, block_length)  # (blocks, B)
    absmax = blocks.abs().amax(dim=1)  # (blocks,)
    divisor = torch.where(absmax > 0, absmax, torch.ones_like(absmax)).unsqueeze(1)  # an all-zero block stays 0
    scaled = blocks / divisor * top  # x / absmax stays finite even for a tiny absmax
    codes = torch.round(scaled)
    dequantized = codes * (divisor / top)
    n = flat.numel()
    return codes.reshape(-1)[:n].to(torch.int8), dequantized.reshape(-1)[:n], scaled.reshape(-1)[:n], absmax


def _zeropoint_int(flat: torch.Tensor, block_length: int, bits: int):
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    blocks = _padded_blocks(flat, block_length)  # (blocks, B)
    mins, maxs = blocks.amin(dim=1).double(), blocks.amax(dim=1).double()  # (blocks,) constants in float64
    spread = maxs - mins
    _require_finite(spread, flat)
    scale = (2**bits - 1) / torch.where(spread > 0, spread, 1.0)
    scale = torch.where((spread > 0) & (scale < 1e37), scale, 1.0)  # a constant (or denormal-wide) block: scale 1
    zero_point = torch.round(-scale * mins) - 2 ** (bits - 1)
    scale32, zero32 = scale.float().unsqueeze(1), zero_point.float().unsqueeze(1)
    scaled = blocks * scale32 + zero32
    codes = torch.clamp(torch.round(scaled), low, high)
    dequantized = (codes - zero32) / scale32
    n = flat.numel()
    return (
        codes.reshape(-1)[:n].to(torch.int8), dequantized.reshape(-1)[:n], scaled.reshape(-1)[:n],
        scale.float(), zero_point.float(),
    )


@one_thread
def quantize(
    x,
    scheme: Scheme,
    *,
    bits: int = 8,
    blocksize: int | None = None,
    double_quant: bool = False,
    per_row: bool = False,
) -> QuantResult:
    """Quantizes `x` (numpy array or torch tensor, any shape) and dequantizes it again.

    scheme: "absmax", "zeropoint" (bits 2..8) or "nf4", "fp4" (4 bits; `bits` is not used), or a fixed format
        "q4_0", "q4_1", "q8_0" (GGUF), "mxfp4", "nvfp4" (bits, blocksize and per_row are not used: see
        playground.quant.formats; double_quant raises).
    blocksize: None = one block for the whole tensor, else one of 32, 64, …, 4096 (flattened, row-major).
    per_row: one block per row (the last dimension), as LLM.int8 does for weight rows.
    double_quant: quantize NF4/FP4's fp32 absmax values to 8 bits (QLoRA §3).
    """
    spec = QuantSpec(scheme, bits, blocksize, double_quant, per_row)
    tensor = as_tensor(x)
    if tensor.numel() == 0:
        raise ValueError(t("quant.err.empty"))
    shape = tuple(tensor.shape)
    flat = tensor.reshape(-1).float()
    if spec.fixed:
        _require_finite(flat.abs().amax().unsqueeze(0), flat)
        out = formats.quantize_format(flat.contiguous(), scheme)
        return QuantResult(
            spec=spec,
            shape=shape,
            block_length=FORMAT_BLOCK[scheme],
            codes=out["codes"].reshape(shape),
            dequantized=out["dequantized"].reshape(shape),
            scaled=out["scaled"].reshape(shape),
            scales=out["scales"],
            zero_points=out.get("zero_points"),
            scale_codes=out.get("scale_codes"),
            tensor_scale=out.get("tensor_scale"),
        )
    if per_row:
        block_length = shape[-1] if len(shape) > 0 else 1
    else:
        block_length = blocksize if blocksize is not None else flat.numel()
    zero_points = absmax_codes = dq_scales = dq_offset = None
    if scheme in QUANT_TYPES:
        codes, scaled, scales, level_index = _four_bit(flat, block_length, scheme)
        _require_finite(scales, flat)
        if double_quant:
            absmax_codes, dq_scales, scales, dq_offset = _double_quantize(scales)
        dequantized = _dequantize_four_bit(level_index, scales, block_length, scheme)
    elif scheme == "absmax":
        codes, dequantized, scaled, scales = _absmax_int(flat, block_length, spec.bits)
        _require_finite(scales, flat)
    else:
        codes, dequantized, scaled, scales, zero_points = _zeropoint_int(flat, block_length, spec.bits)
    return QuantResult(
        spec=spec,
        shape=shape,
        block_length=block_length,
        codes=codes.reshape(shape),
        dequantized=dequantized.reshape(shape),
        scaled=scaled.reshape(shape),
        scales=scales,
        zero_points=zero_points,
        absmax_codes=absmax_codes,
        dq_scales=dq_scales,
        dq_offset=dq_offset,
    )


# --------------------------------------------------------------------------- metrics


def code_histogram(result: QuantResult) -> tuple[np.ndarray, np.ndarray]:
    """(every code the scheme has, how many values got each one); counted once per result."""
    spec = result.spec
    if spec.fixed:
        codes = formats.all_codes(spec.scheme)
    elif spec.scheme in QUANT_TYPES:
        codes = np.arange(16)
    elif spec.scheme == "absmax":
        top = 2 ** (spec.bits - 1) - 1
        codes = np.arange(-top, top + 1)
    else:
        codes = np.arange(-(2 ** (spec.bits - 1)), 2 ** (spec.bits - 1))
    if result.code_counts is None:
        flat = result.codes.reshape(-1)
        if flat.dtype == torch.uint8:
            result.code_counts = torch.bincount(flat, minlength=16).numpy()
        else:  # int8 → uint8 with the sign bit flipped: code c lands in bin c + 128 (bincount is fastest on uint8)
            result.code_counts = torch.bincount(flat.view(torch.uint8) ^ 0x80, minlength=256).numpy()[codes + 128]
    return codes, result.code_counts


@one_thread
def metrics(x, result: QuantResult) -> dict[str, float | int | str | None]:
    """One row of the metrics table: errors, SNR, code usage, storage (plain data)."""
    original = as_tensor(x).reshape(-1).float()
    error = result.dequantized.reshape(-1) - original
    squared = float(torch.linalg.vector_norm(error)) ** 2  # one pass, no temporaries
    mse = squared / original.numel()
    signal = float(torch.linalg.vector_norm(original)) ** 2
    lowest, highest = torch.aminmax(error)
    _, counts = code_histogram(result)
    shares = counts[counts > 0] / counts.sum()
    return {
        "scheme": result.spec.label,
        "mse": mse,
        "rmse": math.sqrt(mse),
        "max_abs_error": max(-float(lowest), float(highest)),
        "snr_db": (10 * math.log10(signal / squared)) if squared > 0 and signal > 0 else None,
        "codes_used": int((counts > 0).sum()),
        "codes_total": result.spec.code_count,
        "codes_used_share": float((counts > 0).sum()) / result.spec.code_count,
        "code_entropy_bits": float(-(shares * np.log2(shares)).sum()),  # = code bits when every code is equally used
        "bits_per_param": result.bits_per_param,
        "bytes": result.nbytes,
    }


def step_table(x, result: QuantResult) -> list[dict[str, float | int | str]]:
    """Per value, the worked example: value, block constant, scaled, code, level, dequantized, error.

    x̂ = level · scale (absmax, NF4, FP4, Q4_0, Q8_0, MXFP4), level · scale + zero_point (Q4_1: level = code,
    scale = d, zero_point = m), level · scale · tensor_scale (NVFP4); zero-point int-k: (code − zero_point) / scale.
    """
    flat = as_tensor(x).reshape(-1).float()
    spec = result.spec
    table = formats.code_levels(spec.scheme) if spec.fixed else _FOUR_BIT_TABLE.get(spec.scheme)
    offset = 127 if spec.scheme == "q8_0" else 0  # q8_0's table starts at code -127
    rows = []
    for index, value in enumerate(flat.tolist()):
        block = index // result.block_length
        code = int(result.codes.reshape(-1)[index])
        dequantized = float(result.dequantized.reshape(-1)[index])
        rows.append(
            {
                "scheme": spec.label,
                "index": index,
                "value": value,
                "block": block,
                "scale": float(result.scales[block]),
                "zero_point": None if result.zero_points is None else float(result.zero_points[block]),
                "tensor_scale": result.tensor_scale,  # nvfp4: x̂ = level · scale · tensor_scale; else None
                "scaled": float(result.scaled.reshape(-1)[index]),
                "code": code,
                "level": None if table is None else float(table[code + offset]),
                "dequantized": dequantized,
                "error": dequantized - value,
            }
        )
    return rows


# --------------------------------------------------------------------------- inputs


def synthetic(
    distribution: Distribution,
    size: int,
    seed: int = 0,
    outlier_fraction: float = 0.01,
    outlier_magnitude: float = 10.0,
) -> torch.Tensor:
    """`size` float32 values with unit scale; "normal+outliers" sets a fraction of them to ±magnitude."""
    if distribution not in DISTRIBUTIONS:
        raise ValueError(t("quant.err.distribution", distribution=distribution, choices=", ".join(DISTRIBUTIONS)))
    check_whole_number(t("quant.label.size"), size, MIN_SYNTHETIC, LIMITS.max_values)
    if not 0.0 <= outlier_fraction <= 0.5:
        raise ValueError(t("quant.err.outlier_fraction", value=outlier_fraction))
    if not (math.isfinite(outlier_magnitude) and 0 < outlier_magnitude <= 1e6):
        raise ValueError(t("quant.err.outlier_magnitude", value=outlier_magnitude))
    generator = torch.Generator().manual_seed(int(seed))
    if distribution == "uniform":
        return (torch.rand(size, generator=generator) * 2 - 1) * math.sqrt(3)
    if distribution == "laplace":
        uniform = torch.rand(size, generator=generator).clamp(1e-7, 1 - 1e-7) - 0.5
        return -torch.sign(uniform) * torch.log1p(-2 * uniform.abs()) / math.sqrt(2)
    if distribution == "student-t":
        return torch.from_numpy(np.random.default_rng(int(seed)).standard_t(STUDENT_T_DF, size).astype(np.float32))
    values = torch.randn(size, generator=generator)
    if distribution == "normal+outliers":
        count = round(outlier_fraction * size)
        where = torch.randperm(size, generator=generator)[:count]
        signs = torch.where(torch.rand(count, generator=generator) < 0.5, -1.0, 1.0)
        values[where] = signs * outlier_magnitude
    return values


_NUMBER_SEPARATORS = re.compile(r"[\s,;]+")


def parse_numbers(text: str) -> torch.Tensor:
    """Numbers typed or pasted, separated by commas, spaces, semicolons or new lines."""
    if len(text or "") > LIMITS.max_typed_chars:
        raise ValueError(t("quant.err.typed_chars", count=len(text), limit=LIMITS.max_typed_chars))
    tokens = [token for token in _NUMBER_SEPARATORS.split(text or "") if token]
    if not tokens:
        raise ValueError(t("quant.err.no_numbers"))
    if len(tokens) > LIMITS.max_values:
        raise ValueError(t("quant.err.too_many_values", count=len(tokens), limit=LIMITS.max_values))
    values = []
    for token in tokens:
        try:
            value = float(token)
        except ValueError:
            raise ValueError(t("quant.err.not_a_number", token=token)) from None
        if not math.isfinite(value):
            raise ValueError(t("quant.err.not_finite_number", token=token))
        values.append(value)
    return torch.tensor(values, dtype=torch.float32)

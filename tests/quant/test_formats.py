"""The fixed formats against their references: gguf 0.19's `gguf.quants` (Q4_0, Q4_1, Q8_0, MXFP4: quantize
and dequantize, bit for bit; NVFP4: its dequantizer) and NVFP4's worked values derived by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from gguf import GGMLQuantizationType, quants

from playground.quant import formats, plots
from playground.quant import schemes as quant

GGUF_TYPES = {"q4_0": GGMLQuantizationType.Q4_0, "q4_1": GGMLQuantizationType.Q4_1,
              "q8_0": GGMLQuantizationType.Q8_0, "mxfp4": GGMLQuantizationType.MXFP4}
F32 = torch.float32


def bits(tensor) -> np.ndarray:
    """The float32 bit patterns (so −0 and 0 differ, and NaN compares)."""
    return np.ascontiguousarray(np.asarray(tensor, dtype=np.float32)).view(np.int32)


def unpack_gguf(packed: np.ndarray, name: str) -> dict[str, np.ndarray]:
    """gguf's blocks → per-value codes and per-block constants. Nibble layout (Q4_0, Q4_1, MXFP4): byte j of
    a 32-block holds element j in its low nibble and element j + 16 in its high nibble."""
    size = {"q4_0": 18, "q4_1": 20, "q8_0": 34, "mxfp4": 17}[name]
    blocks = packed.reshape(-1, size)
    if name == "q8_0":
        return {"scales": blocks[:, :2].copy().view(np.float16).astype(np.float32).ravel(),
                "codes": blocks[:, 2:].copy().view(np.int8).ravel()}
    start = {"q4_0": 2, "q4_1": 4, "mxfp4": 1}[name]
    qs = blocks[:, start:]
    out = {"codes": np.concatenate([qs & 0xF, qs >> 4], axis=1).ravel()}
    if name == "mxfp4":
        out["scale_codes"] = blocks[:, 0].copy()
    else:
        out["scales"] = blocks[:, :2].copy().view(np.float16).astype(np.float32).ravel()
    if name == "q4_1":
        out["zero_points"] = blocks[:, 2:4].copy().view(np.float16).astype(np.float32).ravel()
    return out


def assert_matches_gguf(x: torch.Tensor, name: str) -> quant.QuantResult:
    """Codes, block constants and dequantized values equal gguf's, bit for bit. gguf needs rows that are a
    multiple of 32: a short last block is compared with gguf on the tensor padded as ours pads it."""
    flat = x.reshape(-1).float()
    short = (-flat.numel()) % 32
    padded = torch.cat([flat, flat[-(32 - short)].expand(short)]) if short else flat
    reference = padded.numpy().reshape(-1, 32)
    packed = quants.quantize(reference, GGUF_TYPES[name])
    expected = quants.dequantize(packed, GGUF_TYPES[name]).ravel()[: flat.numel()]
    unpacked = unpack_gguf(packed, name)
    ours = quant.quantize(x, name)
    assert ours.codes.shape == x.shape and ours.dequantized.shape == x.shape
    assert np.array_equal(ours.codes.reshape(-1).numpy(), unpacked["codes"][: flat.numel()])
    assert np.array_equal(bits(ours.dequantized.reshape(-1)), bits(expected))
    if name == "mxfp4":
        assert np.array_equal(ours.scale_codes.numpy(), unpacked["scale_codes"])
    else:
        assert np.array_equal(bits(ours.scales), bits(unpacked["scales"]))
    if name == "q4_1":
        assert np.array_equal(bits(ours.zero_points), bits(unpacked["zero_points"]))
    return ours


# --------------------------------------------------------------------------- adversarial inputs


def _landing(target: float, multiply) -> list[float]:
    """float32 values v (and one step either side) with multiply(v) == target exactly in float32."""
    goal = torch.tensor(target, dtype=F32)
    guess = multiply.inverse(goal)
    for _ in range(16):
        for candidate in (guess, torch.nextafter(guess, torch.tensor(math.inf)), torch.nextafter(guess, torch.tensor(-math.inf))):
            if multiply(candidate).item() == goal.item():
                up, down = torch.nextafter(candidate, torch.tensor(math.inf)), torch.nextafter(candidate, torch.tensor(-math.inf))
                return [candidate.item(), up.item(), down.item()]
        guess = torch.nextafter(guess, torch.tensor(math.inf))
    return []


class _Affine:
    """v ↦ fl(fl(v − low) · fl(1/d)) as the references compute the value they round (d a float32 tensor)."""

    def __init__(self, d: torch.Tensor, low: float = 0.0):
        self.low = torch.tensor(low, dtype=F32)
        self.inverse_d = 1.0 / d

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        return (v - self.low) * self.inverse_d

    def inverse(self, goal: torch.Tensor) -> torch.Tensor:
        return goal / self.inverse_d + self.low


def _tie_blocks(name: str, extreme: float) -> list[list[float]]:
    """Blocks of 32 whose values land exactly on the format's rounding ties (and one float32 step either
    side), each block led by the values that fix its constants."""
    top = torch.tensor(extreme, dtype=F32)
    low, high = min(float(top), 0.0), max(float(top), 0.0)
    if name == "q4_0":  # d = max / −8 with max = extreme; ties where x/d + 8.5 is a whole number
        anchor, multiply = [float(top)], _Affine(top / -8)
        targets = [k + 0.5 for k in range(-8, 7)]
    elif name == "q4_1":  # min and max fixed by the anchor; ties where (x − min)/d + 0.5 is a whole number
        anchor = [low, high]
        multiply = _Affine((torch.tensor(high, dtype=F32) - torch.tensor(low, dtype=F32)) / 15, low)
        targets = [k + 0.5 for k in range(15)]
    elif name == "q8_0":  # round half away from zero at ±(k + 0.5)
        anchor, multiply = [float(top)], _Affine(top.abs() / 127)
        targets = [k + 0.5 for k in range(-127, 127, 9)]
    else:  # mxfp4: the midpoints of the doubled magnitudes 0, 1, 2, 3, 4, 6, 8, 12, both signs
        exponent = math.floor(math.log2(abs(extreme))) - 2 + 127
        anchor, multiply = [float(top)], _Affine(torch.tensor(2.0 ** (exponent - 128), dtype=F32))
        targets = [sign * m for m in (0.5, 1.5, 2.5, 3.5, 5, 7, 10) for sign in (1, -1)]
    values = []
    for target in targets:
        values += [v for v in _landing(target, multiply) if low <= v <= high or (name != "q4_1" and abs(v) <= abs(extreme))]
    room = 32 - len(anchor)
    return [anchor + (values[start : start + room] + [0.0] * room)[:room] for start in range(0, len(values), room)]


def adversarial(name: str) -> torch.Tensor:
    """Ties on every rounding boundary at several scales, zeros, all-zero and all-equal blocks, tiny and
    huge magnitudes, random blocks."""
    limit = {"q4_0": 4e5, "q4_1": 6e4, "q8_0": 6e6, "mxfp4": 1e30}[name]  # below the fp16 ceilings
    blocks = [block for extreme in (8.0, -8.0, 1.0, 3.7, -0.3, 1.3e-3, 123.456) for block in _tie_blocks(name, extreme)]
    blocks += [[0.0] * 32, [2.5] * 32, [-1.75] * 32, [1e-30] * 32, [-3e-20] * 32, [5e-8] * 32]
    blocks += [[0.0] * 31 + [-2.0], [1.0] * 16 + [-1.0] * 16, [-0.0] * 32]
    generator = torch.Generator().manual_seed(0)
    for scale in (1e-6, 1e-3, 1.0, 50.0, limit / 8):
        blocks += (torch.randn(6, 32, generator=generator) * scale).tolist()
    tiny = torch.randn(32, generator=generator) * 1e-35
    blocks += [tiny.tolist(), [limit] + [-limit / 3] * 31]
    if len(blocks) % 2:
        blocks.append([1.0] * 32)
    return torch.tensor(blocks, dtype=F32).reshape(-1, 64)  # rows of 64: two blocks each


@pytest.mark.parametrize("name", list(GGUF_TYPES))
def test_adversarial_inputs_match_gguf_bit_for_bit(name):
    x = adversarial(name)
    ours = assert_matches_gguf(x, name)
    assert int((ours.codes.reshape(-1) != ours.codes.reshape(-1)[0]).sum()) > 100  # many codes really used


@pytest.mark.parametrize("name", list(GGUF_TYPES))
def test_the_ties_are_really_hit(name):
    block = torch.tensor(_tie_blocks(name, 3.7))
    result = quant.quantize(block, name)
    scaled = result.scaled.double()
    offset = {"q4_0": 0.5, "q4_1": 0.5, "q8_0": 0.5, "mxfp4": 0.25}[name]  # scaled value of a tie, mod 1 (or 0.5)
    step = 0.5 if name == "mxfp4" else 1.0
    on_tie = ((scaled.abs() - offset) % step == 0) & (scaled.abs() > 0)
    assert int(on_tie.sum()) >= 8
    assert_matches_gguf(block, name)


@pytest.mark.parametrize("name", list(GGUF_TYPES))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("shape", [(4096,), (37, 96), (3, 2, 64), (1, 32)])
def test_random_tensors_match_gguf(name, dtype, shape):
    x = (torch.randn(shape) * 3).to(dtype)
    x.reshape(-1)[: x.numel() // 5] = 0  # zeros, and whole all-zero blocks
    assert_matches_gguf(x, name)


@pytest.mark.parametrize("name", list(GGUF_TYPES))
@pytest.mark.parametrize("count", [1, 5, 31, 33, 100])
def test_a_short_last_block_is_padded_with_its_first_value(name, count):
    x = torch.randn(count) * 2
    x[-1] = -7.0  # the largest |x| at the very end of the short block
    result = assert_matches_gguf(x, name)  # == gguf on the padded tensor, cut back
    assert result.block_count == math.ceil(count / 32)
    assert result.total_bits == formats.storage_bits(name, result.block_count)  # whole blocks stored


def test_mxfp4_ties_go_to_the_smaller_magnitude_and_zero_has_one_code():
    # absmax 4: e = ⌊log2 4⌋ − 2 + 127 = 127, scale 2^0 = 1; 0.25, 0.75, 1.25, 1.75, 2.5, 3.5 and 5 are ties
    x = torch.tensor([4.0, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, -0.25, -2.5, -0.1, 0.0, -0.0, 3.9] + [0.0] * 19)
    result = assert_matches_gguf(x, "mxfp4")
    assert result.scale_codes.tolist() == [127] and result.scales.tolist() == [1.0]
    assert result.dequantized[:13].tolist() == [4.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0, -0.0, -2.0, 0.0, 0.0, 0.0, 4.0]
    assert result.codes[:13].tolist() == [6, 0, 1, 2, 3, 4, 5, 0, 12, 0, 0, 0, 6]


def test_exact_worked_examples():
    q4_0 = quant.quantize(torch.tensor([-8.0, 1.0, 7.0, 0.5] + [0.0] * 28), "q4_0")
    assert q4_0.scales[0].item() == 1.0  # d = −8 / −8
    assert q4_0.codes[:4].tolist() == [0, 9, 15, 9] and q4_0.dequantized[:4].tolist() == [-8.0, 1.0, 7.0, 1.0]
    q4_1 = quant.quantize(torch.tensor([1.0, 16.0, 8.5, 2.0] + [4.0] * 28), "q4_1")
    assert q4_1.scales[0].item() == 1.0 and q4_1.zero_points[0].item() == 1.0  # d = 15/15, m = min
    assert q4_1.codes[:4].tolist() == [0, 15, 8, 1] and q4_1.dequantized[:4].tolist() == [1.0, 16.0, 9.0, 2.0]
    q8_0 = quant.quantize(torch.tensor([127.0, -0.5, 0.5, 1.5, -126.5] + [0.0] * 27), "q8_0")
    assert q8_0.codes[:5].tolist() == [127, -1, 1, 2, -127]  # half away from zero


# --------------------------------------------------------------------------- NVFP4


def test_nvfp4_worked_values_derived_by_hand():
    """NVIDIA's two-level NVFP4 (the NVFP4 blog / "Pretraining LLMs with NVFP4", arXiv 2509.25149 §2, and
    ModelOpt's export: weight_scale_2 = amax / (6·448), weight_scale = E4M3 per 16), worked by hand:

    tensor amax 2688 → S = 2688 / 2688 = 1 exactly, so each block scale is e4m3(absmax_b / 6).
    block 0: absmax 6 → s = 1: values are E2M1-rounded as they are, ties to even, above 6 saturates.
    block 1: absmax 0.6 → 0.1 = 1.6 · 2^−4, between the E4M3 values 1.5 · 2^−4 and 1.625 · 2^−4 → 0.1015625;
             0.6 / 0.1015625 = 5.907… → 6 → x̂ = 0.609375; 0.3 / 0.1015625 = 2.953… → 3 → 0.3046875.
    block 2: absmax 0.018 → 0.003 is subnormal in E4M3 (below 2^−6): 0.003 / 2^−9 = 1.536 → 2 → s = 2^−8;
             0.018 / 2^−8 = 4.61 → 4 → 0.015625; 0.005 / 2^−8 = 1.28 → 1.5 → 0.005859375.
    block 3: absmax 6 · 2^−11 → 2^−11 is below half the smallest E4M3 (2^−10) → s = 0: the block is stored
             as zeros (E4M3's range, 2^−9 … 448, is what the fp32 tensor scale has to fit).
    block 4: absmax 2688 → s = 448, the largest E4M3 (byte 0x7E); 1000 / 448 = 2.23 → 2 → 896.
    """
    x = torch.zeros(5, 16)
    x[0, :12] = torch.tensor([6.0, 0.25, 0.75, 1.25, 1.75, 2.5, 3.5, 5.0, -5.0, -0.1, 4.9, 0.3])
    x[1, :3] = torch.tensor([0.6, 0.3, -0.05])
    x[2, :2] = torch.tensor([0.018, 0.005])
    x[3, :2] = torch.tensor([6 * 2.0**-11, -2.0**-11])
    x[4, :2] = torch.tensor([2688.0, 1000.0])
    result = quant.quantize(x, "nvfp4")
    assert result.tensor_scale == 1.0
    assert result.scales.tolist() == [1.0, 0.1015625, 2.0**-8, 0.0, 448.0]
    assert result.scale_codes.tolist() == [0x38, 0x1D, 0x02, 0x00, 0x7E]  # E4M3 bytes: 1.0, 1.625·2^−4, 2·2^−9, 0, 448
    assert result.dequantized[0, :12].tolist() == [6.0, 0.0, 1.0, 1.0, 2.0, 2.0, 4.0, 4.0, -4.0, -0.0, 4.0, 0.5]
    assert result.codes[0, :12].tolist() == [7, 0, 2, 2, 4, 4, 6, 6, 14, 8, 6, 1]  # sign in bit 3, −0.1 → −0
    assert result.dequantized[1, :3].tolist() == [0.609375, 0.3046875, -0.05078125]  # −0.05 / 0.1015625 = −0.49 → −0.5
    assert result.dequantized[2, :2].tolist() == [0.015625, 0.005859375]
    assert result.dequantized[3].abs().max().item() == 0.0
    assert result.dequantized[4, :2].tolist() == [2688.0, 896.0]


def test_nvfp4_dequantization_equals_gguf_nvfp4_times_the_tensor_scale():
    """gguf stores NVFP4 in super-blocks of 64 (four E4M3 bytes, then 32 bytes: sub-block j's element i in the
    low nibble of byte 8j + i and element i + 8 in its high nibble) and has no tensor scale."""
    x = torch.randn(8, 128) * torch.logspace(-3, 1, 8).unsqueeze(1)
    result = quant.quantize(x, "nvfp4")
    codes = result.codes.reshape(-1, 4, 16).numpy()
    packed_codes = codes[:, :, :8] | (codes[:, :, 8:] << 4)
    packed = np.concatenate([result.scale_codes.numpy().reshape(-1, 4), packed_codes.reshape(-1, 32)], axis=1)
    gguf_values = quants.dequantize(packed.astype(np.uint8), GGMLQuantizationType.NVFP4).ravel()
    expected = torch.from_numpy(gguf_values) * torch.tensor(result.tensor_scale, dtype=F32)
    assert torch.equal(result.dequantized.reshape(-1), expected)  # −0 and 0 compare equal: gguf drops the sign of 0


def test_nvfp4_tensor_scale_and_its_bits():
    x = torch.randn(4, 64)
    result = quant.quantize(x, "nvfp4")
    assert result.tensor_scale == pytest.approx(float(x.abs().max()) / 2688, rel=1e-7)
    assert int(result.scales.max().to(torch.float8_e4m3fn).view(torch.uint8)) == 0x7E  # the largest block: 448
    assert result.bits_per_param == 4.5 + 32 / 256
    assert (result.dequantized - x).abs().max() <= float(x.abs().max()) / 6  # at most half the widest step


# --------------------------------------------------------------------------- the lab's API on every format


def test_bits_per_param_exact():
    x = torch.randn(64 * 48)
    expected = {"q4_0": 4.5, "q4_1": 5.0, "q8_0": 8.5, "mxfp4": 4.25, "nvfp4": 4.5 + 32 / x.numel()}
    for name, value in expected.items():
        result = quant.quantize(x, name)
        assert result.bits_per_param == value, name
        assert result.nbytes == math.ceil(value * x.numel() / 8)
        assert quant.storage_bits(result.spec, x.numel(), quant.block_count(result.spec, (x.numel(),))) == result.total_bits


def test_fixed_formats_ignore_bits_blocksize_and_granularity():
    x = torch.randn(6, 64)
    for name in formats.FORMATS:
        plain = quant.quantize(x, name)
        for kwargs in ({"bits": 2, "blocksize": 4096}, {"per_row": True}, {"bits": 8, "blocksize": 64}):
            other = quant.quantize(x, name, **kwargs)
            assert other.spec == plain.spec and torch.equal(other.dequantized, plain.dequantized)
        assert plain.spec.blocksize == formats.FORMAT_BLOCK[name] == plain.block_length
        assert plain.spec.label == name.upper()
    assert quant.FIXED_FORMATS == formats.FORMATS and set(formats.FORMATS) <= set(quant.SCHEMES)


@pytest.mark.parametrize("name", formats.FORMATS)
def test_double_quant_and_bad_values_raise(name):
    with pytest.raises(ValueError, match=f"double quantization does not apply to '{name}'"):
        quant.quantize(torch.randn(64), name, double_quant=True)
    with pytest.raises(ValueError, match=r"x contains nan"):
        quant.quantize(torch.tensor([1.0, math.nan]), name)
    with pytest.raises(ValueError, match="x is empty"):
        quant.quantize(torch.tensor([]), name)


@pytest.mark.parametrize("name, largest", [("q4_0", 6e5), ("q4_1", -7e4), ("q8_0", 9e6)])
def test_fp16_constants_that_would_overflow_raise(name, largest):
    """q4_0: d = 6e5 / 8 > 65504; q4_1: m = min = −7e4 < −65504; q8_0: d = 9e6 / 127 > 65504."""
    with pytest.raises(ValueError, match=f"{name} stores its block constants as fp16"):
        quant.quantize(torch.tensor([largest, -1.0, 0.5]), name)
    assert torch.isfinite(quant.quantize(torch.tensor([largest / 2, -1.0, 0.5]), name).dequantized).all()


def test_nvfp4_refuses_a_tensor_scale_that_underflows():
    with pytest.raises(ValueError, match="nvfp4's fp32 tensor scale"):
        quant.quantize(torch.tensor([1e-44, 0.0]), "nvfp4")
    assert quant.quantize(torch.tensor([1e-30, -5e-31]), "nvfp4").dequantized[0].item() == pytest.approx(1e-30, rel=0.1)


@pytest.mark.parametrize("name", formats.FORMATS)
def test_levels_boundaries_histogram_metrics_and_steps(name):
    x = torch.randn(2, 48) * 2
    result = quant.quantize(x, name)
    assert result.block_count == math.ceil(96 / formats.FORMAT_BLOCK[name])
    for block in range(result.block_count):
        codes, levels = result.block_levels(block)
        assert np.all(np.diff(levels) >= 0) and sorted(codes.tolist()) == formats.all_codes(name).tolist()
        start, stop = result.block_range(block)
        level_of = dict(zip(codes.tolist(), levels.tolist()))
        for code, value in zip(result.codes.reshape(-1)[start:stop].tolist(), result.dequantized.reshape(-1)[start:stop].tolist()):
            assert value == pytest.approx(level_of[code], rel=1e-6, abs=1e-6)  # each value is its code's level
        np.testing.assert_allclose(result.block_boundaries(block), (levels[1:] + levels[:-1]) / 2)
    codes, counts = quant.code_histogram(result)
    assert counts.sum() == 96 and len(codes) == result.spec.code_count == len(counts)
    row = quant.metrics(x, result)
    assert row["scheme"] == name.upper() and row["bits_per_param"] == result.bits_per_param
    assert row["codes_total"] == (255 if name == "q8_0" else 16)
    steps = quant.step_table(x, result)
    assert [step["code"] for step in steps] == result.codes.reshape(-1).tolist()
    for step in steps[:20]:
        assert step["tensor_scale"] == result.tensor_scale
        scale = step["scale"] * (step["tensor_scale"] or 1.0)
        assert step["dequantized"] == pytest.approx(step["level"] * scale + (step["zero_point"] or 0.0), rel=1e-6, abs=1e-6)
    assert 0 <= result.widest_block() < result.block_count


def test_lab_figures_draw_every_format():
    x = quant.synthetic("normal", 4096, seed=1)
    results = [quant.quantize(x, name) for name in formats.FORMATS] + [quant.quantize(x, "nf4", blocksize=64)]
    # all together over the whole tensor; one block at a time per format (block k covers different values
    # when block lengths differ: NVFP4's 16 against 32)
    for group, block in [(results, None)] + [([result], 3) for result in results]:
        figures = plots.lab_figures(x, group, block=block)
        assert set(figures) == {"histogram", "transfer", "error_histogram", "error_vs_value", "code_usage"}
        staircases = figures["transfer"].data[1:]  # after the x̂ = x diagonal, one staircase per result
        assert len(staircases) == len(group)
        assert all(str(trace.name).startswith(r.spec.label) for r, trace in zip(group, staircases))
        for result, trace in zip(group, staircases):
            shown = result.widest_block() if block is None else block
            _, levels = result.block_levels(shown)
            assert np.isin(np.asarray(trace.y, dtype=np.float32), levels.astype(np.float32)).all()  # steps sit on levels
        usage = figures["code_usage"].data
        assert len(usage) == len(group)
        for result, bars in zip(group, usage):
            assert sum(bars.y) == pytest.approx(1.0, abs=1e-5) and len(bars.y) == result.spec.code_count


def test_formats_run_on_one_thread_and_restore_the_setting(monkeypatch):
    before = torch.get_num_threads()
    seen = []
    original = formats._e2m1_index

    def spy(value, ties):
        seen.append(torch.get_num_threads())
        return original(value, ties)

    monkeypatch.setattr(formats, "_e2m1_index", spy)
    x = torch.randn(576, 1536)  # a SmolLM2 projection: 27 chunks of 1024 blocks
    for name in ("mxfp4", "nvfp4"):
        assert quant.quantize(x, name).codes.shape == x.shape
    assert len(seen) == 27 + 54 and set(seen) == {1}
    assert torch.get_num_threads() == before

"""playground.quant against its references: bitsandbytes' quantize_4bit / dequantize_4bit (CPU) and the formulas."""

from __future__ import annotations

import math

import bitsandbytes.functional as bnbf
import numpy as np
import pytest
import torch

from playground.quant import schemes as quant
from playground.settings import Limits

BNB_BLOCKSIZES = (32, 64, 128, 256, 512, 1024, 2048, 4096)


def unpack_bnb(packed: torch.Tensor, count: int) -> torch.Tensor:
    """bnb packs two codes per byte: element 2i in the HIGH nibble, 2i+1 in the low nibble."""
    flat = packed.reshape(-1).view(torch.uint8)
    codes = torch.empty(flat.numel() * 2, dtype=torch.uint8)
    codes[0::2] = flat >> 4
    codes[1::2] = flat & 0xF
    return codes[:count]


def bnb_dequantized(packed: torch.Tensor, state, shape: torch.Size) -> torch.Tensor:
    """bnb's dequantize_4bit of the flattened tensor, reshaped.

    bnb 0.50.2's CPU kernel treats a 2-D tensor as rows of whole blocks: when the last dimension is not a
    multiple of the block size (e.g. (4, 96) at blocksize 64) it returns wrong values. Quantization is
    defined on the flattened tensor, so dequantizing the flattened shape is the faithful reference.
    """
    state.shape = torch.Size([math.prod(shape)])
    return bnbf.dequantize_4bit(packed, state).reshape(shape)


def assert_matches_bnb(x: torch.Tensor, scheme: str, blocksize: int) -> None:
    packed, state = bnbf.quantize_4bit(x, blocksize=blocksize, quant_type=scheme)
    expected = bnb_dequantized(packed, state, x.shape)
    ours = quant.quantize(x, scheme, blocksize=blocksize)
    assert torch.equal(ours.codes.reshape(-1), unpack_bnb(packed, x.numel()))
    assert torch.equal(ours.scales, state.absmax)
    assert ours.dequantized.dtype == torch.float32
    assert torch.equal(ours.dequantized.to(x.dtype), expected)


# --------------------------------------------------------------------------- tables


def test_code_tables_equal_bitsandbytes():
    assert torch.equal(quant.NF4_CODE, bnbf.get_4bit_type("nf4", device="cpu"))
    assert torch.equal(quant.FP4_CODE, bnbf.get_4bit_type("fp4", device="cpu"))
    assert torch.equal(quant.dynamic_map(), bnbf.create_dynamic_map(signed=True))


def test_nf4_derivation_reproduces_the_table():
    derivation = quant.nf4_derivation()
    assert len(derivation["level"]) == 16
    assert np.abs(derivation["level"] - quant.NF4_CODE.double().numpy()).max() < 2.5e-7
    assert derivation["level"][7] == 0.0 and derivation["z"][7] == 0.0
    assert derivation["z"][-1] == pytest.approx(1.848, abs=1e-3)  # Φ⁻¹(0.9677083)
    assert derivation["probability"][-1] == pytest.approx(0.9677083)


# --------------------------------------------------------------------------- NF4 / FP4 == bitsandbytes


@pytest.mark.parametrize("scheme", ["nf4", "fp4"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize(
    "shape, blocksize",
    [((4096,), 64), ((37, 65), 128), ((3, 1001), 4096), ((1001,), 32), ((5, 7), 64), ((257, 96), 256), ((1,), 64)],
)
def test_four_bit_equals_bitsandbytes(scheme, dtype, shape, blocksize):
    x = (torch.randn(shape) * 3).to(dtype)
    x.reshape(-1)[: x.numel() // 5] = 0  # zeros, and at blocksize 32/64 whole all-zero blocks
    assert_matches_bnb(x, scheme, blocksize)


@pytest.mark.parametrize("blocksize", BNB_BLOCKSIZES)
def test_every_bnb_blocksize_with_a_short_last_block(blocksize):
    x = torch.randn(3 * blocksize + 17)
    for scheme in ("nf4", "fp4"):
        assert_matches_bnb(x, scheme, blocksize)


def _landing_on(target: float, absmax: float, divide: bool) -> float | None:
    """A float32 x with x·fl(1/absmax) (or x/absmax) exactly == target in float32, as bnb computes it."""
    a = torch.tensor(absmax, dtype=torch.float32)
    reciprocal = 1.0 / a
    guess = torch.tensor(target, dtype=torch.float32) * a
    for _ in range(8):
        for candidate in (guess, torch.nextafter(guess, torch.tensor(math.inf)), torch.nextafter(guess, torch.tensor(-math.inf))):
            scaled = candidate / a if divide else candidate * reciprocal
            if scaled.item() == torch.tensor(target, dtype=torch.float32).item():
                return candidate.item()
        guess = torch.nextafter(guess, torch.tensor(math.inf))
    return None


def _block_on_midpoints(midpoints: torch.Tensor, absmax: float, size: int, divide: bool) -> list[float]:
    """`size` values whose scaled value lands exactly on a midpoint (and one float32 step either side)."""
    values = [absmax]
    for midpoint in midpoints.tolist():
        x = _landing_on(midpoint, absmax, divide)
        if x is not None:
            here = torch.tensor(x)
            values += [x, torch.nextafter(here, torch.tensor(math.inf)).item()]
            values += [torch.nextafter(here, torch.tensor(-math.inf)).item()]
    values = [value for value in values if abs(value) <= absmax]
    return (values + [0.0] * size)[:size]


@pytest.mark.parametrize("scheme", ["nf4", "fp4"])
@pytest.mark.parametrize("absmax", [1.0, 0.5, 3.0, 0.7, 1.3e-3])
def test_values_exactly_on_midpoints_go_to_the_lower_code(scheme, absmax):
    _, levels, midpoints = quant._FOUR_BIT[scheme]
    full = _block_on_midpoints(midpoints, absmax, 64, divide=False)  # bnb multiplies by 1/absmax here
    last = _block_on_midpoints(midpoints, absmax, 47, divide=True)  # and divides in the shorter last block
    x = torch.tensor(full + last, dtype=torch.float32)
    assert_matches_bnb(x, scheme, 64)
    ours = quant.quantize(x, scheme, blocksize=64)
    on_midpoint = torch.isin(ours.scaled, midpoints)
    assert int(on_midpoint.sum()) >= 10  # the construction really hit midpoints
    sorted_position = torch.bucketize(ours.scaled[on_midpoint], midpoints)
    chosen = quant._FOUR_BIT_TABLE[scheme][ours.codes[on_midpoint].long()]
    assert torch.equal(chosen, levels[sorted_position])  # the lower of the two neighbours


@pytest.mark.parametrize("scheme", ["nf4", "fp4"])
def test_cell_search_equals_bucketize(scheme):
    _, _, bounds = quant._FOUR_BIT[scheme]
    scaled = torch.cat(
        [
            torch.rand(200_000) * 2 - 1,
            bounds,
            torch.nextafter(bounds, torch.tensor(2.0)),
            torch.nextafter(bounds, torch.tensor(-2.0)),
            torch.tensor([-1.0, 1.0, 0.0, -0.0]),
            torch.linspace(-1, 1, 8193),
        ]
    )
    expected = torch.bucketize(scaled, bounds, out_int32=True)
    assert torch.equal(quant._FOUR_BIT_SEARCH[scheme](scaled), expected)


@pytest.mark.parametrize("scheme", ["nf4", "fp4"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("shape, blocksize", [((300, 256), 64), ((129, 64), 32), ((70000,), 128), ((3, 1001), 4096)])
def test_double_quant_equals_bitsandbytes(scheme, dtype, shape, blocksize):
    x = torch.randn(shape).to(dtype)
    packed, state = bnbf.quantize_4bit(x, blocksize=blocksize, quant_type=scheme, compress_statistics=True)
    expected = bnb_dequantized(packed, state, x.shape)
    ours = quant.quantize(x, scheme, blocksize=blocksize, double_quant=True)
    assert torch.equal(ours.codes.reshape(-1), unpack_bnb(packed, x.numel()))
    assert ours.dq_offset == pytest.approx(state.offset.item(), rel=1e-6)
    assert torch.allclose(ours.dq_scales, state.state2.absmax, rtol=1e-6, atol=0)
    if ours.block_count > 1:  # a single block: absmax − mean is 0/0 in bnb, any code restores the same value
        assert (ours.absmax_codes != state.absmax).sum() <= 0.001 * ours.block_count
    torch.testing.assert_close(ours.dequantized.to(dtype), expected, rtol=1e-6, atol=1e-7)


def test_double_quant_dequantizes_close_to_plain_nf4():
    x = torch.randn(256, 256)
    plain = quant.quantize(x, "nf4", blocksize=64)
    nested = quant.quantize(x, "nf4", blocksize=64, double_quant=True)
    assert torch.equal(plain.codes, nested.codes)
    assert (nested.scales - plain.scales).abs().max() < 0.01 * plain.scales.max()


# --------------------------------------------------------------------------- absmax and zero-point


def test_absmax_worked_example():
    x = np.array([0.5, -1.2, 3.1, 0.0, 2.7])
    result = quant.quantize(x, "absmax", bits=8)
    c = 127 / 3.1
    assert result.codes.tolist() == [20, -49, 127, 0, 111]
    np.testing.assert_allclose(result.dequantized.numpy(), np.array([20, -49, 127, 0, 111]) / c, rtol=1e-6)
    assert result.dequantized[3].item() == 0.0
    assert result.scales.tolist() == pytest.approx([3.1])


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
def test_absmax_maps_zero_to_zero_and_stays_in_range(bits):
    x = torch.randn(1000)
    x[::7] = 0
    result = quant.quantize(x, "absmax", bits=bits, blocksize=64)
    top = 2 ** (bits - 1) - 1
    assert torch.all(result.dequantized[::7] == 0)
    assert int(result.codes.min()) >= -top and int(result.codes.max()) <= top
    assert int(result.codes.abs().max()) == top  # each block's absmax uses the outer code
    assert (result.dequantized - x).abs().max() <= result.scales.max() / top / 2 + 1e-6


def test_zeropoint_worked_example_and_both_ends():
    x = np.array([-1.0, 0.0, 0.5, 3.0])
    result = quant.quantize(x, "zeropoint", bits=8)
    scale = 255 / 4.0
    zero_point = round(scale * 1.0) - 128
    assert result.zero_points.tolist() == [zero_point]
    expected_codes = np.clip(np.round(scale * x + zero_point), -128, 127)
    assert result.codes.tolist() == expected_codes.tolist()
    assert result.codes.min() == -128 and result.codes.max() == 127
    np.testing.assert_allclose(result.dequantized.numpy(), (expected_codes - zero_point) / scale, rtol=1e-6)


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_zeropoint_uses_both_ends_on_random_data(bits):
    result = quant.quantize(torch.randn(4096) + 0.7, "zeropoint", bits=bits, blocksize=256)
    assert int(result.codes.min()) == -(2 ** (bits - 1)) and int(result.codes.max()) == 2 ** (bits - 1) - 1


@pytest.mark.parametrize(
    "scheme, kwargs",
    [("absmax", {"bits": 8}), ("absmax", {"bits": 2}), ("zeropoint", {"bits": 4}), ("nf4", {}), ("fp4", {}),
     ("nf4", {"double_quant": True}), ("fp4", {"double_quant": True})],
)
@pytest.mark.parametrize("values", [[0.0] * 100, [2.5] * 100, [-3.0], [0.0], [7.0, 7.0, 7.0], [1e-30] * 64])
def test_degenerate_inputs_give_finite_results(scheme, kwargs, values):
    for blocksize in (None, 32):
        result = quant.quantize(np.array(values, dtype=np.float32), scheme, blocksize=blocksize, **kwargs)
        assert torch.isfinite(result.dequantized).all()
        assert torch.isfinite(result.scales).all()
        if scheme != "zeropoint":
            assert torch.allclose(result.dequantized, torch.tensor(values, dtype=torch.float32))


def test_all_zero_input_is_exact_for_every_scheme():
    for scheme in quant.SCHEMES:
        result = quant.quantize(torch.zeros(3, 64), scheme, blocksize=64)
        assert torch.equal(result.dequantized, torch.zeros(3, 64))


# --------------------------------------------------------------------------- granularity and storage


def test_blocksize_none_is_one_block_and_per_row_one_block_per_row():
    x = torch.randn(6, 40)
    whole = quant.quantize(x, "absmax", bits=8)
    assert whole.block_count == 1 and whole.scales.item() == x.abs().max().item()
    rows = quant.quantize(x, "absmax", bits=8, per_row=True)
    assert rows.block_count == 6 and rows.block_length == 40
    assert torch.equal(rows.scales, x.abs().amax(dim=1))
    assert torch.equal(rows.codes, torch.round(x / x.abs().amax(dim=1, keepdim=True) * 127).to(torch.int8))


def test_codes_and_dequantized_keep_the_input_shape():
    x = np.random.default_rng(0).normal(size=(3, 4, 50)).astype(np.float64)
    for scheme in quant.SCHEMES:
        result = quant.quantize(x, scheme, blocksize=32)
        assert result.codes.shape == (3, 4, 50) and result.dequantized.shape == (3, 4, 50)
        assert result.dequantized.dtype == torch.float32
    assert quant.quantize(x, "nf4").codes.dtype == torch.uint8
    assert quant.quantize(x, "absmax").codes.dtype == torch.int8


def test_bits_per_param_and_bytes():
    x = torch.randn(64 * 256 * 4)  # a whole number of double-quantization groups
    n = x.numel()
    nf4 = quant.quantize(x, "nf4", blocksize=64)
    assert nf4.bits_per_param == 4.5 and nf4.nbytes == n * 4.5 / 8
    nested = quant.quantize(x, "nf4", blocksize=64, double_quant=True)
    assert nested.bits_per_param == 4 + 0.126953125 == 4 + 8 / 64 + 32 / (64 * 256)
    assert nested.nbytes == n * 4.126953125 / 8
    assert quant.quantize(x, "absmax", bits=8, blocksize=64).bits_per_param == 8.5
    assert quant.quantize(x, "zeropoint", bits=4, blocksize=64).bits_per_param == 5.0  # fp32 scale + fp32 zero
    assert quant.quantize(x, "fp4", blocksize=4096).bits_per_param == 4 + 32 / 4096
    short = quant.quantize(torch.randn(100), "nf4", blocksize=64)  # 2 blocks, the last one short
    assert short.bits_per_param == (100 * 4 + 2 * 32) / 100 and short.nbytes == 58


def test_block_levels_and_boundaries():
    x = torch.linspace(-2, 1, 128)
    nf4 = quant.quantize(x, "nf4", blocksize=64)
    codes, levels = nf4.block_levels(0)
    assert codes.tolist() == list(range(16))
    np.testing.assert_allclose(levels, quant.NF4_CODE.double().numpy() * 2.0)
    np.testing.assert_allclose(nf4.block_boundaries(0), (levels[1:] + levels[:-1]) / 2)
    assert nf4.block_range(1) == (64, 128) and nf4.widest_block() == 0
    fp4_codes, fp4_levels = quant.quantize(x, "fp4").block_levels(0)
    assert np.all(np.diff(fp4_levels) >= 0) and sorted(fp4_codes.tolist()) == list(range(16))
    zp_codes, zp_levels = quant.quantize(x, "zeropoint", bits=3).block_levels(0)
    scale = 7 / 3.0  # (2^3 - 1) / (max - min)
    zero_point = round(scale * 2.0) - 4  # 5 - 4: the rounding moves the grid, so -2 itself is not a level
    assert zp_codes.tolist() == list(range(-4, 4))
    np.testing.assert_allclose(zp_levels, (np.arange(-4, 4) - zero_point) / scale, rtol=1e-6)
    with pytest.raises(ValueError, match="block 2 does not exist: this tensor has 2 block"):
        nf4.block_range(2)


# --------------------------------------------------------------------------- metrics and tables


def test_metrics_on_gaussian_data_show_nf4_spreading_its_codes():
    x = quant.synthetic("normal", 1 << 18, seed=0)
    nf4 = quant.metrics(x, quant.quantize(x, "nf4", blocksize=64))
    int4 = quant.metrics(x, quant.quantize(x, "absmax", bits=4))
    assert nf4["codes_used"] == 16 and nf4["bits_per_param"] == 4.5
    assert nf4["code_entropy_bits"] > 3.8  # close to the 4 bits available: codes used about evenly
    assert int4["code_entropy_bits"] < 3.0  # absmax int4: the outer codes are almost never used
    assert nf4["snr_db"] > int4["snr_db"]
    assert nf4["rmse"] == pytest.approx(math.sqrt(nf4["mse"]))
    _, counts = quant.code_histogram(quant.quantize(x, "absmax", bits=4))
    assert counts[0] + counts[-1] < 0.001 * counts.sum()


def test_metrics_of_an_exact_quantization():
    result = quant.quantize(torch.tensor([0.0, 1.0, -1.0]), "absmax", bits=2)
    row = quant.metrics(torch.tensor([0.0, 1.0, -1.0]), result)
    assert row["mse"] == 0 and row["snr_db"] is None and row["codes_used"] == 3 and row["codes_total"] == 3


def test_step_table_worked_example():
    x = [0.5, -1.2, 3.1, 0.0, 2.7]
    rows = quant.step_table(x, quant.quantize(x, "absmax", bits=8))
    assert [row["code"] for row in rows] == [20, -49, 127, 0, 111]
    assert rows[0]["scaled"] == pytest.approx(0.5 / 3.1 * 127, rel=1e-6)
    assert rows[1]["error"] == pytest.approx(-49 * 3.1 / 127 + 1.2, abs=1e-6)
    nf4_rows = quant.step_table(x, quant.quantize(x, "nf4"))
    assert nf4_rows[2]["code"] == 15 and nf4_rows[2]["level"] == 1.0 and nf4_rows[3]["code"] == 7


# --------------------------------------------------------------------------- inputs and bad arguments


@pytest.mark.parametrize("distribution", quant.DISTRIBUTIONS)
def test_synthetic_is_seeded(distribution):
    first = quant.synthetic(distribution, 5000, seed=3)
    assert first.shape == (5000,) and first.dtype == torch.float32 and torch.isfinite(first).all()
    assert torch.equal(first, quant.synthetic(distribution, 5000, seed=3))
    assert not torch.equal(first, quant.synthetic(distribution, 5000, seed=4))
    assert 0.7 < first.std().item() < 2.5 or distribution == "normal+outliers"


def test_synthetic_outliers():
    x = quant.synthetic("normal+outliers", 10_000, seed=0, outlier_fraction=0.02, outlier_magnitude=50)
    assert int((x.abs() == 50).sum()) == 200


def test_parse_numbers():
    assert quant.parse_numbers("0.5, -1.2 3.1;0\n2.7e0").tolist() == pytest.approx([0.5, -1.2, 3.1, 0, 2.7])


@pytest.mark.parametrize(
    "text, message",
    [("", "no numbers given"), ("1, 2, abc", "'abc' is not a number"), ("1, nan", "'nan' is not a finite number"),
     ("inf 2", "'inf' is not a finite number"), ("   ,  ", "no numbers given")],
)
def test_parse_numbers_rejects_bad_text(text, message):
    with pytest.raises(ValueError, match=message):
        quant.parse_numbers(text)


def test_limits_on_values(monkeypatch):
    monkeypatch.setattr(quant, "LIMITS", Limits(max_values=5))
    with pytest.raises(ValueError, match="6 values is more than the limit of 5"):
        quant.parse_numbers("1 2 3 4 5 6")
    with pytest.raises(ValueError, match="size must be a whole number from 16 to 5, got 100"):
        quant.synthetic("normal", 100)
    monkeypatch.setattr(quant, "LIMITS", Limits(max_typed_chars=20))
    with pytest.raises(ValueError, match="21 characters is more than the limit of 20 for typed numbers"):
        quant.parse_numbers("1, 2, 3, 4, 5, 6, 7 8")  # refused by its length, before any parsing
    assert quant.parse_numbers("1,2,3,4,5,6,7,8").tolist() == [1, 2, 3, 4, 5, 6, 7, 8]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"scheme": "int3"}, "scheme 'int3' is not known; choose one of absmax, zeropoint, nf4, fp4"),
        ({"scheme": "absmax", "bits": 1}, "bits must be a whole number from 2 to 8, got 1"),
        ({"scheme": "zeropoint", "bits": 9}, "bits must be a whole number from 2 to 8, got 9"),
        ({"scheme": "absmax", "bits": 4.5}, "bits must be a whole number"),
        ({"scheme": "nf4", "blocksize": 48}, "block size 48 is not allowed: choose one of 32, 64"),
        ({"scheme": "nf4", "blocksize": 8192}, "block size 8192 is not allowed"),
        ({"scheme": "nf4", "blocksize": 16}, "block size 16 is not allowed"),
        ({"scheme": "absmax", "blocksize": 64, "per_row": True}, "contradict"),
        ({"scheme": "absmax", "double_quant": True}, "double quantization applies to nf4 and fp4, not 'absmax'"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_value(kwargs, message):
    scheme = kwargs.pop("scheme")
    with pytest.raises(ValueError, match=message):
        quant.quantize(torch.randn(100), scheme, **kwargs)


@pytest.mark.parametrize("scheme", quant.SCHEMES)
def test_bad_values_raise(scheme):
    with pytest.raises(ValueError, match="x is empty"):
        quant.quantize(np.array([]), scheme)
    with pytest.raises(ValueError, match=r"x contains nan \(NaN or infinity\)"):
        quant.quantize(np.array([1.0, np.nan, 2.0]), scheme)
    with pytest.raises(ValueError, match=r"x contains -inf"):
        quant.quantize(torch.tensor([1.0, -math.inf]), scheme, blocksize=32)
    with pytest.raises(ValueError, match="x must hold numbers"):
        quant.quantize(np.array(["a", "b"]), scheme)


def test_quantize_runs_on_one_thread_and_restores_the_setting():
    before = torch.get_num_threads()
    seen = []
    original = quant._FOUR_BIT_SEARCH["nf4"].__class__.__call__

    def spy(self, scaled):
        seen.append(torch.get_num_threads())
        return original(self, scaled)

    quant._FOUR_BIT_SEARCH["nf4"].__class__.__call__ = spy
    try:
        quant.quantize(torch.randn(1000), "nf4", blocksize=64)
    finally:
        quant._FOUR_BIT_SEARCH["nf4"].__class__.__call__ = original
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == before

"""Figures of the Quantization Lab: they show the right numbers and stay small on the wire."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from playground import quant
from playground.quant import plots as quant_plots
from playground.settings import LIMITS

FOUR_SCHEMES = [("absmax", 8), ("zeropoint", 8), ("nf4", 4), ("fp4", 4)]


def _results(x, blocksize=64, bits=None, **kwargs):
    return [quant.quantize(x, scheme, bits=bits or default, blocksize=blocksize, **kwargs) for scheme, default in FOUR_SCHEMES]


@pytest.fixture(scope="module")
def big():
    return quant.synthetic("normal+outliers", LIMITS.max_values, seed=0)


@pytest.mark.parametrize("blocksize, block", [(64, None), (None, None), (4096, 7), (32, 131071)])
def test_every_figure_stays_under_200_kb_for_4m_values(big, blocksize, block):
    results = _results(big, blocksize=blocksize)
    figures = quant_plots.lab_figures(big, results, block)
    assert set(figures) == {"histogram", "transfer", "error_histogram", "error_vs_value", "code_usage"}
    for name, figure in figures.items():
        assert len(figure.to_json()) <= 200_000, name


def test_other_figures_stay_small():
    assert len(quant_plots.nf4_derivation_figure().to_json()) <= 200_000
    rows = [{"layer": f"layer.{i}", "scheme": scheme, "relative_rmse": 0.1, "bits_per_param": 4.5}
            for scheme in ("NF4", "FP4", "absmax int4", "zero-point int4") for i in range(210)]
    assert len(quant_plots.layer_error_figure(rows).to_json()) <= 200_000


def test_histogram_counts_every_value_and_draws_each_level():
    x = torch.randn(10_000)
    x[:2] = torch.tensor([4.5, -4.5])  # both ends of the range hold values, so every level is in view
    results = _results(x, blocksize=None, bits=4)
    figure = quant_plots.value_histogram(x, results)
    bars = [trace for trace in figure.data if trace.type == "bar"]
    assert len(bars) == 4 and int(np.asarray(bars[0].y).sum()) == 10_000
    nf4_levels = figure.data[3 * 2 + 2]  # row 3: bars, boundaries, levels
    drawn = np.asarray(nf4_levels.x, dtype=float)[0::3]
    np.testing.assert_allclose(np.sort(drawn), quant.NF4_CODE.double().numpy() * 4.5, rtol=1e-5)
    absmax_boundaries = np.asarray(figure.data[1].x, dtype=float)[0::3]
    assert len(absmax_boundaries) == 14  # 15 int4 levels, 14 midpoints between them


def test_histogram_of_one_block():
    x = torch.randn(1000)
    results = _results(x, blocksize=64)
    figure = quant_plots.value_histogram(x, results, block=15)
    assert int(np.asarray(figure.data[0].y).sum()) == 1000 - 15 * 64  # the short last block
    assert "block 15" in figure.layout.title.text


def test_staircase_agrees_with_dequantized_values():
    x = torch.randn(4096)
    for result in _results(x, blocksize=None, bits=3):
        figure = quant_plots.transfer_curve(x, [result])
        xs, ys = np.asarray(figure.data[1].x, dtype=float), np.asarray(figure.data[1].y, dtype=float)
        flat_x, flat_hat = x.numpy(), result.dequantized.numpy()
        for index in range(0, 4096, 97):
            segment = np.searchsorted(xs[0::2], flat_x[index], side="right") - 1  # segments start at even points
            segment = min(max(segment, 0), len(ys[0::2]) - 1)
            assert ys[0::2][segment] == pytest.approx(flat_hat[index], rel=1e-5, abs=1e-6), result.spec.label


def test_error_histogram_shares_sum_to_one():
    x = torch.randn(5000)
    figure = quant_plots.error_histogram(x, _results(x))
    for trace in figure.data:
        assert float(np.asarray(trace.y).sum()) == pytest.approx(1.0, abs=1e-5)


def test_error_vs_value_samples_the_same_points_for_each_scheme():
    x = torch.randn(100_000)
    results = _results(x)
    figure = quant_plots.error_vs_value(x, results)
    assert all(len(trace.x) == quant_plots.SCATTER_POINTS for trace in figure.data)
    first = np.asarray(figure.data[0].x)
    assert all(np.array_equal(first, np.asarray(trace.x)) for trace in figure.data)
    errors = np.asarray(figure.data[2].y)
    assert np.abs(errors).max() <= float((results[2].dequantized - x).abs().max()) + 1e-6


def test_code_usage_bars():
    x = torch.randn(50_000)
    results = _results(x, blocksize=None, bits=4)
    figure = quant_plots.code_usage(results)
    assert [len(trace.x) for trace in figure.data] == [15, 16, 16, 16]
    for trace in figure.data:
        assert float(np.asarray(trace.y).sum()) == pytest.approx(1.0, abs=1e-5)
    absmax = np.asarray(figure.data[0].y)
    assert absmax[0] + absmax[-1] < 0.01  # absmax int4 on Gaussian data: the outer codes go almost unused
    assert "15/15 codes used" in figure.layout.annotations[0].text


def test_nf4_derivation_figure_marks_sixteen_quantiles():
    figure = quant_plots.nf4_derivation_figure()
    markers = figure.data[2]
    assert len(markers.x) == 16 and markers.text[7] == "0.00" and markers.text[-1] == "1.00"


def test_block_out_of_range_is_a_clear_error():
    x = torch.randn(100)
    with pytest.raises(ValueError, match="block 2 does not exist: this tensor has 2 block"):
        quant_plots.lab_figures(x, _results(x), block=2)


NOTES = torch.tensor([1.2, -0.5, -4.3, 1.2, -3.1, 0.8, 2.4, 5.4])


def test_absmax_formula_substitutes_the_notes_numbers():
    result = quant.quantize(NOTES, "absmax", bits=8)
    shown = quant_plots.formula(NOTES, result)
    numbers = shown["numbers"]
    assert numbers["absmax"] == float(result.scales[0]) and numbers["multiplier"] == pytest.approx(127 / 5.4)
    assert (numbers["code"], numbers["scaled"], numbers["dequantized"]) == (
        28, float(result.scaled[0]), float(result.dequantized[0]))
    assert shown["lines"] == [
        "c = 127 / absmax = 127 / 5.4 = 23.5185",
        "q = round(c·x) = round(23.5185 · 1.2) = round(28.2222) = 28",
        "x̂ = q / c = 28 / 23.5185 = 1.19055",
        "bits/param = codes + constants = 8 + 32/8 = 12",
    ]


def test_zeropoint_formula_uses_the_schemes_own_constants():
    result = quant.quantize(NOTES, "zeropoint", bits=8)
    shown = quant_plots.formula(NOTES, result)
    numbers = shown["numbers"]
    assert numbers["multiplier"] == float(result.scales[0]) == pytest.approx(255 / 9.7)
    assert numbers["zero_point"] == float(result.zero_points[0]) == -15
    assert numbers["code"] == int(result.codes[0]) == 17 and numbers["dequantized"] == float(result.dequantized[0])
    assert shown["lines"][:4] == [
        "c = 255 / (max − min) = 255 / (5.4 − (−4.3)) = 26.2887",
        "zp = round(−c·min) − 128 = round(113.041) − 128 = −15",
        "q = clip(round(c·x + zp), −128, 127) = round(26.2887 · 1.2 + (−15)) = round(16.5464) = 17",
        "x̂ = (q − zp) / c = (17 − (−15)) / 26.2887 = 1.21725",
    ]


@pytest.mark.parametrize("scheme", ["nf4", "fp4"])
def test_four_bit_formula_of_a_picked_block_with_double_quantization(scheme):
    x = torch.randn(64 * 300, generator=torch.Generator().manual_seed(1))
    result = quant.quantize(x, scheme, blocksize=64, double_quant=True)
    shown = quant_plots.formula(x, result, block=7)
    numbers = shown["numbers"]
    start = 7 * 64
    assert numbers["index"] == start and numbers["value"] == float(x[start])
    assert numbers["block_absmax"] == float(x[start:start + 64].abs().max())
    assert numbers["absmax"] == float(result.scales[7])  # the double-quantized absmax the values are rebuilt with
    assert numbers["absmax_code"] == int(result.absmax_codes[7])
    table = quant.NF4_CODE if scheme == "nf4" else quant.FP4_CODE
    assert numbers["level"] == float(table[int(result.codes[start])])
    assert float(result.dequantized[start]) == pytest.approx(numbers["level"] * numbers["absmax"], rel=1e-6)
    assert shown["lines"][-1] == "bits/param = codes + constants = 4 + (8·300 + 32·2)/19200 = 4.1283"


def test_formula_of_the_whole_tensor_names_the_widest_block():
    x = torch.randn(1024)
    x[700] = 9.0
    results = _results(x, blocksize=64)
    text = quant_plots.formulas_markdown(x, results)
    assert text.count("block 10 (the widest), its first value") == 4


@pytest.mark.parametrize("count, blocksize, double_quant, expected", [
    (65536, 64, False, "4 + 32/64 = 4.5"),
    (65536, 64, True, "4 + 8/64 + 32/(64·256) = 4.127"),
    (1000, 64, False, "4 + 32·16/1000 = 4.512"),
    (8, None, False, "4 + 32/8 = 8"),
])
def test_bits_breakdown(count, blocksize, double_quant, expected):
    result = quant.quantize(torch.randn(count), "nf4", blocksize=blocksize, double_quant=double_quant)
    assert quant_plots.bits_breakdown(result) == expected
    assert float(expected.rsplit("= ", 1)[1]) == pytest.approx(result.bits_per_param, abs=5e-5)
    zeropoint = quant.quantize(torch.randn(4096), "zeropoint", bits=4, blocksize=64)
    assert quant_plots.bits_breakdown(zeropoint) == "4 + 64/64 = 5"


def test_level_lines_only_when_few_enough_to_see():
    results = [quant.quantize(NOTES, "absmax", bits=8), quant.quantize(NOTES, "absmax", bits=4)]
    figure = quant_plots.value_histogram(NOTES, results)
    int8_levels, int4_levels = figure.data[2], figure.data[5]
    assert len(int8_levels.x) == 0 and len(figure.data[1].x) == 0  # 255 lines would paint 8 bars solid
    assert "233 levels: too dense to draw" in figure.layout.annotations[0].text
    assert len(int4_levels.x) == 3 * 13 and "too dense" not in figure.layout.annotations[1].text


def test_rows_say_which_block_their_levels_are_of():
    x = torch.randn(4096)
    x[3000] = 12.0
    results = _results(x, blocksize=64)
    whole = quant_plots.value_histogram(x, results)
    assert whole.layout.annotations[2].text == "NF4: levels of the widest block (46)"
    picked = quant_plots.value_histogram(x, results, block=5)
    assert picked.layout.annotations[2].text == "NF4: levels of block 5"
    transfer = quant_plots.transfer_curve(x, results)
    assert transfer.data[3].name == "NF4 (block 46)"


def test_four_bit_code_usage_is_labelled_by_level():
    x = torch.randn(20_000)
    figure = quant_plots.code_usage([quant.quantize(x, "fp4", blocksize=64), quant.quantize(x, "nf4", blocksize=64)])
    fp4, nf4 = figure.data
    assert list(fp4.x) == ["-1", "-0.667", "-0.5", "-0.333", "-0.25", "-0.167", "-0.00521", "0", "-0", "0.00521",
                           "0.167", "0.25", "0.333", "0.5", "0.667", "1"]
    assert list(fp4.customdata[:3]) == [11, 10, 13]  # the raw codes, shown on hover
    assert list(nf4.x)[:2] == ["-1", "-0.696"] and list(nf4.customdata) == list(range(16))


@pytest.mark.parametrize("scheme", ["q4_0", "q4_1", "q8_0", "mxfp4", "nvfp4"])
def test_fixed_format_formulas_rebuild_the_formats_own_values(scheme):
    x = torch.randn(64 * 5, generator=torch.Generator().manual_seed(2)) * 3
    result = quant.quantize(x, scheme)
    block = 3
    numbers = quant_plots.formula(x, result, block=block)["numbers"]
    start = block * result.block_length
    assert numbers["index"] == start and numbers["code"] == int(result.codes[start])
    assert numbers["stored"] == float(result.scales[block]) and numbers["scaled"] == float(result.scaled[start])
    q, stored = torch.tensor(float(numbers["code"])), torch.tensor(numbers["stored"])
    rebuilt = {
        "q4_0": lambda: (q - 8) * stored,
        "q4_1": lambda: stored * q + torch.tensor(numbers["m"]),
        "q8_0": lambda: q * stored,
        "mxfp4": lambda: torch.tensor(numbers["level"]) * stored,
        "nvfp4": lambda: torch.tensor(numbers["level"]) * stored * torch.tensor(numbers["tensor_scale"]),
    }[scheme]()
    assert float(rebuilt) == pytest.approx(numbers["dequantized"], rel=1e-6, abs=1e-9)
    assert numbers["dequantized"] == float(result.dequantized[start])
    if scheme == "q4_1":
        assert numbers["m"] == float(result.zero_points[block])
        block_values = x[start:start + 32]
        assert numbers["d"] == pytest.approx(float(block_values.max() - block_values.min()) / 15, rel=1e-6)


@pytest.mark.parametrize("scheme, expected", [("q4_0", "4 + 16/32 = 4.5"), ("q4_1", "4 + 32/32 = 5"),
                                              ("q8_0", "8 + 16/32 = 8.5"), ("mxfp4", "4 + 8/32 = 4.25"),
                                              ("nvfp4", "4 + 8/16 + 32/4096 = 4.5078")])
def test_fixed_format_bits_breakdown(scheme, expected):
    assert quant_plots.bits_breakdown(quant.quantize(torch.randn(4096), scheme)) == expected


def test_e2m1_code_usage_is_labelled_by_level():
    figure = quant_plots.code_usage([quant.quantize(torch.randn(4096), "mxfp4")])
    assert list(figure.data[0].x) == ["-6", "-4", "-3", "-2", "-1.5", "-1", "-0.5", "0", "-0", "0.5", "1", "1.5", "2",
                                      "3", "4", "6"]


def test_many_integer_codes_get_a_numeric_axis():
    x = torch.randn(4096)
    figure = quant_plots.code_usage([quant.quantize(x, "absmax", bits=8), quant.quantize(x, "nf4", blocksize=64)])
    assert figure.layout.xaxis.type == "linear" and list(figure.data[0].x[:2]) == [-127, -126]
    assert figure.layout.xaxis2.type == "category"


@pytest.mark.parametrize("order", [["nvfp4", "nf4", "q4_0"], ["nf4", "nvfp4", "q4_0"]])
def test_a_picked_block_is_the_same_values_for_schemes_with_other_block_lengths(order):
    x = quant.synthetic("normal", 1000, 0, 0.01, 10.0)
    results = [quant.quantize(x, scheme, bits=4, blocksize=64) for scheme in order]
    first = results[0]
    start, stop = first.block_range(10)
    figures = quant_plots.lab_figures(x, results, 10)
    for trace, result in zip(figures["error_vs_value"].data, results):  # every scheme's errors over that range
        assert len(trace.x) == min(quant_plots.SCATTER_POINTS, stop - start)
    assert "NVFP4" in quant_plots.formulas_markdown(x, results, 10)

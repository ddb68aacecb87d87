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

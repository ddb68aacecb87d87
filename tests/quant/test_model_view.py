"""The whole-model view on the real bundled SmolLM2-135M: 210 linear layers, memory per format."""

from __future__ import annotations

import pytest
import torch

from playground.quant import model_view as quant_model
from playground.quant import QuantSpec, quantize

SCHEMES = [QuantSpec("absmax", bits=4, blocksize=64), QuantSpec("zeropoint", bits=4, blocksize=64),
           QuantSpec("nf4", blocksize=64), QuantSpec("fp4", blocksize=64)]


def test_parameter_counts_of_smollm(smollm):
    counts = quant_model.parameter_counts(smollm.model)
    assert counts == {"linear_layers": 210, "linear": 106_168_320, "other": 28_346_688, "total": 134_515_008}


def test_memory_table_of_smollm(smollm):
    rows = {row["format"]: row for row in quant_model.model_memory(smollm.model)}
    fp32 = rows["fp32"]
    assert fp32["total_mb"] == pytest.approx(134_515_008 * 4 / 1e6)
    assert rows["fp16 / bf16"]["total_mb"] == pytest.approx(fp32["total_mb"] / 2)
    nf4 = rows["NF4 (blocks of 64)"]
    assert nf4["linear_bits_per_param"] == 4.5
    assert nf4["linear_mb"] == pytest.approx(106_168_320 * 4.5 / 8 / 1e6)
    assert nf4["other_mb"] == pytest.approx(28_346_688 * 2 / 1e6)  # embeddings and norms stay 16-bit
    nested = rows["NF4 + double quantization"]
    assert nested["linear_bits_per_param"] == pytest.approx(4.127, abs=1e-3)
    assert nested["total_mb"] < nf4["total_mb"]
    int8 = rows["int8 (absmax per row, LLM.int8)"]
    assert 8 < int8["linear_bits_per_param"] < 8.06  # one fp32 scale per row of 576 or 1536


def test_every_layer_under_every_scheme(smollm):
    events = list(quant_model.layer_errors(smollm.model, SCHEMES, rows_per_layer=16))
    assert [done for done, _, _ in events] == list(range(1, 211)) and events[-1][1] == 210
    rows = [row for _, _, layer_rows in events for row in layer_rows]
    assert len(rows) == 210 * 4
    by_scheme = {spec.label: [row["relative_rmse"] for row in rows if row["scheme"] == spec.label] for spec in SCHEMES}
    means = {label: sum(errors) / len(errors) for label, errors in by_scheme.items()}
    assert all(0.01 < mean < 0.3 for mean in means.values()), means
    assert means["NF4"] < means["FP4"] and means["NF4"] < means["absmax int4"]


def test_layer_error_matches_a_direct_quantization(smollm):
    name, layer = next(iter(quant_model.linear_layers(smollm.model).items()))
    _, _, rows = next(quant_model.layer_errors(smollm.model, [SCHEMES[2]]))
    weight = layer.weight.detach()
    direct = quantize(weight, "nf4", blocksize=64)
    expected = float((direct.dequantized - weight).norm() / weight.norm())
    assert rows[0]["layer"] == name and rows[0]["relative_rmse"] == pytest.approx(expected, rel=1e-6)
    assert rows[0]["shape"] == "576×576"


def test_weight_of_is_a_copy(smollm):
    name = next(iter(quant_model.linear_layers(smollm.model)))
    weight = quant_model.weight_of(smollm.model, name)
    weight.zero_()
    assert float(quant_model.linear_layers(smollm.model)[name].weight.abs().sum()) > 0


def test_bad_arguments(tiny):
    with pytest.raises(ValueError, match="layer 'nope' is not a linear layer of this model"):
        quant_model.weight_of(tiny.model, "nope")
    with pytest.raises(ValueError, match="choose at least one scheme"):
        next(quant_model.layer_errors(tiny.model, []))
    with pytest.raises(ValueError, match="rows_per_layer must be at least 1"):
        next(quant_model.layer_errors(tiny.model, SCHEMES, rows_per_layer=0))
    with pytest.raises(ValueError, match="has no linear layers"):
        next(quant_model.layer_errors(torch.nn.Sequential(torch.nn.ReLU()), SCHEMES))

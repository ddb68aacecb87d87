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


# --------------------------------------------------------------------------- the fixed formats on the real model

FORMAT_SPECS = [QuantSpec(name) for name in ("q4_0", "q4_1", "q8_0", "mxfp4", "nvfp4")] + [
    QuantSpec("nf4", blocksize=64), QuantSpec("absmax", bits=4, blocksize=64),
    QuantSpec("zeropoint", bits=4, blocksize=64), QuantSpec("absmax", bits=8, blocksize=64)]


def _first_block(model) -> list[str]:
    return [name for name in quant_model.linear_layers(model) if name.startswith("model.layers.0.")]


def test_q4_1_requantization_of_the_bundled_model_is_exact(smollm):
    """The bundled SmolLM2 is a Q4_1 GGUF: every linear weight is d·q + m on blocks of 32 (fp16 d and m),
    loaded as float32. Re-quantizing with q4_1 finds the same min (code 0), the same d (max − min = 15·d
    rounds back to the same fp16 d) and the same codes, so the values come back bit for bit. Measured on
    all 210 linear layers (106,168,320 weights): 0 differ. Checked here on layer 0's 7 projections and the
    last layer's down projection, whole matrices."""
    layers = quant_model.linear_layers(smollm.model)
    names = _first_block(smollm.model) + ["model.layers.29.mlp.down_proj"]
    for name in names:
        weight = layers[name].weight.detach()
        result = quantize(weight, "q4_1")
        assert torch.equal(result.dequantized, weight), name
        assert int(result.codes.min()) == 0 and int(result.codes.max()) == 15
    rows = [row for _, _, layer_rows in quant_model.layer_errors(smollm.model, [QuantSpec("q4_1")], layer_names=names)
            for row in layer_rows]
    assert [row["layer"] for row in rows] == names and all(row["relative_rmse"] == 0.0 for row in rows)
    q4_0 = quantize(layers[names[0]].weight.detach(), "q4_0")  # the same bits on another grid: not exact
    assert float((q4_0.dequantized - layers[names[0]].weight).norm()) > 0


def test_formats_ranked_by_error_at_equal_bits_on_the_real_model(smollm):
    events = list(quant_model.layer_errors(smollm.model, FORMAT_SPECS, rows_per_layer=64,
                                           layer_names=_first_block(smollm.model)))
    assert [done for done, _, _ in events] == list(range(1, 8)) and events[-1][1] == 7
    ranked = quant_model.rank_by_error([row for _, _, layer_rows in events for row in layer_rows])
    groups: dict[float, list[str]] = {}
    for row in ranked:
        groups.setdefault(row["bits_group"], []).append(row["scheme"])
        assert row["layers"] == 7 and row["group_size"] == len([r for r in ranked if r["bits_group"] == row["bits_group"]])
    assert list(groups) == [4.25, 4.5, 5.0, 8.5]
    assert groups[4.25] == ["MXFP4"] and set(groups[4.5]) == {"Q4_0", "NF4", "NVFP4", "absmax int4"}
    assert groups[5.0] == ["Q4_1", "zero-point int4"] and groups[8.5] == ["Q8_0", "absmax int8"]
    by_scheme = {row["scheme"]: row for row in ranked}
    assert by_scheme["Q4_1"]["mean_relative_rmse"] == 0.0 and by_scheme["Q4_1"]["rank"] == 1
    for bits, names in groups.items():  # sorted by error within each group
        errors = [by_scheme[name]["mean_relative_rmse"] for name in names]
        assert errors == sorted(errors) and [by_scheme[name]["rank"] for name in names] == list(range(1, len(names) + 1))
    # measured (64 rows of each of layer 0's projections): Q4_0 0.0944, NVFP4 0.0945, NF4 0.0977,
    # absmax int4 0.1235, MXFP4 0.122, zero-point int4 0.101, Q8_0 0.0060 < absmax int8 0.0068. The weights
    # were Q4_1 (a uniform 16-level grid per 32) before: uniform grids on blocks of 32 fit them well.
    assert by_scheme["absmax int4"]["rank"] == 4 and 0.08 < by_scheme["Q4_0"]["mean_relative_rmse"] < 0.1
    assert by_scheme["MXFP4"]["mean_relative_rmse"] > by_scheme["NF4"]["mean_relative_rmse"]
    assert by_scheme["Q8_0"]["mean_relative_rmse"] < 0.01
    assert by_scheme["NVFP4"]["bits_per_param"] == pytest.approx(4.5 + 32 / (64 * 576), rel=0.05)


def test_rank_by_error_groups_by_bits_and_sorts():
    rows = [{"layer": f"l{i}", "scheme": scheme, "relative_rmse": error, "bits_per_param": bits}
            for i in range(2) for scheme, error, bits in
            (("A", 0.2 + i, 4.5), ("B", 0.1, 4.5035), ("C", 0.05, 8.5), ("D", 0.3, 4.127))]
    ranked = quant_model.rank_by_error(rows)
    assert [row["scheme"] for row in ranked] == ["D", "B", "A", "C"]
    assert [(row["bits_group"], row["rank"], row["group_size"]) for row in ranked] == [
        (4.125, 1, 1), (4.5, 1, 2), (4.5, 2, 2), (8.5, 1, 1)]
    assert ranked[2]["mean_relative_rmse"] == pytest.approx(0.7) and ranked[2]["worst_layer"] == "l1"


def test_memory_table_lists_the_fixed_formats(smollm):
    rows = {row["format"]: row for row in quant_model.model_memory(smollm.model)}
    linear = 106_168_320
    expected = {"GGUF Q8_0 (blocks of 32, fp16 scale)": 8.5, "GGUF Q4_1 (blocks of 32, fp16 scale + min)": 5.0,
                "GGUF Q4_0 (blocks of 32, fp16 scale)": 4.5, "MXFP4 (blocks of 32, E8M0 scale)": 4.25,
                "NVFP4 (blocks of 16, E4M3 scale + fp32 tensor scale)": 4.5 + 210 * 32 / linear}
    for label, bits in expected.items():
        assert rows[label]["linear_bits_per_param"] == pytest.approx(bits, rel=1e-12), label
        assert rows[label]["linear_mb"] == pytest.approx(linear * bits / 8 / 1e6)


def test_layer_names_must_exist(tiny):
    with pytest.raises(ValueError, match="layer 'nope' is not a linear layer of this model"):
        next(quant_model.layer_errors(tiny.model, [QuantSpec("q4_0")], layer_names=["nope"]))

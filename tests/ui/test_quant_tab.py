"""Quantization Lab handlers without a browser: every source, the tables, and bad input as messages."""

from __future__ import annotations

import gradio as gr
import pytest
import torch

from playground import models
from playground.i18n import CATALOG, in_language, using
from playground.ui import quant_tab

DEFAULTS = dict(
    source="synthetic", distribution="normal", size=4096, seed=0, outlier_fraction=0.01, outlier_magnitude=10.0,
    model_id=models.TINY_ID, layer=None, numbers="0.5, -1.2, 3.1, 0, 2.7", schemes=["absmax", "zeropoint", "nf4", "fp4"],
    bits=4, granularity="block", blocksize="64", double_quant=False, block=-1,
)


def rows(table):
    """A table's cells as lists (the handlers return DataFrames whose columns are named in the user's language)."""
    return table.values.tolist()


def run(**changes):
    summary, metric_table, step_table, *figures = quant_tab.run_quantize({**DEFAULTS, **changes}, progress=None)
    return (summary, rows(metric_table), rows(step_table), *figures)


def test_synthetic_source_gives_tables_and_five_figures():
    summary, metric_rows, step_rows, *figures = run()
    assert "4,096 values" in summary and "64 block(s) of 64" in summary
    assert [row[0] for row in metric_rows] == ["absmax int4", "zero-point int4", "NF4", "FP4"]
    assert [row[7] for row in metric_rows] == [4.5, 5.0, 4.5, 4.5]  # bits per parameter with constants
    assert [row[8] for row in metric_rows] == [2304, 2560, 2304, 2304]  # bytes for 4,096 values
    assert step_rows == []  # only typed numbers get the step-by-step table
    assert len(figures) == 5 and all(figure.data for figure in figures)


def test_typed_numbers_get_a_step_by_step_table():
    _, metric_rows, step_rows, *_ = run(source="typed", schemes=["absmax"], bits=8, granularity="tensor")
    assert [row[7] for row in step_rows] == [20, -49, 127, 0, 111]  # codes: round(127 / 3.1 · x)
    assert step_rows[0][4] == pytest.approx(3.1)  # the block constant (absmax)
    assert metric_rows[0][5] == "5/255"


def test_weights_source_quantizes_a_layer_of_the_model():
    summary, metric_rows, *_ = run(source="weights", layer="model.layers.1.mlp.down_proj", granularity="row")
    tiny = models.load_model(models.TINY_ID).model
    rows, columns = tiny.model.layers[1].mlp.down_proj.weight.shape
    assert f"shape {rows}×{columns}" in summary and f"{rows:,} block(s) of {columns:,}" in summary
    assert len(metric_rows) == 4


def test_double_quant_applies_to_four_bit_schemes_only():
    _, metric_rows, *_ = run(size=64 * 256, double_quant=True)
    labels = [row[0] for row in metric_rows]
    assert labels == ["absmax int4", "zero-point int4", "NF4 + DQ", "FP4 + DQ"]
    assert metric_rows[2][7] == 4.126953125


def test_layer_list_fills_only_for_the_weights_source():
    update = quant_tab.list_layers(dict(source="weights", model_id=models.TINY_ID, layer=None), progress=None)
    assert update["value"] == "model.layers.0.self_attn.q_proj" and len(update["choices"]) == 14
    assert quant_tab.list_layers(dict(source="synthetic", model_id=models.TINY_ID, layer=None), progress=None) == gr.skip()


def test_whole_model_view_on_tiny():
    values = dict(model_id=models.TINY_ID, schemes=["nf4", "absmax"], bits=4, granularity="block", blocksize="64",
                  double_quant=True, sample_rows=False)
    figure, summary, memory = quant_tab.run_model(values, progress=lambda *args, **kwargs: None)
    summary, memory = rows(summary), rows(memory)
    assert [row[0] for row in summary] == ["NF4 + DQ", "absmax int4"]
    assert len(figure.data) == 2 and len(figure.data[0].y) == 14
    assert [row[0] for row in memory][0] == "fp32" and memory[3][1] == 4.5


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"source": "typed", "numbers": "1, 2, abc"}, "'abc' is not a number"),
        ({"source": "typed", "numbers": "1, nan, 2"}, "'nan' is not a finite number"),
        ({"source": "typed", "numbers": "  "}, "no numbers given"),
        ({"size": 10}, "size must be a whole number from 16 to 4194304, got 10"),
        ({"size": 5_000_000}, "size must be a whole number from 16 to 4194304, got 5000000"),
        ({"seed": 2**32}, "seed must be a whole number from 0 to 4294967295, got 4294967296"),
        ({"blocksize": "100"}, "block size 100 is not allowed: choose one of 32, 64, 128"),
        ({"blocksize": "abc"}, "block size must be a whole number, got 'abc'"),
        ({"bits": 9}, "bits must be a whole number from 2 to 8, got 9"),
        ({"schemes": []}, "choose at least one scheme"),
        ({"block": 64}, "block 64 does not exist: this tensor has 64 block(s), numbered 0 to 63"),
        ({"source": "weights", "layer": "lm_head"}, "layer 'lm_head' is not a linear layer of this model"),
    ],
)
def test_bad_input_becomes_a_message(changes, message):
    with pytest.raises(gr.Error) as raised:
        run(**changes)
    assert message in str(raised.value.message)


def test_endpoints_and_concurrency_are_declared():
    with gr.Blocks() as demo:
        quant_tab.create_quant_tab(demo)
    endpoints = {dep["api_name"]: dep for dep in demo.config["dependencies"] if dep.get("api_name")}
    assert {"quantize", "quantize_model", "quant_layers"} <= set(endpoints)
    assert demo.fns[endpoints["quantize"]["id"]].concurrency_limit == 8


def test_outputs_and_messages_in_the_users_language():
    typed = {**DEFAULTS, "source": "typed", "schemes": ["absmax", "nf4"], "granularity": "tensor"}
    ko = lambda key, **values: in_language(key, "ko", **values)  # noqa: E731
    with using("ko"):
        summary, metric_table, step_table, histogram, transfer, error_histogram, *_ = quant_tab.run_quantize(
            typed, progress=None)
        with pytest.raises(gr.Error) as bad_number:
            quant_tab.run_quantize({**typed, "numbers": "1, 2, abc"}, progress=None)
        with pytest.raises(gr.Error) as bad_seed:
            quant_tab.run_quantize({**DEFAULTS, "seed": -1}, progress=None)
        model_figure, _, memory = quant_tab.run_model(
            dict(model_id=models.TINY_ID, schemes=["nf4"], bits=4, granularity="block", blocksize="64",
                 double_quant=True, sample_rows=False), progress=lambda *args, **kwargs: None)
    assert summary == ko("quant.summary", count=5, shape="5", blocks=1, length=5)
    assert summary != "**5 values** (shape 5), 1 block(s) of 5"
    assert list(metric_table.columns) == [CATALOG["ko"][key] for key in quant_tab.METRIC_COLUMNS]
    assert list(step_table.columns) == [CATALOG["ko"][key] for key in quant_tab.STEP_COLUMNS]
    assert list(memory.columns) == [CATALOG["ko"][key] for key in quant_tab.MEMORY_COLUMNS]
    assert memory.iloc[4, 0] == CATALOG["ko"]["quant.format.nf4_dq"]
    assert transfer.layout.title.text == ko("quant.plot.transfer_title", scope=ko("quant.plot.widest_block"))
    assert transfer.layout.yaxis.title.text == CATALOG["ko"]["quant.plot.dequantized_axis"]
    assert error_histogram.layout.title.text == CATALOG["ko"]["quant.plot.error_histogram_title"]
    assert error_histogram.layout.xaxis.title.text == CATALOG["ko"]["quant.plot.error_axis"]
    assert histogram.layout.title.text == ko("quant.plot.histogram_title", scope=ko("quant.plot.whole_tensor"), count=5)
    assert histogram.data[0].name == CATALOG["ko"]["quant.plot.values"]
    assert model_figure.layout.title.text == ko("quant.plot.layer_errors_title", count=14)
    assert str(bad_number.value.message) == ko("quant.err.not_a_number", token="abc")
    assert CATALOG["ko"]["quant.label.seed"] in str(bad_seed.value.message)

    with using("en"):  # the English is what it always was
        summary, metric_table, step_table, _, transfer, *_ = quant_tab.run_quantize(typed, progress=None)
        with pytest.raises(gr.Error) as bad_number:
            quant_tab.run_quantize({**typed, "numbers": "1, 2, abc"}, progress=None)
    assert summary == "**5 values** (shape 5), 1 block(s) of 5"
    assert list(metric_table.columns) == ["scheme", "MSE", "RMSE", "max |err|", "SNR dB", "codes used", "entropy bits",
                                          "bits/param", "bytes"]
    assert list(step_table.columns) == ["scheme", "i", "value", "block", "scale", "zero pt", "scaled", "code", "x̂",
                                        "error"]
    assert transfer.layout.title.text == "Transfer curve x → x̂ (widest block)"
    assert transfer.layout.yaxis.title.text == "x̂ (dequantized)"
    assert str(bad_number.value.message) == "'abc' is not a number: give numbers separated by commas or spaces"


def test_tables_reach_the_browser_with_their_column_names():
    with using("ko"):
        _, metric_table, *_ = quant_tab.run_quantize({**DEFAULTS, "source": "typed"}, progress=None)
        empty_steps = quant_tab._step_rows(torch.zeros(100), [])  # too many values for a step-by-step table
    sent = gr.Dataframe().postprocess(metric_table)
    assert sent.headers == [CATALOG["ko"][key] for key in quant_tab.METRIC_COLUMNS] and len(sent.data) == 4
    assert sent.data[0][0] == "absmax int4" and sent.data[0][5] == "5/15"
    empty = gr.Dataframe().postprocess(empty_steps)
    assert empty.data == [] and empty.headers == [CATALOG["ko"][key] for key in quant_tab.STEP_COLUMNS]

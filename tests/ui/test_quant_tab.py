"""Quantization Lab handlers without a browser: every source, the tables, and bad input as messages."""

from __future__ import annotations

import gradio as gr
import pytest
import torch

from playground import models
from playground.i18n import CATALOG, in_language, using
from playground.quant import SCHEMES
from playground.quant import examples as quant_examples
from playground.ui import quant_tab
from playground.ui.strings import t

DEFAULTS = dict(
    source="synthetic", distribution="normal", size=4096, seed=0, outlier_fraction=0.01, outlier_magnitude=10.0,
    model_id=models.TINY_ID, layer=None, numbers="0.5, -1.2, 3.1, 0, 2.7", schemes=["absmax", "zeropoint", "nf4", "fp4"],
    bits=4, granularity="block", blocksize="64", double_quant=False, block=-1,
)


def rows(table):
    """A table's cells as lists (the handlers return DataFrames whose columns are named in the user's language)."""
    return table.values.tolist()


def run(**changes):
    """summary, metric rows, step rows, then the five figures (formulas and code: `run_all`)."""
    summary, metric_table, step_table, *rest = quant_tab.run_quantize({**DEFAULTS, **changes}, progress=None)
    assert len(rest) == 7, "a bad input returns one message and skips the rest"
    return (summary, rows(metric_table), rows(step_table), *rest[:5])


def run_all(**changes):
    return quant_tab.run_quantize({**DEFAULTS, **changes}, progress=None)


def test_synthetic_source_gives_tables_and_five_figures():
    summary, metric_rows, step_rows, *figures = run()
    assert "4,096 values" in summary and "64 block(s) of 64" in summary
    assert [row[0] for row in metric_rows] == ["absmax int4", "zero-point int4", "NF4", "FP4"]
    assert [row[4] for row in metric_rows] == [4.5, 5.0, 4.5, 4.5]  # bits per parameter with constants
    assert [row[5] for row in metric_rows] == ["4 + 32/64 = 4.5", "4 + 64/64 = 5", "4 + 32/64 = 4.5", "4 + 32/64 = 4.5"]
    assert [row[8] for row in metric_rows] == [2304, 2560, 2304, 2304]  # bytes for 4,096 values
    assert metric_rows[0][9] == pytest.approx(metric_rows[0][1] ** 2, rel=1e-4)  # MSE = RMSE²
    assert step_rows == []  # only typed numbers get the step-by-step table
    assert len(figures) == 5 and all(figure.data for figure in figures)


def test_typed_numbers_get_a_step_by_step_table():
    _, metric_rows, step_rows, *_ = run(source="typed", schemes=["absmax"], bits=8, granularity="tensor")
    assert [row[7] for row in step_rows] == [20, -49, 127, 0, 111]  # codes: round(127 / 3.1 · x)
    assert step_rows[0][4] == "absmax = 3.1" and step_rows[0][5] is None  # the block constant, named
    _, _, zero_rows, *_ = run(source="typed", schemes=["zeropoint"], bits=8, granularity="tensor")
    assert zero_rows[0][4] == "c = 59.3023" and zero_rows[0][5] == -57  # 255 / (3.1 − (−1.2)), round(−c·min) − 128
    assert metric_rows[0][6] == "5/255"


def test_weights_source_quantizes_a_layer_of_the_model():
    summary, metric_rows, *_ = run(source="weights", layer="model.layers.1.mlp.down_proj", granularity="row")
    tiny = models.load_model(models.TINY_ID).model
    rows, columns = tiny.model.layers[1].mlp.down_proj.weight.shape
    assert f"shape {rows}×{columns}" in summary and f"{rows:,} block(s) of {columns:,}" in summary
    first, *_ = run(source="weights", layer=None, granularity="row")
    assert "· layer `model.layers.0.self_attn.q_proj` · random fp32" in first  # the layer the picker starts on
    assert len(metric_rows) == 4


def test_double_quant_applies_to_four_bit_schemes_only():
    _, metric_rows, *_ = run(size=64 * 256, double_quant=True)
    labels = [row[0] for row in metric_rows]
    assert labels == ["absmax int4", "zero-point int4", "NF4 + DQ", "FP4 + DQ"]
    assert metric_rows[2][4] == 4.126953125


def test_layer_list_fills_only_for_the_weights_source():
    update = quant_tab.list_layers(dict(source="weights", model_id=models.TINY_ID, layer=None), progress=None)
    assert update["value"] == "model.layers.0.self_attn.q_proj" and len(update["choices"]) == 14
    assert quant_tab.list_layers(dict(source="synthetic", model_id=models.TINY_ID, layer=None), progress=None) == gr.skip()


def test_whole_model_view_on_tiny():
    values = dict(model_id=models.TINY_ID, schemes=["nf4", "absmax"], bits=4, granularity="block", blocksize="64",
                  double_quant=True, sample_rows=False)
    figure, summary, memory, origin = quant_tab.run_model(values, progress=lambda *args, **kwargs: None)
    assert figure["visible"] is True
    figure = figure["value"]
    assert summary["label"] == "Mean error per scheme, against the loaded weights (random fp32)"
    summary, memory = rows(summary["value"]), rows(memory)
    assert [row[0] for row in summary] == ["NF4 + DQ", "absmax int4"]
    assert len(figure.data) == 2 and len(figure.data[0].y) == 14
    assert [row[0] for row in memory][0] == "fp32 (random fp32)" and memory[3][1] == 4.5
    assert origin == "**Weights:** " + models.weights_origin(models.TINY_ID)


def test_the_bundled_model_is_labelled_for_what_it_is(smollm):
    values = dict(model_id=models.BUNDLED_ID, schemes=["nf4"], bits=4, granularity="block", blocksize="64",
                  double_quant=False, sample_rows=True)
    _, summary, memory, origin = quant_tab.run_model(values, progress=lambda *args, **kwargs: None)
    assert rows(memory)[0][0] == "fp32 (Q4_1 GGUF, dequantized)" and rows(memory)[0][4] == 538.06
    assert "(Q4_1 GGUF, dequantized)" in summary["label"] and "Q4_1's 4-bit rounding" in origin
    lab_summary, *_ = run(source="weights", model_id=models.BUNDLED_ID, layer="model.layers.0.self_attn.q_proj")
    assert lab_summary.endswith("· layer `model.layers.0.self_attn.q_proj` · Q4_1 GGUF, dequantized")


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
def test_bad_input_becomes_one_message_and_the_rest_keeps_its_state(changes, message):
    summary, *rest = run_all(**changes)
    assert message in summary and summary.startswith("⚠️")
    assert rest == [gr.skip()] * 9  # tables and figures keep their last good state: no "Error" on each of them


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
        bad_number = quant_tab.run_quantize({**typed, "numbers": "1, 2, abc"}, progress=None)[0]
        bad_seed = quant_tab.run_quantize({**DEFAULTS, "seed": -1}, progress=None)[0]
        model_update, _, memory, _ = quant_tab.run_model(
            dict(model_id=models.TINY_ID, schemes=["nf4"], bits=4, granularity="block", blocksize="64",
                 double_quant=True, sample_rows=False), progress=lambda *args, **kwargs: None)
    assert summary == ko("quant.summary", count=5, shape="5", blocks=1, length=5)
    assert summary != "**5 values** (shape 5), 1 block(s) of 5"
    assert list(metric_table.columns) == [CATALOG["ko"][key] for key in quant_tab.METRIC_COLUMNS]
    assert list(step_table.columns) == [CATALOG["ko"][key] for key in quant_tab.STEP_COLUMNS]
    assert list(memory.columns) == [CATALOG["ko"][key] for key in quant_tab.MEMORY_COLUMNS]
    assert memory.iloc[4, 0] == CATALOG["ko"]["quant.format.nf4_dq"]
    model_figure = model_update["value"]
    assert transfer.layout.title.text == ko("quant.plot.transfer_title", scope=ko("quant.plot.widest_block"))
    assert transfer.layout.yaxis.title.text == CATALOG["ko"]["quant.plot.dequantized_axis"]
    assert error_histogram.layout.title.text == CATALOG["ko"]["quant.plot.error_histogram_title"]
    assert error_histogram.layout.xaxis.title.text == CATALOG["ko"]["quant.plot.error_axis"]
    assert histogram.layout.title.text == ko("quant.plot.histogram_title", scope=ko("quant.plot.whole_tensor"), count=5)
    assert histogram.data[0].name == CATALOG["ko"]["quant.plot.values"]
    assert model_figure.layout.title.text == ko("quant.plot.layer_errors_title", count=14)
    assert bad_number == ko("quant.err.bad_input", message=ko("quant.err.not_a_number", token="abc"))
    assert CATALOG["ko"]["quant.label.seed"] in bad_seed

    with using("en"):  # the English is what it always was
        summary, metric_table, step_table, _, transfer, *_ = quant_tab.run_quantize(typed, progress=None)
        bad_number = quant_tab.run_quantize({**typed, "numbers": "1, 2, abc"}, progress=None)[0]
    assert summary == "**5 values** (shape 5), 1 block(s) of 5"
    assert list(metric_table.columns) == ["scheme", "RMSE", "max |err|", "SNR dB", "bits/param", "codes + constants",
                                          "codes used", "entropy bits", "bytes", "MSE"]
    assert list(step_table.columns) == ["scheme", "i", "value", "block", "block constant", "zero point", "scaled",
                                        "code", "x̂", "error"]
    assert transfer.layout.title.text == "Transfer curve x → x̂ (widest block)"
    assert transfer.layout.yaxis.title.text == "x̂ (dequantized)"
    assert bad_number == ("⚠️ **'abc' is not a number: give numbers separated by commas or spaces** — the figures below "
                          "still show the last run.")


def test_tables_reach_the_browser_with_their_column_names():
    with using("ko"):
        _, metric_table, *_ = quant_tab.run_quantize({**DEFAULTS, "source": "typed"}, progress=None)
        empty_steps = quant_tab._step_rows(torch.zeros(100), [])  # too many values for a step-by-step table
    sent = gr.Dataframe().postprocess(metric_table)
    assert sent.headers == [CATALOG["ko"][key] for key in quant_tab.METRIC_COLUMNS] and len(sent.data) == 4
    assert sent.data[0][0] == "absmax int4" and sent.data[0][6] == "5/15"
    empty = gr.Dataframe().postprocess(empty_steps)
    assert empty.data == [] and empty.headers == [CATALOG["ko"][key] for key in quant_tab.STEP_COLUMNS]


@pytest.mark.parametrize("example", quant_examples.available(), ids=lambda example: example.name)
def test_each_example_sets_the_form_and_shows_its_figures(example):
    if example.name == "bundled_q4_1" and "q4_1" not in SCHEMES:
        pytest.skip("Q4_1 is not among the schemes yet")
    *settings, look = quant_tab.apply_example(example.name)
    values = {name: (DEFAULTS[name] if setting == gr.skip() else setting)
              for name, setting in zip(quant_tab.EXAMPLE_SETTINGS, settings)}
    assert look == t(f"quant.example.{example.name}.look")
    assert values["schemes"] == example.values["schemes"] and values["source"] == example.values["source"]
    summary, metric_table, step_table, *_, formulas, code = quant_tab.run_quantize(values, progress=None)
    assert not summary.startswith("⚠️"), summary
    metric = {row[0]: row for row in rows(metric_table)}
    steps = rows(step_table)
    for label, figures in example.figures.items():
        if label not in metric:  # the "before" of a before/after (NF4 without double quantization)
            continue
        if "codes" in figures:
            assert [row[7] for row in steps if row[0] == label] == figures["codes"]
        if "bits_breakdown" in figures:
            assert metric[label][5] == figures["bits_breakdown"] and figures["bits_breakdown"] in formulas
        if "rmse" in figures:
            assert metric[label][1] == pytest.approx(figures["rmse"], rel=1e-4)
        if "codes_used" in figures:
            assert metric[label][6].startswith(f"{figures['codes_used']}/")
    assert code.startswith(t("quant.code.header"))


def test_the_notes_example_shows_its_formulas():
    *settings, _ = quant_tab.apply_example("absmax_zeropoint")
    values = dict(zip(quant_tab.EXAMPLE_SETTINGS, settings))
    formulas = quant_tab.run_quantize({**DEFAULTS, **values, "model_id": DEFAULTS["model_id"]}, progress=None)[8]
    assert "c = 127 / absmax = 127 / 5.4 = 23.5185" in formulas
    assert "zp = round(−c·min) − 128 = round(113.041) − 128 = −15" in formulas
    assert quant_tab.apply_example(None) == [gr.skip()] * (len(quant_tab.EXAMPLE_SETTINGS) + 1)


def test_defaults_stay_the_original_four_and_outlier_fields_start_hidden():
    with gr.Blocks() as demo:
        form = quant_tab.create_quant_tab(demo)
    assert form["schemes"].value == ["absmax", "zeropoint", "nf4", "fp4"]
    assert [choice[1] for choice in form["schemes"].choices] == list(SCHEMES)
    outliers = next(block for block in demo.blocks.values() if getattr(block, "elem_id", None) == "quant-outliers")
    assert outliers.visible is False and form["distribution"].value == "normal"


def test_the_q4_1_lesson_button_shows_zero_error_on_the_bundled_weights(smollm):
    if "q4_1" not in SCHEMES:
        pytest.skip("Q4_1 is not among the schemes yet")
    values = dict(model_id=models.BUNDLED_ID, sample_rows=True, **quant_tab.Q4_1_DEMO)
    _, summary, _, _ = quant_tab.run_model(values, progress=lambda *args, **kwargs: None)
    by_scheme = {row[0]: row for row in rows(summary["value"])}
    assert list(by_scheme) == ["Q4_1", "zero-point int4", "NF4"]
    assert by_scheme["Q4_1"][1] == 0.0 and by_scheme["Q4_1"][3] == 0.0  # mean and worst relative RMSE: exactly 0
    assert by_scheme["zero-point int4"][1] > 0.05 and by_scheme["NF4"][1] > 0.05


def test_the_api_raises_a_bad_input_where_the_page_shows_it_in_the_summary():
    bad = {**DEFAULTS, "source": "typed", "numbers": "1, 2, abc"}
    line = quant_tab.run_quantize(bad, progress=None)[0]
    with pytest.raises(gr.Error) as raised:
        quant_tab.quantize_api(bad, progress=None)
    assert str(raised.value.message) in line and "abc" in line
    ok = quant_tab.quantize_api({**DEFAULTS, "source": "typed", "numbers": "1, 2, 3"}, progress=None)
    assert ok[0] == quant_tab.run_quantize({**DEFAULTS, "source": "typed", "numbers": "1, 2, 3"}, progress=None)[0]
    with gr.Blocks() as demo:
        quant_tab.create_quant_tab(demo)
    endpoints = {fn.api_name: fn for fn in demo.fns.values()}
    assert endpoints["quantize"].fn.__name__ == "quantize_api" and endpoints["quantize_view"].fn.__name__ == "run_quantize"

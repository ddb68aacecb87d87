"""Quantization Lab tab: values in, schemes side by side, levels / staircase / errors / code usage out.

Quick event (`quantize`, many at once): source → tensor → one QuantResult per scheme → metrics table,
step-by-step table, five figures. It also runs once with the defaults when the page loads
(and draws the NF4 derivation then, so building the app stays cheap).
Beside the figures: each scheme's formula with the shown block's numbers, the bits breakdown in the metrics
table, and the equivalent torch / bitsandbytes code. "Examples from the notes" loads a named example
(playground/quant/examples.py) into the form and runs it. A bad input shows ONE message, in the summary, and
every figure and table keeps its last good state (a raised gr.Error would mark every output "Error").
Slower event (`quantize_model`): every linear layer of the loaded model under each scheme, plus the
model's weight memory per format. Layer list (`quant_layers`): fills the layer picker once a model is loaded.
"""

from __future__ import annotations

import math

import gradio as gr
import pandas as pd

from playground import models
from playground.checks import MAX_SEED, QUANT_TYPES, check_whole_number, parse_number, parse_whole_number
from playground.quant import BLOCKSIZES, DISTRIBUTIONS, FIXED_FORMATS, SCHEMES, QuantSpec, metrics, parse_numbers, quantize, step_table, synthetic
from playground.quant import examples as quant_examples
from playground.quant import model_view as quant_model
from playground.quant.plots import bits_breakdown, formulas_markdown, lab_figures, layer_error_figure, nf4_derivation_figure
from playground.quant.snippet import snippet
from playground.ui.common import Form, load_with_progress, model_dropdown, user_errors
from playground.ui.strings import CATALOG, t

SOURCES = ("synthetic", "weights", "typed")
GRANULARITIES = ("tensor", "row", "block")
STEP_TABLE_LIMIT = 64
MODEL_SAMPLE_ROWS = 128
# The tables' columns, as text keys: `columns(METRIC_COLUMNS)` names them in the current language.
# errors first, then the cost with its breakdown beside it (in view without scrolling), MSE (= RMSE²) last
METRIC_COLUMNS = ["quant.col.scheme", "quant.col.rmse", "quant.col.max_error", "quant.col.snr",
                  "quant.col.bits_per_param", "quant.col.bits_breakdown", "quant.col.codes_used", "quant.col.entropy",
                  "quant.col.bytes", "quant.col.mse"]
# "block constant" holds each scheme's own constant, named in the cell: absmax (absmax, NF4, FP4), the
# multiplier c (zero-point), d (the GGUF formats)
STEP_COLUMNS = ["quant.col.scheme", "quant.col.index", "quant.col.value", "quant.col.block", "quant.col.constant",
                "quant.col.zero_point_full", "quant.col.scaled", "quant.col.code", "quant.col.dequantized",
                "quant.col.error"]
DEFAULT_SCHEMES = quant_examples.DEFAULT_SCHEMES  # checked when the page opens, however many schemes there are
MEMORY_COLUMNS = ["quant.col.format", "quant.col.linear_bits", "quant.col.linear_mb", "quant.col.other_mb",
                  "quant.col.total_mb", "quant.col.vs_fp32"]
LAYER_SUMMARY_COLUMNS = ["quant.col.scheme", "quant.col.mean_rmse", "quant.col.worst_layer", "quant.col.worst_rmse",
                         "quant.col.layer_bits"]


def columns(keys: list[str]) -> list[str]:
    """A table's column names in the current language."""
    return [t(key) for key in keys]


def _table(rows: list[list], keys: list[str]) -> pd.DataFrame:
    """Rows as a DataFrame whose columns are named in the current language (object dtype: cells stay as they are)."""
    return pd.DataFrame(rows, columns=columns(keys), dtype=object)


def _significant(value: float | None, digits: int = 6) -> float | None:
    if value is None or value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - int(math.floor(math.log10(abs(value)))))




def scheme_label(name: str) -> str:
    """A scheme's name on the page (a scheme whose label text is not there yet shows its code name)."""
    key = f"quant.scheme.{name}"
    return t(key) if key in CATALOG["en"] else name


def _constant_name(scheme: str) -> str:
    if scheme == "zeropoint":
        return t("quant.constant.c")
    return t("quant.constant.absmax") if scheme in ("absmax", *QUANT_TYPES) else t("quant.constant.d")


def specs_from(values: dict) -> list[QuantSpec]:
    """One QuantSpec per chosen scheme, all with the same granularity (so their blocks line up)."""
    schemes, granularity = values["schemes"], values["granularity"]
    if not schemes:
        raise ValueError(t("quant.err.no_scheme", choices=", ".join(SCHEMES)))
    if granularity not in GRANULARITIES:
        raise ValueError(t("quant.err.granularity", granularity=granularity, choices=", ".join(GRANULARITIES)))
    size = parse_whole_number(values["blocksize"], t("quant.label.block_size")) if granularity == "block" else None
    bit_count = parse_whole_number(values["bits"], t("quant.label.bits"))
    return [
        QuantSpec(
            scheme,
            bits=bit_count,
            blocksize=size,
            per_row=granularity == "row",
            double_quant=bool(values["double_quant"]) and scheme in QUANT_TYPES,
        )
        for scheme in schemes
    ]


def _source_values(values: dict, progress):
    source = values["source"]
    if source == "synthetic":
        seed_label = t("quant.label.seed")
        return synthetic(values["distribution"], parse_whole_number(values["size"], t("quant.label.number_of_values")),
                         check_whole_number(seed_label, parse_whole_number(values["seed"], seed_label), 0, MAX_SEED),
                         parse_number(values["outlier_fraction"], t("quant.label.outlier_fraction")),
                         parse_number(values["outlier_magnitude"], t("quant.label.outlier_magnitude")))
    if source == "typed":
        return parse_numbers(values["numbers"])
    if source == "weights":
        loaded = load_with_progress(values["model_id"], progress)
        names = list(models.linear_layers(loaded.model))
        return quant_model.weight_of(loaded.model, values["layer"] or names[0])
    raise ValueError(t("quant.err.source", source=source, choices=", ".join(SOURCES)))


def _metric_rows(x, results) -> pd.DataFrame:
    rows = []
    for result in results:
        row = metrics(x, result)
        rows.append([
            row["scheme"], _significant(row["rmse"]), _significant(row["max_abs_error"]),
            None if row["snr_db"] is None else round(row["snr_db"], 2), round(row["bits_per_param"], 9),
            bits_breakdown(result), f"{row['codes_used']}/{row['codes_total']}", round(row["code_entropy_bits"], 3),
            row["bytes"], _significant(row["mse"]),
        ])
    return _table(rows, METRIC_COLUMNS)


def _step_rows(x, results) -> pd.DataFrame:
    if x.numel() > STEP_TABLE_LIMIT:
        return _table([], STEP_COLUMNS)
    rows = []
    for result in results:
        for row in step_table(x, result):
            zero_point = row["zero_point"]
            rows.append([
                row["scheme"], row["index"], _significant(row["value"]), row["block"],
                f"{_constant_name(result.spec.scheme)} = {_significant(row['scale'])}",
                None if zero_point is None else _significant(zero_point), _significant(row["scaled"]), row["code"],
                _significant(row["dequantized"]), _significant(row["error"]),
            ])
    return _table(rows, STEP_COLUMNS)


LAB_OUTPUT_COUNT = 10  # summary, metrics, steps, five figures, formulas, code


@user_errors
def run_quantize(values: dict, progress=gr.Progress()):
    """One lab run. A bad input (a ValueError) comes back as one message in the summary, everything else skipped."""
    try:
        return _quantize(values, progress)
    except ValueError as err:
        return (t("quant.err.bad_input", message=str(err)), *[gr.skip()] * (LAB_OUTPUT_COUNT - 1))


@user_errors
def quantize_api(values: dict, progress=gr.Progress()):
    """The `/quantize` endpoint: the same outputs, and a bad input is an error (an API client gets the message
    as its exception, not as a summary line beside skipped outputs)."""
    return _quantize(values, progress)


def _quantize(values: dict, progress):
    specs = specs_from(values)
    block_index = parse_whole_number(values["block"], t("quant.label.block"))
    x = _source_values(values, progress)
    results = [
        quantize(x, spec.scheme, bits=spec.bits, blocksize=spec.blocksize, double_quant=spec.double_quant,
                 per_row=spec.per_row)
        for spec in specs
    ]
    block = None if block_index < 0 else block_index
    figures = lab_figures(x, results, block)
    shape = "×".join(str(side) for side in x.shape)
    block_length = min(results[0].block_length, x.numel())
    summary = t("quant.summary", count=x.numel(), shape=shape, blocks=results[0].block_count, length=block_length)
    if values["source"] == "weights":
        layer = values["layer"] or next(iter(models.linear_layers(load_with_progress(values["model_id"], None).model)))
        summary = t("quant.summary_weights", summary=summary, layer=layer,
                    origin=models.weights_origin(values["model_id"], short=True))
    return (
        summary, _metric_rows(x, results), _step_rows(x, results), figures["histogram"], figures["transfer"],
        figures["error_histogram"], figures["error_vs_value"], figures["code_usage"],
        formulas_markdown(x, results, block), snippet(values),
    )


def apply_example(name: str | None):
    """The form's new values for a named example (every lab setting), and what to look at."""
    if not name:
        return [gr.skip()] * (len(EXAMPLE_SETTINGS) + 1)
    example = quant_examples.get(name)
    values = example.values
    values = {**values, "model_id": values["model_id"] or models.default_model_id()}
    return (*[gr.skip() if values[setting] is None else values[setting] for setting in EXAMPLE_SETTINGS],
            t(f"quant.example.{name}.look"))


EXAMPLE_SETTINGS = [name for name in quant_examples.BASE]


@user_errors
def list_layers(values: dict, progress=gr.Progress()):
    if values["source"] != "weights":
        return gr.skip()
    loaded = load_with_progress(values["model_id"], progress)
    names = list(models.linear_layers(loaded.model))
    return gr.update(choices=names, value=values["layer"] if values["layer"] in names else names[0])


@user_errors
def run_model(values: dict, progress=gr.Progress()):
    specs = specs_from(values)
    loaded = load_with_progress(values["model_id"], progress)
    rows = []
    for done, total, layer_rows in quant_model.layer_errors(
        loaded.model, specs, rows_per_layer=MODEL_SAMPLE_ROWS if values["sample_rows"] else None
    ):
        rows += layer_rows
        progress(done / total, desc=t("quant.progress.layer", done=done, total=total))
    summary = []
    for spec in specs:
        mine = [row for row in rows if row["scheme"] == spec.label]
        worst = max(mine, key=lambda row: row["relative_rmse"])
        summary.append([
            spec.label, _significant(sum(row["relative_rmse"] for row in mine) / len(mine), 4), worst["layer"],
            _significant(worst["relative_rmse"], 4), round(sum(row["bits_per_param"] for row in mine) / len(mine), 4),
        ])
    origin = models.weights_origin(values["model_id"], short=True)
    memory = [
        [t("quant.format.fp32_origin", origin=origin) if label_key == "quant.format.fp32" else row["format"],
         round(row["linear_bits_per_param"], 4), round(row["linear_mb"], 2), round(row["other_mb"], 2),
         round(row["total_mb"], 2), f"{row['vs_fp32']:.1%}"]
        for (label_key, _, _), row in zip(quant_model.MEMORY_FORMATS, quant_model.model_memory(loaded.model))
    ]
    return (gr.update(value=layer_error_figure(rows), visible=True), gr.update(value=_table(summary, LAYER_SUMMARY_COLUMNS),
                                                label=t("quant.layer_table_origin", origin=origin)),
            _table(memory, MEMORY_COLUMNS), t("quant.origin_note", origin=models.weights_origin(values["model_id"])))


def origin_note(model_id: str):
    return t("quant.origin_note", origin=models.weights_origin(model_id))


Q4_1_DEMO = {"schemes": [scheme for scheme in ("q4_1", "zeropoint", "nf4") if scheme in SCHEMES], "bits": 4,
             "granularity": "block", "blocksize": "32", "double_quant": False}


def create_quant_tab(demo: gr.Blocks) -> Form:
    """The tab; returns its settings form (what a link, a lesson step and Reset set)."""
    gr.Markdown(t("quant.intro"))
    form = Form()
    with gr.Row():
        with gr.Column(scale=1, min_width=320):
            example_picker = gr.Dropdown([(t(f"quant.example.{example.name}"), example.name)
                                          for example in quant_examples.available()],
                                         value=None, label=t("quant.examples"), info=t("quant.examples_info"),
                                         elem_id="quant-examples")
            gr.Markdown(t("quant.inputs"))
            form["source"] = gr.Radio([(t(f"quant.source.{name}"), name) for name in SOURCES], value="synthetic",
                                      label=t("quant.source"), elem_id="quant-source")
            with gr.Group(visible=True) as synthetic_group:
                form["distribution"] = gr.Dropdown([(t(f"quant.distribution.{name}"), name) for name in DISTRIBUTIONS],
                                                   value="normal", label=t("quant.distribution"),
                                                   elem_id="quant-distribution")
                with gr.Row():
                    form["size"] = gr.Number(65536, label=t("quant.size"), info=t("quant.size_info"), precision=0,
                                             elem_id="quant-size")
                    form["seed"] = gr.Number(0, label=t("quant.seed"), precision=0, elem_id="quant-seed")
                with gr.Row(visible=False, elem_id="quant-outliers") as outlier_row:  # only for "normal+outliers"
                    form["outlier_fraction"] = gr.Number(0.01, label=t("quant.outlier_fraction"), elem_id="quant-outlier-fraction")
                    form["outlier_magnitude"] = gr.Number(10.0, label=t("quant.outlier_magnitude"),
                                                          elem_id="quant-outlier-magnitude")
            with gr.Group(visible=False) as weights_group:
                form["model_id"] = model_dropdown(elem_id="quant-model")
                form["layer"] = gr.Dropdown([], value=None, label=t("quant.layer"), info=t("quant.layer_info"),
                                            allow_custom_value=True, elem_id="quant-layer")
                weights_note = gr.Markdown(origin_note(form["model_id"].value), elem_id="quant-weights-origin")
            with gr.Group(visible=False) as typed_group:
                form["numbers"] = gr.Textbox(t("quant.numbers_default"), label=t("quant.numbers"), info=t("quant.numbers_info"),
                                             lines=3, elem_id="quant-numbers")
            gr.Markdown(t("quant.schemes_heading"))
            form["schemes"] = gr.CheckboxGroup([(scheme_label(name), name) for name in SCHEMES],
                                               value=[name for name in DEFAULT_SCHEMES if name in SCHEMES],
                                               label=t("quant.schemes"), elem_id="quant-schemes")
            fixed_note = gr.Markdown(t("formats.fixed_note"), visible=False, elem_id="quant-fixed-note")
            form["bits"] = gr.Slider(2, 8, value=4, step=1, label=t("quant.bits"), elem_id="quant-bits")
            form["granularity"] = gr.Radio([(t(f"quant.granularity.{name}"), name) for name in GRANULARITIES], value="block",
                                           label=t("quant.granularity"), info=t("quant.granularity_info"),
                                           elem_id="quant-granularity")
            form["blocksize"] = gr.Dropdown([str(size) for size in BLOCKSIZES], value="64", label=t("quant.blocksize"),
                                            info=t("quant.blocksize_info"), allow_custom_value=True, elem_id="quant-blocksize")
            form["double_quant"] = gr.Checkbox(False, label=t("quant.double_quant"), elem_id="quant-double-quant")
            form["block"] = gr.Number(-1, label=t("quant.block"), info=t("quant.block_info"), precision=0, elem_id="quant-block")
            run = gr.Button(t("quant.run"), variant="primary", elem_id="quant-run")
        with gr.Column(scale=3):
            example_note = gr.Markdown("", elem_id="quant-example-note")
            summary = gr.Markdown(t("quant.summary_empty"), elem_id="quant-summary")
            metrics_table = gr.Dataframe(headers=columns(METRIC_COLUMNS), label=t("quant.metrics"), interactive=False,
                                         wrap=False, elem_id="quant-metrics")
            steps_table = gr.Dataframe(headers=columns(STEP_COLUMNS), label=t("quant.steps"), interactive=False,
                                       wrap=False, elem_id="quant-steps", max_height=260, visible=False)
            with gr.Row(elem_id="quant-plots"):
                with gr.Column():
                    histogram = gr.Plot(elem_id="quant-histogram", show_label=False)
                    error_histogram = gr.Plot(elem_id="quant-error-histogram", show_label=False)
                    error_vs_value = gr.Plot(elem_id="quant-error-vs-value", show_label=False)
                with gr.Column():
                    with gr.Group(elem_id="quant-formulas-box"):
                        gr.Markdown(t("quant.formulas"))
                        formulas = gr.Markdown(t("quant.formulas_empty"), elem_id="quant-formulas")
                    transfer = gr.Plot(elem_id="quant-transfer", show_label=False)
                    code_usage = gr.Plot(elem_id="quant-code-usage", show_label=False)
            with gr.Accordion(t("quant.code"), open=False, elem_id="quant-code"):
                code = gr.Code("", language="python", interactive=False, elem_id="quant-snippet")
    with gr.Accordion(t("quant.derivation"), open=False, elem_id="quant-derivation"):
        gr.Markdown(t("quant.derivation_text"))
        derivation = gr.Plot(show_label=False, elem_id="quant-nf4-derivation")
    with gr.Accordion(t("quant.q4_1_lesson"), open=False, elem_id="quant-q4-1-lesson"):
        gr.Markdown(t("quant.q4_1_lesson_text"))
        q4_1_button = gr.Button(t("quant.q4_1_run"), elem_id="quant-q4-1-run", visible="q4_1" in SCHEMES)
    with gr.Group(elem_id="quant-model-view"):
        gr.Markdown(t("quant.model_heading"))
        gr.Markdown(t("quant.model_text"))
        model_origin = gr.Markdown(origin_note(form["model_id"].value), elem_id="quant-model-origin")
        with gr.Row():
            form["sample_rows"] = gr.Checkbox(True, label=t("quant.sample_rows"), elem_id="quant-sample-rows")
            run_model_button = gr.Button(t("quant.run_model"), elem_id="quant-run-model")
        layer_errors_plot = gr.Plot(elem_id="quant-layer-errors", show_label=False, visible=False)  # until a run
        layer_summary = gr.Dataframe(headers=columns(LAYER_SUMMARY_COLUMNS), label=t("quant.layer_table"), interactive=False,
                                     wrap=False, elem_id="quant-layer-summary")
        memory_table = gr.Dataframe(headers=columns(MEMORY_COLUMNS), label=t("quant.memory"), interactive=False,
                                    wrap=False, elem_id="quant-memory")

    def show_source(choice):
        return (gr.update(visible=choice == "synthetic"), gr.update(visible=choice == "weights"),
                gr.update(visible=choice == "typed"), gr.update(visible=choice == "typed"))

    form["source"].change(show_source, form["source"], [synthetic_group, weights_group, typed_group, steps_table],
                          queue=False, api_visibility="private")
    form["distribution"].change(lambda choice: gr.update(visible=choice == "normal+outliers"), form["distribution"],
                                outlier_row, queue=False, api_visibility="private")
    form["model_id"].change(user_errors(lambda model_id: (origin_note(model_id),) * 2), form["model_id"],
                            [weights_note, model_origin], queue=False, api_visibility="private")
    form["schemes"].change(lambda chosen: gr.update(visible=any(name in FIXED_FORMATS for name in chosen or [])),
                           form["schemes"], fixed_note, queue=False, api_visibility="private")
    layer_names = ["source", "model_id", "layer"]
    # .input: a user's choice only (a language switch redraws these widgets' labels; the chosen layer stays)
    gr.on([form["source"].input, form["model_id"].input], form.handler(list_layers, layer_names),
          form.inputs(layer_names), form["layer"], api_name="quant_layers", concurrency_limit=8)
    # a page opened with a link to a model's weights lists that model's layers (nothing to do otherwise)
    demo.load(form.handler(list_layers, layer_names), form.inputs(layer_names), form["layer"],
              api_visibility="private", concurrency_limit=8)
    lab_names = [name for name in form.widgets if name != "sample_rows"]
    outputs = [summary, metrics_table, steps_table, histogram, transfer, error_histogram, error_vs_value, code_usage,
               formulas, code]
    # The page's Run shows a bad input as one line in the summary; the API's /quantize raises it instead.
    run.click(form.handler(run_quantize, lab_names), form.inputs(lab_names), outputs, api_name="quantize_view",
              api_visibility="private", concurrency_limit=8, concurrency_id="quantize")
    gr.Button(visible=False, elem_id="quant-run-api").click(
        form.handler(quantize_api, lab_names), form.inputs(lab_names), outputs, api_name="quantize",
        concurrency_limit=8, concurrency_id="quantize")
    # An example sets the whole form (a user's pick: .input), then runs the lab with it.
    example_picker.input(apply_example, example_picker, [*form.inputs(EXAMPLE_SETTINGS), example_note],
                         queue=False, api_visibility="private").then(
        form.handler(run_quantize, lab_names), form.inputs(lab_names), outputs, api_visibility="private",
        concurrency_id="quantize")
    model_names = ["model_id", "schemes", "bits", "granularity", "blocksize", "double_quant", "sample_rows"]
    model_outputs = [layer_errors_plot, layer_summary, memory_table, model_origin]
    run_model_button.click(form.handler(run_model, model_names), form.inputs(model_names), model_outputs,
                           api_name="quantize_model", concurrency_limit=2, concurrency_id="quantize_model")
    demo_names = list(Q4_1_DEMO)
    q4_1_button.click(lambda: tuple(Q4_1_DEMO.values()), None, form.inputs(demo_names), queue=False,
                      api_visibility="private").then(
        form.handler(run_model, model_names), form.inputs(model_names), model_outputs, api_visibility="private",
        concurrency_id="quantize_model")
    # Run once with the defaults when a page opens, so the tab never starts empty.
    demo.load(form.handler(run_quantize, lab_names), form.inputs(lab_names), outputs, api_visibility="private",
              concurrency_id="quantize")
    demo.load(nf4_derivation_figure, None, derivation, api_visibility="private", queue=False)
    return form

"""Adapter vs LoRA tab: each row of the comparison table, drawn, counted and measured.

Quick event (every change of a setting): settings → the two forward-path drawings, the parameter table
with the LoRA share of one W, the sweep chart and the equivalent peft code (config only, nothing loaded); a
setting that cannot be counted (half typed) is one line above them, which keep their last good state. The
API endpoint `adapter_counts` answers the same, with a bad setting as an error. "Examples from the notes"
sets the whole form to one of the notes' examples (playground/adapters/examples.py). Long event
(`adapter_vs_lora`, one at a time, stoppable): builds the four variants from copies of the shared model, runs
the numerical checks, then measures latency, interleaved, with a verdict per variant.
"""

from __future__ import annotations

import collections
import functools
import gc
import queue
import threading
import time

import gradio as gr
import pandas as pd

from playground import i18n, models, zerogpu
from playground.adapters import plots as adapter_plots
from playground import adapters as A
from playground.adapters.examples import DEFAULTS, EXAMPLES
from playground.adapters.latency import BEFORE_DONE, LatencyConfig, default_latency_config, measure_latency
from playground.adapters.snippet import snippet
from playground.checks import config_from_form, parse_number, parse_whole_number
from playground.ui import language
from playground.ui.common import Form, model_dropdown, user_errors
from playground.ui.strings import t

SHAPE_FIELDS = A.CUSTOM_SHAPE_FIELDS
# The tables' columns, as text keys; the headers are their texts in the current language (param_columns() …).
PARAM_COLUMN_KEYS = ("method", "module", "formula", "per_layer", "layers", "trainable", "share", "share_of_w",
                     "fp32_bytes", "bf16_bytes")
CHECK_COLUMN_KEYS = ("check", "max_diff", "mean_diff", "top1", "expected", "passed")
LATENCY_COLUMN_KEYS = ("variant", "batch", "seq", "median", "iqr", "range", "repeats", "vs_base", "slower_in",
                       "verdict")
# Fixed column widths (px): a narrow screen scrolls the table sideways instead of squeezing a column below its
# longest word (a percentage width stacked the numbers one digit per line at 390 px).
PARAM_COLUMN_PX = ("150px", "170px", "230px", "100px", "90px", "110px", "100px", "100px", "110px", "110px")
CHECK_COLUMN_PX = ("280px", "130px", "130px", "100px", "380px", "90px")
LATENCY_COLUMN_PX = ("190px", "90px", "90px", "100px", "130px", "130px", "100px", "190px", "100px", "200px")


def _columns(keys) -> list[str]:
    return [t(f"adapters.col.{key}") for key in keys]


def param_columns() -> list[str]:
    return _columns(PARAM_COLUMN_KEYS)


def check_columns() -> list[str]:
    return _columns(CHECK_COLUMN_KEYS)


def latency_columns() -> list[str]:
    return _columns(LATENCY_COLUMN_KEYS)


# --------------------------------------------------------------------------- input parsing



@functools.lru_cache(maxsize=8)
def _model_config(model_id: str):
    return models.model_config(model_id)  # config.json only: a Hub id's weights are not downloaded to count


def _model_id(values: dict) -> str:
    return (values["model_id"] or "").strip() or models.default_model_id()


def _config(values: dict):
    """The model config to count on: the loaded model's, or a Llama-style one from the custom shape."""
    if values["source"] == "custom":
        return A.custom_config_from_form(values)
    return _model_config(_model_id(values))


# --------------------------------------------------------------------------- tables

def percent(value: float) -> str:
    """A share as the page writes it: two decimals from 0.1% up ("0.78%"), else three significant digits."""
    return f"{value:.2f}%" if value >= 0.1 else f"{value:.3g}%"


def param_frame(rows: list[A.ParamRow]) -> pd.DataFrame:
    return pd.DataFrame(
        [[r.method, r.module, r.formula, r.per_layer, r.layers, r.trainable, round(r.share_of_base, 4),
          "—" if r.share_of_weight is None else percent(r.share_of_weight), r.bytes_fp32, r.bytes_bf16]
         for r in rows],
        columns=param_columns(),
    )


def share_markdown(rows: list[A.ParamRow], config, settings: A.MethodSettings) -> str:
    """The LoRA share of one W beside the share of the model, then the adapters' and prompt tuning's shares."""
    base = A.base_param_count(config)
    layers = A.num_layers(config)
    lora = [row for row in rows if row.method == "LoRA"]
    first, total = lora[0], lora[-1]
    projection = next(p for p in A.block_projections(config) if p.name == first.module)
    adapter_rows = [row for row in rows if row.method not in ("LoRA", rows[-1].method)]
    lines = [
        t("adapters.share.lora_one", module=first.module, r=settings.r, d_in=projection.d_in,
          d_out=projection.d_out, count=first.per_layer, weights=first.weight_params,
          share=percent(first.share_of_weight), share_model=percent(first.share_of_base), layers=layers),
        t("adapters.share.lora_all", modules=", ".join(row.module for row in lora[:-1]), layers=layers,
          trainable=total.trainable, share_w=percent(total.share_of_weight), share_model=percent(total.share_of_base),
          base=base),
        t("adapters.share.adapter", placement=settings.placement, per=adapter_rows[0].per_layer,
          total=adapter_rows[-1].trainable, share_model=percent(adapter_rows[-1].share_of_base)),
        t("adapters.share.prompt", total=rows[-1].trainable, share_model=percent(rows[-1].share_of_base)),
    ]
    return "\n\n".join(lines)


def checks_frame(checks: list[A.Check]) -> pd.DataFrame:
    return pd.DataFrame(
        [[c.name, f"{c.max_abs_diff:.3g}", f"{c.mean_abs_diff:.3g}", f"{100 * c.top1_agreement:.0f}%", c.expected,
          t("adapters.yes") if c.passed else t("adapters.no")] for c in checks],
        columns=check_columns(),
    )


def latency_frame(rows) -> pd.DataFrame:
    def versus(r) -> str:
        if r.variant == "base":
            return "—"
        return f"{r.overhead_pct:+.1f}% ({r.verdict.low_pct:+.1f}…{r.verdict.high_pct:+.1f})"

    return pd.DataFrame(
        [[adapter_plots.variant_label(r.variant), r.batch, r.seq_len, round(r.median_ms, 2),
          f"{r.q1_ms:.2f}–{r.q3_ms:.2f}", f"{r.min_ms:.2f}–{r.max_ms:.2f}", r.repeats, versus(r),
          "—" if r.variant == "base" else f"{r.verdict.slower_in}/{r.verdict.pairs}", r.verdict.text()]
         for r in rows],
        columns=latency_columns(),
    )


def verdict_markdown(rows) -> str:
    """One line per setting: each variant's verdict against the base, then the rule the verdicts follow."""
    if not rows:
        return "\n\n".join([t("adapters.verdict.heading"), t("adapters.verdict.none")])
    settings = []
    for batch, seq_len in dict.fromkeys((r.batch, r.seq_len) for r in rows):
        items = [t("adapters.verdict.item", variant=adapter_plots.variant_label(r.variant), verdict=r.verdict.text())
                 for r in rows if (r.batch, r.seq_len) == (batch, seq_len) and r.variant != "base"]
        settings.append("- " + t("adapters.verdict.setting", batch=batch, seq=seq_len, verdicts=" · ".join(items)))
    return "\n\n".join([t("adapters.verdict.heading"), "\n".join(settings), t("adapters.verdict.rule")])


# --------------------------------------------------------------------------- handlers

@user_errors
def compare_methods(values: dict):
    """Settings → (adapter path figure, LoRA path figure, parameter table, share of one W and of the model,
    sweep figure, equivalent code), from the config alone. A setting that cannot be counted raises."""
    config = _config(values)
    settings = config_from_form(A.MethodSettings, values)
    table = A.parameter_table(config, settings)
    layer = parse_whole_number(values["layer"], t("adapters.layer"))
    adapter_path, lora_path = adapter_plots.forward_paths_figures(config, settings, layer)
    # parameter_table's order: LoRA's rows and total, the adapters' rows and total, prompt tuning's one row
    lora_total = next(row for row in table if row.method == "LoRA" and row.module == t("adapters.row.total"))
    adapter_total, prompt_total = table[-2], table[-1]
    current = {
        f"LoRA r={settings.r}": (settings.r, lora_total.trainable),
        t("adapters.current.adapter", m=settings.bottleneck): (settings.bottleneck, adapter_total.trainable),
        t("adapters.current.prompt", n=settings.prompt_tokens): (settings.prompt_tokens, prompt_total.trainable),
    }
    sweep = adapter_plots.sweep_figure(A.sweep(config, settings), A.base_param_count(config), current)
    return (adapter_path, lora_path, param_frame(table), share_markdown(table, config, settings), sweep,
            snippet(values, config))


QUICK_OUTPUTS = 6  # what compare_methods returns


@user_errors
def quick_counts(values: dict):
    """The page's quick event: compare_methods' views and an empty notice; a setting that cannot be counted
    (a half-typed number, say) is the notice, one line, and every view keeps its last good state."""
    try:
        return ("", *compare_methods.__wrapped__(values))
    except ValueError as err:
        return (t("adapters.notice", message=str(err).rstrip(".")), *[gr.skip()] * QUICK_OUTPUTS)


def apply_example(name: str | None):
    """Examples from the notes: the note on what to look at, then every form setting (FORM_ORDER), then the
    custom shape's visibility. The settings' change events count them again."""
    if not name:
        return (gr.skip(),) * (2 + len(FORM_ORDER))
    example = EXAMPLES[name]
    values = example.values(models.default_model_id())
    return (t(example.note_key), *[values[key] for key in FORM_ORDER],
            gr.update(visible=values["source"] == "custom"))


FORM_ORDER = tuple(DEFAULTS)  # the widgets an example sets, in the order apply_example returns them


PHASES = ("idle", "loading", "building", "measuring", "done", "stopped", "failed")
REFRESH_S = 1.0  # while a step reports nothing, the status still refreshes (its elapsed time) this often


def _status(phase: str, message: str = "", elapsed: float | None = None, fraction: float | None = None,
            of: str = "", budget: float | None = None) -> str:
    """The latency run's status line: the phase first (machine-readable as class phase-<name>), then the
    share of the phase's work done, what is happening now and the time since the click.

    The percentage is floored, so it reads 100% only once its work is done."""
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}")
    parts = [f'<strong class="adapters-phase phase-{phase}">{t(f"adapters.phase_{phase}")}</strong>']
    if fraction is not None:
        fraction = min(max(fraction, 0.0), 1.0)
        percent = int(100 * fraction + 1e-9)  # floored (the epsilon keeps 0.29 at 29, not 28)
        filled = percent // 5
        parts.append(f"`{'▓' * filled}{'░' * (20 - filled)}` {percent}% {of}".rstrip())
    if message:
        parts.append(message)
    if elapsed is not None:
        parts.append(t("adapters.elapsed", elapsed=elapsed))
    if budget is not None:
        parts.append(t("adapters.budget_note", budget=budget))
    return " · ".join(parts)


_FINISHED = object()


class Stopped(Exception):
    """The session's Stop was pressed: the run ends at once with the "stopped" phase."""


class StopFlags:
    """One stop flag per session's latency run, so that Stop is answered by the run itself.

    Cancelling a running generator from outside (Gradio's `cancels`) races its last update: a "measuring"
    line already on its way can land after the "stopped" one and stay on screen. Instead, a click on
    Measure arms a fresh flag for its session (before the run is queued), Stop sets it, and the run, which
    checks it between steps (at least every REFRESH_S), yields "stopped" as its own last update and returns.
    A flag set while the run still waits in Gradio's queue stops it as soon as it starts. Flags of runs
    that never started (a tab closed while queued) are dropped oldest first past `limit`."""

    def __init__(self, limit: int = 1024) -> None:
        self.limit = limit
        self._flags: collections.OrderedDict[str, threading.Event] = collections.OrderedDict()
        self._lock = threading.Lock()

    def arm(self, key: str) -> threading.Event:
        with self._lock:
            flag = self._flags[key] = threading.Event()
            self._flags.move_to_end(key)
            while len(self._flags) > self.limit:
                self._flags.popitem(last=False)
            return flag

    def take(self, key: str) -> threading.Event:
        """The flag armed for this session's run (an API call that armed none gets a fresh one)."""
        with self._lock:
            flag = self._flags.get(key)
        return flag if flag is not None else self.arm(key)

    def stop(self, key: str) -> bool:
        """Set the session's flag; False when it has no run armed."""
        with self._lock:
            flag = self._flags.get(key)
        if flag is None:
            return False
        flag.set()
        return True

    def release(self, key: str, flag: threading.Event) -> None:
        with self._lock:
            if self._flags.get(key) is flag:
                del self._flags[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._flags)


STOP_FLAGS = StopFlags()


def _session_key(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "no-session"


def _in_background(name: str, work, show, stop: threading.Event):
    """Generator: runs `work(report)` on its own thread and yields `show(fraction, message)` for each
    progress report, and again every REFRESH_S while it reports nothing; returns what `work` returns
    (raises what it raises), or raises Stopped once `stop` is set.

    A generator cannot yield from inside a callback, so the callback queues the reports and this
    generator, on the handler's side, waits for them. If the run is stopped, the thread still ends
    its step (a model load then lands in the shared cache for the next run)."""
    reports: queue.SimpleQueue = queue.SimpleQueue()
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = work(lambda fraction, message: reports.put((fraction, message)))
        except BaseException as err:  # noqa: BLE001 - handed to the generator, raised there
            outcome["error"] = err
        finally:
            reports.put(_FINISHED)

    threading.Thread(target=i18n.bound(run), name=name, daemon=True).start()  # reports in the caller's language
    fraction, message = 0.0, ""
    while True:
        try:
            report = reports.get(timeout=REFRESH_S)
        except queue.Empty:
            report = None
        if stop.is_set():
            raise Stopped
        if report is None:
            yield show(fraction, message)  # nothing new: refresh the elapsed time
            continue
        if report is _FINISHED:
            break
        fraction, message = report
        yield show(fraction, message)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def arm_stop(request: gr.Request) -> None:
    """Measure's first, unqueued step: a fresh stop flag for the run about to be queued."""
    STOP_FLAGS.arm(_session_key(request))


def _blank(table) -> bool:
    """A table nothing has filled yet (what Gradio sends for an empty one: no rows, or one row of blanks)."""
    if table is None:
        return True
    if isinstance(table, pd.DataFrame):
        return all(str(value).strip() in ("", "nan", "None") for value in table.to_numpy().ravel())
    return False


def redraw_idle(status: str | None, checks, latency):
    """After a language switch, while no run has started on the page: the idle status line and the empty
    tables' headers in the new language. Once a run has started they are the run's, in the language it ran in."""
    if 'class="adapters-phase phase-idle"' not in (status or ""):
        return gr.skip(), gr.skip(), gr.skip()
    return (_status("idle", t("adapters.status_idle")),
            pd.DataFrame(columns=check_columns()) if _blank(checks) else gr.skip(),
            pd.DataFrame(columns=latency_columns()) if _blank(latency) else gr.skip())


def stop_latency(request: gr.Request):
    """Stop: the session's run sees its flag and shows "stopped" itself; nothing to change here."""
    STOP_FLAGS.stop(_session_key(request))
    return gr.skip()


@user_errors
def measure_methods(values: dict, request: gr.Request = None):
    """Generator: validates, loads the model, builds the variants, runs the checks, then measures latency,
    yielding a status between steps and while each one runs.

    Yields (status, checks table, latency table, latency figure, parameter table, verdict). The status names the
    phase: loading (with the load's progress; the first use of the bundled model converts its GGUF), building
    (copies and checks), measuring (percent of the forward passes done), then done; Stop shows stopped, and an
    error shows failed before its message."""
    stop = STOP_FLAGS.take(_session_key(request))
    try:
        yield from _measure(values, stop)
    finally:
        STOP_FLAGS.release(_session_key(request), stop)


def _update(status, checks=None, latency=None, figure=None, params=None, verdict=None) -> tuple:
    """One update of the run's six outputs (status, checks, latency table, latency figure, parameter table,
    verdict); None leaves an output as it is."""
    return tuple(gr.skip() if value is None else value for value in (status, checks, latency, figure, params, verdict))


def _measure(values: dict, stop: threading.Event):
    if values["source"] == "custom":
        raise ValueError(t("adapters.custom_no_latency"))
    settings = config_from_form(A.MethodSettings, values)
    model_id = _model_id(values)
    device = models.default_device()
    latency_config = default_latency_config(device)
    budget = parse_number(values["budget"], t("adapters.label.budget"))
    latency_config = LatencyConfig(latency_config.batch_sizes, latency_config.seq_lens, budget,
                                   latency_config.min_repeats, latency_config.max_repeats, latency_config.threads)
    started = time.perf_counter()

    def elapsed() -> float:
        return time.perf_counter() - started

    load = {"fraction": 0.0, "message": t("adapters.loading", model_id=model_id)}

    def loading(fraction: float, message: str):
        # never backwards across the two load steps, and below 100% until load_model has returned
        load["fraction"] = max(load["fraction"], min(fraction, 0.99))
        load["message"] = message or load["message"]
        return _update(_status("loading", load["message"], elapsed(), load["fraction"], t("adapters.of_load")))

    def building(_fraction: float, _message: str):
        return _update(_status("building", t("adapters.building"), elapsed()))

    yield loading(0.0, "")
    base = None
    variants = {}
    try:
        def folder_and_config(report):
            if model_id in (models.BUNDLED_ID, models.TINY_ID):  # built on first use (the GGUF conversion)
                models.model_dir(model_id, report)
            return _model_config(model_id)

        # the config before the weights, so the settings are checked before the load
        if stop.is_set():  # stopped while it waited in the queue
            raise Stopped
        config = yield from _in_background("adapters-config", folder_and_config, loading, stop)
        settings.check_for(config)
        params = param_frame(A.parameter_table(config, settings))
        if zerogpu.ON_ZEROGPU:  # load, build and measure inside one spaces.GPU call (the GPU exists only there)
            yield _update(_status("building", t("adapters.building"), elapsed()), params=params)
            events = zerogpu.iterate_on_gpu(zerogpu.latency, model_id, settings, latency_config,
                                            t("adapters.sample_text"), i18n.language(),
                                            estimate_s=latency_config.budget_s, stop=stop)
            checks_table = checks_frame(next(events))
        else:
            loaded = yield from _in_background("adapters-load", lambda report: models.load_model(model_id, report),
                                               loading, stop)
            base = A.model_on(loaded.model, device)
            input_ids = loaded.tokenizer(t("adapters.sample_text"), return_tensors="pt").input_ids.to(device)  # (1, T)
            yield _update(_status("building", t("adapters.building"), elapsed()), params=params)
            variants, checks = yield from _in_background(
                "adapters-build", lambda _report: A.build_variants(base, settings, input_ids), building, stop)
            checks_table = checks_frame(checks)
            events = measure_latency(variants, latency_config)
        yield _update(_status("measuring", t("adapters.checks_done"), elapsed(), 0.0, t("adapters.of_passes"),
                              latency_config.budget_s), checks_table)
        shown = (0, 0)  # (rows, repeats) last drawn: the tables are drawn again once per finished repeat
        for event in events:
            if stop.is_set():
                raise Stopped
            if event.done:  # the last yield carries every table, for API callers
                yield _update(_status("done", event.message, elapsed(), event.fraction, t("adapters.of_passes")),
                              checks_table, latency_frame(event.rows), adapter_plots.latency_figure(event.rows),
                              params, verdict_markdown(event.rows))
                continue
            status = _status("measuring", event.message, elapsed(), min(event.fraction, BEFORE_DONE),
                             t("adapters.of_passes"), latency_config.budget_s)
            if event.rows and (len(event.rows), event.repeats_done) != shown:
                shown = (len(event.rows), event.repeats_done)
                yield _update(status, latency=latency_frame(event.rows),
                              figure=adapter_plots.latency_figure(event.rows))
            else:
                yield _update(status)
    except Stopped:  # the run's own last update: nothing of it can land after this line
        yield _update(_status("stopped", t("adapters.stopped_detail"), elapsed()))
    except Exception as err:  # noqa: BLE001 - shown in the status, then raised for the message
        detail = str(err) if isinstance(err, ValueError) else t("adapters.failed_detail")
        yield _update(_status("failed", detail, elapsed()))
        raise
    finally:
        variants.clear()
        base = None  # noqa: F841 - the copies and the moved model go before the collection
        gc.collect()


# --------------------------------------------------------------------------- layout

def create_adapters_tab() -> Form:
    """The tab; returns its settings form (what a link, a lesson step and Reset set)."""
    gr.Markdown(t("adapters.intro"))
    form = Form()
    d = DEFAULTS
    with gr.Row():
        with gr.Column(scale=1, min_width=300):
            example = gr.Dropdown([(t(e.title_key), e.name) for e in EXAMPLES.values()], value=None,
                                  label=t("adapters.examples"), info=t("adapters.examples_info"),
                                  elem_id="adapters-example")
            example_note = gr.Markdown("", elem_id="adapters-example-note")
            form["source"] = gr.Radio(
                [(t("adapters.source_loaded"), "loaded"), (t("adapters.source_custom"), "custom")],
                value=d["source"], label=t("adapters.source"), elem_id="adapters-source")
            form["model_id"] = model_dropdown(elem_id="adapters-model")
            with gr.Row(visible=d["source"] == "custom") as custom_shape:
                for name, elem_id in (("d_model", "adapters-d-model"), ("d_ff", "adapters-d-ff"),
                                      ("layers", "adapters-layers"), ("heads", "adapters-heads"),
                                      ("kv_heads", "adapters-kv-heads")):
                    form[name] = gr.Number(d[name], label=t(f"adapters.{name}"), precision=0, min_width=90,
                                           elem_id=elem_id)
            gr.Markdown(t("adapters.lora_heading"))
            with gr.Row():
                form["r"] = gr.Number(d["r"], label=t("adapters.rank"), precision=0, elem_id="adapters-rank")
                form["alpha"] = gr.Number(d["alpha"], label=t("adapters.alpha"), elem_id="adapters-alpha")
            form["dropout"] = gr.Slider(0, 0.5, value=d["dropout"], step=0.05, label=t("adapters.dropout"),
                                        elem_id="adapters-dropout")
            form["use_rslora"] = gr.Checkbox(d["use_rslora"], label=t("adapters.rslora"), elem_id="adapters-rslora")
            form["target_modules"] = gr.CheckboxGroup(list(A.LLAMA_TARGETS), value=list(d["target_modules"]),
                                                      label=t("adapters.targets"), elem_id="adapters-targets")
            gr.Markdown(t("adapters.adapter_heading"))
            with gr.Row():
                form["bottleneck"] = gr.Number(d["bottleneck"], label=t("adapters.bottleneck"), precision=0,
                                               info=t("adapters.bottleneck_info"), elem_id="adapters-bottleneck")
                form["placement"] = gr.Radio(
                    [(t("adapters.placement_houlsby"), "houlsby"), (t("adapters.placement_pfeiffer"), "pfeiffer")],
                    value=d["placement"], label=t("adapters.placement"), elem_id="adapters-placement",
                )
            gr.Markdown(t("adapters.prompt_heading"))
            with gr.Row():
                form["prompt_tokens"] = gr.Number(d["prompt_tokens"], label=t("adapters.prompt_tokens"), precision=0,
                                                  elem_id="adapters-prompt-tokens")
                form["layer"] = gr.Number(d["layer"], label=t("adapters.layer"), precision=0, elem_id="adapters-layer")
        with gr.Column(scale=3):
            notice = gr.Markdown("", elem_id="adapters-notice")
            gr.Markdown(t("adapters.params_heading"))
            share = gr.Markdown("", elem_id="adapters-share")
            params = gr.Dataframe(headers=param_columns(), label=t("adapters.params_label"), show_label=False,
                                  interactive=False, wrap=True, max_height=800, elem_id="adapters-params",
                                  column_widths=list(PARAM_COLUMN_PX))
            with gr.Accordion(t("adapters.code_heading"), open=False, elem_id="adapters-code-accordion"):
                code = gr.Code("", language="python", label=t("adapters.code_label"), interactive=False,
                               elem_id="adapters-snippet")
            gr.Markdown(t("adapters.paths_heading"))
            with gr.Row(elem_id="adapters-paths"):
                adapter_path = gr.Plot(label=t("adapters.paths_adapter_label"), show_label=False, min_width=340,
                                       elem_id="adapters-path-adapter")
                lora_path = gr.Plot(label=t("adapters.paths_lora_label"), show_label=False, min_width=340,
                                    elem_id="adapters-path-lora")
            gr.Markdown(t("adapters.sweep_heading"))
            sweep = gr.Plot(label=t("adapters.sweep_label"), show_label=False, elem_id="adapters-sweep")

    gr.Markdown(t("adapters.latency_heading"))
    with gr.Row():
        form["budget"] = gr.Slider(5, 60, value=30, step=5, label=t("adapters.budget"), elem_id="adapters-budget")
        measure = gr.Button(t("adapters.measure"), variant="primary", elem_id="adapters-measure")
        stop = gr.Button(t("adapters.stop"), variant="stop", elem_id="adapters-stop")
    # a callable: drawn again for each page load, in that page's language
    status = gr.Markdown(lambda: _status("idle", t("adapters.status_idle")), label=t("adapters.status_label"),
                         elem_id="adapters-status")
    checks = gr.Dataframe(headers=check_columns(), label=t("adapters.checks"), interactive=False, wrap=True,
                          elem_id="adapters-checks", column_widths=list(CHECK_COLUMN_PX))
    verdict = gr.Markdown("", elem_id="adapters-verdict")
    latency_plot = gr.Plot(label=t("adapters.latency_plot_label"), show_label=False, elem_id="adapters-latency-plot")
    latency_table = gr.Dataframe(headers=latency_columns(), label=t("adapters.latency_table"), interactive=False,
                                 wrap=True, elem_id="adapters-latency-table", column_widths=list(LATENCY_COLUMN_PX))
    gr.Markdown(t("adapters.latency_explain"), elem_id="adapters-latency-explain")
    gr.Markdown(t("adapters.paper"))

    form["source"].change(lambda choice: gr.update(visible=choice == "custom"), form["source"], custom_shape,
                          queue=False, api_visibility="private")
    counts = [name for name in form.widgets if name != "budget"]
    views = [adapter_path, lora_path, params, share, sweep, code]
    # every change of a setting counts again (a bad one is the notice, not a message per keystroke) …
    gr.on(None, form.handler(quick_counts, counts), inputs=form.inputs(counts), outputs=[notice, *views],
          trigger_mode="always_last", api_visibility="private")
    # … and API clients get the same views, or an error for a bad setting
    gr.Button(visible=False, elem_id="adapters-counts-api").click(
        form.handler(compare_methods, counts), inputs=form.inputs(counts), outputs=views, api_name="adapter_counts")
    example.input(apply_example, example, [example_note, *form.inputs(FORM_ORDER), custom_shape], queue=False,
                  api_visibility="private")
    latency = [name for name in form.widgets if name != "layer"]
    measure.click(arm_stop, None, None, queue=False, api_visibility="private").then(
        form.handler(measure_methods, latency), inputs=form.inputs(latency),
        outputs=[status, checks, latency_table, latency_plot, params, verdict],
        api_name="adapter_vs_lora", concurrency_id="adapter_latency", concurrency_limit=1,
        show_progress="minimal",
    )
    stop.click(stop_latency, None, status, queue=False, api_visibility="private")
    # a language switch draws the quick views again, and the status line and tables while nothing has run
    language.on_change(form.handler(quick_counts, counts), form.inputs(counts), [notice, *views])
    language.on_change(redraw_idle, [status, checks, latency_table], [status, checks, latency_table])
    return form

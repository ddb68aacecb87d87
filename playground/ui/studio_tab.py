"""QLoRA Studio tab: settings and estimate → a streamed fine-tune → three-way compare → adapter download.

Long event (`finetune`, concurrency id "finetune"): a generator that waits in the Studio's queue
(showing its position), then streams progress and the loss curve, and ends with the run's summary.
Quick events: `finetune_estimate` (memory and time before the run), `finetune_stop`, `compare`
(prompt → full precision / 4-bit base / 4-bit + LoRA answers and the held-out metric table),
`export_adapter` (the run's adapter as a zip), `open_session` (an owner token and its runs). Every
state lives in `playground.studio`, keyed by the owner token the server issues and the browser keeps
(`gr.BrowserState`): a reload finds its runs again; an API client without a token gets one session per
connection. Sessions idle past the TTL are reaped in the background.
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
from collections import OrderedDict
from dataclasses import asdict
from pathlib import Path

import gradio as gr
import pandas as pd
from gradio.utils import get_upload_folder

from playground import datasets, models
from playground.checks import QUANT_TYPES, config_from_form, parse_whole_number
from playground.finetune import ALL_PROJECTIONS, PRESETS, FinetuneConfig, model_shape, plan, resolve_dataset
from playground.finetune.examples import GB, PAPER_SHAPES, STUDIO_EXAMPLES, paper_memory
from playground.finetune.snippet import snippet
from playground.generation import Decoding
from playground.settings import LIMITS
from playground.studio import Studio, loss_figure, summary_json
from playground.studio.labels import model_columns
from playground.ui import language
from playground.ui.common import Form, model_dropdown, progress_html, user_errors
from playground.ui.export_panel import create_export_panel
from playground.ui.strings import t

# Session folders live inside Gradio's file cache, so an export is served from its session's folder as it is
# and its link stops working once the session is reaped.
STUDIO = Studio(root=Path(get_upload_folder()) / "peft-playground-studio")
_REAPER: list = []  # the background reaper, started with the first Studio tab
REFRESH_S = 0.5  # the progress and loss curve redraw at most this often (a fast run would keep a page busy)
PARSED_KEEP = 16  # parsed uploads and pastes kept, by content, so settings changes do not parse them again
_parsed: OrderedDict[str, list[datasets.Example]] = OrderedDict()
SOURCES = ("builtin", "upload", "paste")
DATA_NAMES = ("model_id", "source", "upload", "pasted", "dataset")  # the form's other widgets are run settings
CHECKPOINTING = ("on", "auto")  # recompute activations in backward / keep them when the run fits that way
EXAMPLE_FIELDS = ("quant_type", "double_quant", "rank", "alpha", "dropout", "target_modules")  # what an example sets
# After Start, bring the progress line and the loss curve into view (Start sits below the settings).
# Instant, and again once the page has laid out the run's first outputs (a smooth scroll is cut short by them).
SCROLL_TO_PROGRESS = ("() => { const show = () => document.getElementById('studio-progress')"
                      "?.scrollIntoView({behavior: 'instant', block: 'start'}); show(); "
                      "setTimeout(show, 400); setTimeout(show, 1500); }")


def answer_columns(*args) -> list[str]:
    return [t("studio.col.prompt"), *model_columns(*args)]


def metric_columns(*args) -> list[str]:
    return [t("studio.col.metric"), *model_columns(*args)]


def _owner(owner: str | None, request: gr.Request | None) -> str:
    """Whose runs these are: the browser's owner token (a live session's), else one session per API connection."""
    if owner:
        STUDIO.session(owner)  # refuses an ended session with a message
        return owner
    session_hash = getattr(request, "session_hash", None)
    if not session_hash:
        raise ValueError(t("studio.err.no_session"))
    return STUDIO.session_for(f"api:{session_hash}").owner


def _parse_once(key: str, parse) -> list[datasets.Example]:
    """`parse()`'s examples, parsed once per content (`key`) and kept for the next settings change."""
    if key in _parsed:
        _parsed.move_to_end(key)
        return _parsed[key]
    examples = _parsed[key] = parse()
    while len(_parsed) > PARSED_KEEP:
        _parsed.popitem(last=False)
    return examples


def _examples(source: str, upload, pasted: str) -> list[datasets.Example] | None:
    """None for a built-in set; otherwise the parsed upload or pasted text (the upload's name is only read)."""
    if source not in SOURCES:
        raise ValueError(t("studio.err.source", source=repr(source), sources=SOURCES))
    if source == "builtin":
        return None
    if source == "paste":
        if not (pasted or "").strip():
            raise ValueError(t("studio.err.paste_empty"))
        size = len(pasted) if len(pasted) > LIMITS.max_upload_bytes else len(pasted.encode())
        if size > LIMITS.max_upload_bytes:
            raise ValueError(t("studio.err.paste_too_large", size=f"{size:,}",
                               limit=f"{LIMITS.max_upload_bytes:,}"))
        return _parse_once("paste:" + hashlib.sha256(pasted.encode()).hexdigest(), lambda: datasets.parse_pasted(pasted))
    if not upload:
        raise ValueError(t("studio.err.upload_missing"))
    path = upload if isinstance(upload, str) else upload.name
    size = os.path.getsize(path)
    if size > LIMITS.max_upload_bytes:
        raise ValueError(t("studio.err.file_too_large", size=f"{size:,}", limit=f"{LIMITS.max_upload_bytes:,}"))
    with open(path, "rb") as handle:
        data = handle.read()
    key = "upload:" + hashlib.sha256(data).hexdigest() + os.path.splitext(path)[1]
    return _parse_once(key, lambda: datasets.parse_upload(os.path.basename(path), data))


def build_config(values: dict) -> FinetuneConfig:
    """The run's config from the form's values (keyed by FinetuneConfig's field names)."""
    model_id = (values.get("model_id") or "").strip() or models.default_model_id()
    return config_from_form(FinetuneConfig, values, model_id=model_id,
                            eval_examples=PRESETS["quick"]["eval_examples"])


def preset_settings(name: str) -> dict:
    """A preset's settings by field name (FinetuneConfig's defaults where the preset is silent)."""
    settings = asdict(FinetuneConfig(**PRESETS[name]))
    settings["target_modules"] = list(settings["target_modules"])
    return settings


def _data(values: dict) -> list[datasets.Example] | None:
    return _examples(values["source"], values["upload"], values["pasted"])


@user_errors
def estimate_markdown(values: dict) -> str:
    """Memory by part and a time estimate; a problem with the settings is shown here, not as a toast."""
    try:
        config = build_config(values)
        data = resolve_dataset(config, _data(values))
        run_plan = plan(config, data, models.load_tokenizer(config.model_id))
        run_plan.check_work(LIMITS.max_run_seconds)
    except ValueError as err:
        return f"⚠️ {err}"
    estimate, checkpointing = run_plan.estimate, run_plan.gradient_checkpointing
    train, test, skipped, seconds = run_plan.train, run_plan.test, run_plan.skipped, run_plan.estimated_seconds
    rows = "\n".join(f"| {name} | {mib:,.1f} |" for name, mib in estimate.rows())
    verdict = t("studio.est.fits") if estimate.fits else t("studio.est.not_fits")
    notes = [t("studio.est.examples", train=len(train), test=len(test))]
    if skipped:
        notes.append(t("studio.est.skipped", skipped=skipped, max_length=config.max_length))
    if checkpointing and config.gradient_checkpointing == "auto":
        notes.append(t("studio.est.recompute_auto"))
    elif checkpointing:
        notes.append(t("studio.est.recompute"))
    else:
        notes.append(t("studio.est.keep"))
    shape = model_shape(config.model_id)
    share = 100 * estimate.lora_params / (shape.quantized_params + shape.unquantized_params)
    return t("studio.est.text", params=f"{estimate.lora_params:,}", percent=f"{share:.2f}", seconds=f"{seconds:.0f}",
             device=estimate.device, verdict=verdict, notes="; ".join(notes), rows=rows,
             run=f"{estimate.run_bytes / 2**20:,.0f}")


def preset_seconds(name: str, model_id: str | None = None) -> float | None:
    """A preset's estimated training time on this server's device for `model_id` (None when it cannot run)."""
    config = FinetuneConfig(**{**PRESETS[name], "model_id": model_id or models.default_model_id()})
    try:
        return plan(config, resolve_dataset(config, None), models.load_tokenizer(config.model_id)).estimated_seconds
    except Exception:  # noqa: BLE001 - a model that cannot be planned for: its presets stay unmarked (the estimate says why)
        return None


def preset_choices(model_id: str | None = None) -> list[tuple[str, str]]:
    """The preset picker's (label, name) pairs: a preset whose training would take longer than the work cap
    on this device is marked with both numbers (starting it is refused, with the same reason)."""
    cap = LIMITS.max_run_seconds
    choices = []
    for name in PRESETS:
        seconds = preset_seconds(name, model_id) if cap is not None else None
        if seconds is not None and seconds > cap:
            choices.append((t(f"studio.preset_too_long.{name}", seconds=f"{seconds:,.0f}", cap=f"{cap:,.0f}"), name))
        else:
            choices.append((t(f"studio.preset.{name}"), name))
    return choices


@user_errors
def preset_picker(model_id: str | None):
    return gr.update(choices=preset_choices((model_id or "").strip() or None))


def paper_markdown(name: str) -> str:
    """The QLoRA paper's memory arithmetic for the `name` model, as the accordion shows it."""
    figures = paper_memory(name)
    return t("studio.paper.text", name=name, params=f"{figures.params / 1e9:.2f}",
             full=f"{figures.full_finetune_bytes / GB:,.0f}", plain_bits=f"{figures.bits_plain:.3f}",
             dq_bits=f"{figures.bits_double_quant:.3f}", weights_plain=f"{figures.weights_plain_bytes / GB:.1f}",
             weights=f"{figures.weights_bytes / GB:.1f}", saving=f"{figures.double_quant_saving_bytes / GB:.2f}",
             rank=figures.rank, targets=", ".join(figures.target_modules), lora_params=f"{figures.lora_params:,}",
             lora=f"{figures.lora_bytes / GB:.2f}", qlora=f"{figures.qlora_bytes / GB:.1f}",
             ratio=f"{figures.full_finetune_bytes / figures.qlora_bytes:.0f}")


def example_settings(name: str) -> list:
    """An example's settings, in EXAMPLE_FIELDS order."""
    settings = STUDIO_EXAMPLES[name]
    return [list(settings[key]) if key == "target_modules" else settings[key] for key in EXAMPLE_FIELDS]


def code_for(values: dict) -> str:
    """The snippet for the current settings; a comment with the reason while they are not valid."""
    try:
        return snippet(build_config(values))
    except ValueError as err:
        return f"# {err}"


def _progress_html(step: int, total: int, text: str) -> str:
    return progress_html(step / total if total else 0.0, text, "studio-progress")


def _run_choices(owner: str) -> list[tuple[str, str]]:
    return [(t("studio.no_adapter"), "")] + [(run.label, run.run_id) for run in STUDIO.runs(owner)]


@user_errors
def finetune(values: dict, owner: str | None = None, request: gr.Request = None):
    """Stream a fine-tune: progress HTML, loss curve, summary JSON, run picker."""
    owner = _owner(owner, request)
    config = build_config(values)
    yield from _stream(owner, STUDIO.finetune(owner, config, _data(values)), config.steps)


@user_errors
def follow_run(owner: str | None = None, request: gr.Request = None):
    """After a reload: the session's fine-tune that is still running, streamed from where it is now."""
    owner = _owner(owner, request)
    job = STUDIO.session(owner).job
    if job is None or job.finished:  # nothing to follow, or the run ended since open_session looked: show the end
        if not STUDIO.running(owner) and STUDIO.runs(owner):
            _, picker, progress, figure, summary, *_ = open_session(owner)
            yield progress, figure, summary, picker
        else:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()  # what open_session showed stays
        return
    seen = list(job.events)
    yield from _stream(owner, job.follow(len(seen)), job.total_steps, seen)


def _stream(owner: str, events, total_steps: int, seen: list | None = None):
    """(progress, loss figure, summary, run picker) for each event; `seen` events only rebuild the curve."""
    history: list[dict] = []
    trainable: dict = {}  # what the start event said: trainable parameters and the run's estimated peak
    for event in seen or ():
        trainable, _ = _account(event, history, trainable)
    if seen:
        yield _progress_html(seen[-1].step, total_steps, t("studio.restored_running")), loss_figure(history), \
            gr.skip(), gr.skip()
    shown = 0.0  # when the page was last updated
    for event in events:
        trainable, text = _account(event, history, trainable)
        if event.kind == "step" and event.step < total_steps and time.monotonic() - shown < REFRESH_S:
            continue  # a fast run's steps go into the curve; the page redraws at most every REFRESH_S
        shown = time.monotonic()
        if event.kind == "waiting":
            yield _progress_html(0, total_steps, text), gr.skip(), gr.skip(), gr.skip()
        elif event.kind in ("start", "step", "eval"):
            yield _progress_html(event.step, total_steps, text), loss_figure(history), gr.skip(), gr.skip()
        else:
            runs = STUDIO.runs(owner)
            summary = summary_json(runs[-1]) if runs and event.result is not None else "{}"
            latest = runs[-1].run_id if runs else ""
            yield (_progress_html(event.step, total_steps, text), loss_figure(history), summary,
                   gr.update(choices=_run_choices(owner), value=latest))


def _account(event, history: list[dict], started: dict) -> tuple[dict, str]:
    """Adds the event to the loss history; returns what the start event said (trainable parameters, the run's
    estimated peak) and the event's progress line."""
    if event.kind == "start":
        started = {"trainable": event.trainable_params, "estimated": event.estimate.run_bytes}
        return started, t("studio.line.start", message=event.message, seconds=f"{event.estimated_seconds:.0f}",
                          estimate=event.estimate.summary())
    if event.kind == "step":
        history.append({"step": event.step, "loss": event.loss})
        return started, t("studio.line.step", step=event.step, total=event.total_steps, loss=f"{event.loss:.3f}",
                          eta=f"{event.eta_s:.0f}", tokens_per_s=f"{event.tokens_per_s:.0f}",
                          peak=f"{event.peak_memory_bytes / 2**20:,.0f}",
                          estimated=f"{started.get('estimated', 0) / 2**20:,.0f}",
                          trainable=f"{started.get('trainable', 0):,}")
    if event.kind == "eval":
        history.append({"step": event.step, "eval_loss": event.eval_loss})
        metric = t("studio.line.eval_metric", metric=event.metric) if event.metric else ""
        return started, t("studio.line.eval", loss=f"{event.eval_loss:.3f}", step=event.step, metric=metric)
    text, result = event.message, event.result
    if result is not None and result.metric_before and result.metric_after:
        text = text + t("studio.line.metric", metric_name=datasets.metric_label(result.dataset.name),
                        before=f"{result.metric_before['score']:.2f}", after=f"{result.metric_after['score']:.2f}")
    return started, text


@user_errors
def stop(owner: str | None = None, request: gr.Request = None) -> str:
    stopped = STUDIO.stop(_owner(owner, request))
    return gr.skip() if stopped else _progress_html(0, 0, t("studio.line.nothing_running"))


@user_errors
def compare(values: dict, owner: str | None = None, request: gr.Request = None):
    """Answers side by side, and the held-out metric table of the chosen run."""
    owner = _owner(owner, request)
    decoding = config_from_form(Decoding, values)
    count = parse_whole_number(values["held_out"], t("studio.field.held_out_prompts"))
    run_id, model_id = values["run_id"], values["model_id"]
    if not 0 <= count <= 8:
        raise ValueError(t("studio.err.held_out_range", count=count))
    run = STUDIO.run(owner, run_id) if run_id else None
    data_name = run.summary["dataset"] if run else values["dataset"]
    test = datasets.built_in(data_name).test if data_name in datasets.BUILT_INS else ()
    prompts = [values["prompt"] or ""] + [item.user_text for item in test[:count]]
    rows = STUDIO.compare(owner, prompts, run_id or None, decoding, model_id=model_id)
    named = (run.config.model_id, run.config.quant_type, run.config.double_quant) if run else (model_id,)
    answer_rows = [[r["prompt"], r["full_precision"], r["base_4bit"], r["lora_4bit"]] for r in rows]
    metric_rows = STUDIO.metrics_table(owner, run_id) if run_id else []
    # kept server-side with the session (the last compare only), so a reload shows it again
    STUDIO.remember(owner, "answers", (answer_rows, named))
    STUDIO.remember(owner, "metrics", (metric_rows, named))
    return _table(answer_rows, answer_columns(*named)), _table(metric_rows, metric_columns(*named))


def _table(rows: list, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def _recalled(owner: str, name: str, columns):
    kept = STUDIO.recall(owner, name)
    if kept is None:
        return gr.skip()
    rows, named = kept
    return _table(rows, columns(*named))


@user_errors
def export_adapter(run_id, owner: str | None = None, request: gr.Request = None) -> str:
    if not run_id:
        raise ValueError(t("studio.err.pick_run"))
    return str(STUDIO.export(_owner(owner, request), run_id))


@user_errors
def open_session(owner: str | None = None):
    """The owner token of a live session (the given one, or a new one) and what the page shows of it: after a
    reload, every run in the picker, the latest run's loss curve and summary, and the last compare's answers and
    metric table."""
    owner = STUDIO.open(owner or None)
    runs = STUDIO.runs(owner)
    picker = gr.update(choices=_run_choices(owner), value=runs[-1].run_id if runs else "")
    if STUDIO.running(owner):
        progress = _progress_html(0, 0, t("studio.restored_running"))
    elif runs:
        progress = _progress_html(1, 1, t("studio.restored", count=len(runs)))
    else:
        progress = _progress_html(0, 0, t("studio.idle"))
    latest = runs[-1] if runs else None
    figure = loss_figure(latest.summary["history"]) if latest else None
    return (owner, picker, progress, figure, summary_json(latest) if latest else "",
            _recalled(owner, "answers", answer_columns), _recalled(owner, "metrics", metric_columns))


def create_studio_tab(demo: gr.Blocks, owner: gr.BrowserState) -> Form:
    """The tab; `owner` holds the server-issued owner token in the browser (created outside any tab, so
    the browser restores it before the page's load events run). Returns the settings a link, a lesson step
    and Reset set: the run's settings and the compare view's, except an upload and the chosen run."""
    gr.Markdown(t("studio.intro"))
    defaults = preset_settings("quick")
    form = Form()  # the run's settings, by FinetuneConfig field name
    with gr.Row():
        with gr.Column(scale=2):
            gr.Markdown(t("studio.settings"))
            preset = gr.Radio([(t(f"studio.preset.{name}"), name) for name in PRESETS], value="quick",
                              label=t("studio.preset"), info=t("studio.preset_info"), elem_id="studio-preset")
            form["model_id"] = model_dropdown(elem_id="studio-model")
            form["source"] = gr.Radio([(t(f"studio.source.{s}"), s) for s in SOURCES], value="builtin",
                                      label=t("studio.source"), elem_id="studio-source")
            form["upload"] = gr.File(label=t("studio.upload"), file_types=[".jsonl", ".json", ".csv"],
                                     type="filepath", visible=False, elem_id="studio-upload")
            form["pasted"] = gr.Textbox(label=t("studio.paste"), placeholder=t("studio.paste_placeholder"), lines=5,
                                        visible=False, elem_id="studio-paste")
            form["dataset"] = gr.Dropdown(list(datasets.BUILT_INS), value=defaults["dataset"], label=t("studio.dataset"),
                                          elem_id="studio-dataset")
            with gr.Accordion(t("studio.quant"), open=True, elem_id="studio-quant"):
                form["quant_type"] = gr.Radio(list(QUANT_TYPES), value=defaults["quant_type"],
                                              label=t("studio.quant_type"))
                form["double_quant"] = gr.Checkbox(value=defaults["double_quant"], label=t("studio.double_quant"))
                form["rank"] = gr.Number(value=defaults["rank"], label=t("studio.rank"), precision=0, minimum=1,
                                         maximum=256)
                form["alpha"] = gr.Number(value=defaults["alpha"], label=t("studio.alpha"), minimum=0.1)
                form["dropout"] = gr.Slider(0.0, 0.5, value=defaults["dropout"], step=0.01, label=t("studio.dropout"))
                form["target_modules"] = gr.CheckboxGroup(list(ALL_PROJECTIONS), value=defaults["target_modules"],
                                                          label=t("studio.targets"))
            with gr.Accordion(t("studio.training"), open=True):
                with gr.Row():
                    form["steps"] = gr.Number(value=defaults["steps"], label=t("studio.steps"), precision=0, minimum=1,
                                              maximum=LIMITS.max_steps, elem_id="studio-steps")
                    form["learning_rate"] = gr.Number(value=defaults["learning_rate"], label=t("studio.lr"),
                                                      elem_id="studio-lr")
                    form["batch_size"] = gr.Number(value=defaults["batch_size"], label=t("studio.batch"), precision=0,
                                                   minimum=1, maximum=64, elem_id="studio-batch")
                with gr.Row():
                    form["grad_accum"] = gr.Number(value=defaults["grad_accum"], label=t("studio.accum"), precision=0,
                                                   minimum=1, maximum=64)
                    form["max_length"] = gr.Number(value=defaults["max_length"], label=t("studio.max_length"),
                                                   precision=0, minimum=16, maximum=4096, elem_id="studio-max-length")
                    form["warmup_steps"] = gr.Number(value=defaults["warmup_steps"], label=t("studio.warmup"),
                                                     precision=0, minimum=0)
                with gr.Row():
                    form["seed"] = gr.Number(value=defaults["seed"], label=t("studio.seed"), precision=0)
                    form["eval_every"] = gr.Number(value=defaults["eval_every"], label=t("studio.eval_every"),
                                                   precision=0, minimum=0, elem_id="studio-eval-every")
                form["gradient_checkpointing"] = gr.Radio(
                    [(t(f"studio.checkpointing.{value}"), value) for value in CHECKPOINTING],
                    value=defaults["gradient_checkpointing"], label=t("studio.checkpointing"),
                    info=t("studio.checkpointing_info"), elem_id="studio-checkpointing")
            with gr.Accordion(t("studio.examples"), open=False, elem_id="studio-examples"):
                gr.Markdown(t("studio.examples_info"))
                example_buttons = {name: gr.Button(t(f"studio.example.{name}"), size="sm",
                                                   elem_id=f"studio-example-{name}") for name in STUDIO_EXAMPLES}
            estimate = gr.Markdown(label=t("studio.estimate"), elem_id="studio-estimate")
            with gr.Row():
                start = gr.Button(t("studio.start"), variant="primary", elem_id="studio-start")
                stop_button = gr.Button(t("studio.stop"), variant="stop", elem_id="studio-stop")
        with gr.Column(scale=3):
            gr.Markdown(t("studio.progress"))
            progress = gr.HTML(_progress_html(0, 0, t("studio.idle")), elem_id="studio-progress")
            loss_plot = gr.Plot(label=t("studio.loss_plot"), elem_id="studio-loss")
            summary = gr.Code(label=t("studio.summary"), language="json", elem_id="studio-summary", max_lines=16)
            with gr.Accordion(t("studio.code"), open=False, elem_id="studio-code-box"):
                gr.Markdown(t("studio.code_info"))
                code = gr.Code(language="python", label=t("studio.code_label"), elem_id="studio-code",
                               interactive=False, max_lines=40)
            with gr.Accordion(t("studio.paper"), open=False, elem_id="studio-paper-box"):
                paper_size = gr.Radio(list(PAPER_SHAPES), value="65B", label=t("studio.paper_size"),
                                      elem_id="studio-paper-size")
                paper = gr.Markdown(paper_markdown("65B"), elem_id="studio-paper")
    gr.Markdown(t("studio.compare"))
    gr.Markdown(t("studio.compare_info"))
    ask = Form()  # the compare view's settings
    with gr.Row():
        with gr.Column(scale=2):
            ask["run_id"] = gr.Dropdown([(t("studio.no_adapter"), "")], value="", label=t("studio.run"),
                                        elem_id="studio-run")
            ask["prompt"] = gr.Textbox(value=t("studio.prompt_default"), label=t("studio.prompt"), lines=2,
                                       elem_id="studio-prompt")
            # one slider a row: side by side, a narrow column cut their ends ("12", "1.")
            ask["held_out"] = gr.Slider(0, 8, value=3, step=1, label=t("studio.held_out"), elem_id="studio-held-out")
            ask["temperature"] = gr.Slider(0.0, 1.5, value=0.0, step=0.05, label=t("studio.temperature"),
                                           elem_id="studio-temperature")
            ask["max_new_tokens"] = gr.Slider(8, 128, value=48, step=8, label=t("studio.max_new_tokens"),
                                              elem_id="studio-max-new-tokens")
            ask["seed"] = gr.Number(value=0, label=t("studio.decode_seed"), precision=0)
            compare_button = gr.Button(t("studio.compare_button"), variant="primary", elem_id="studio-compare")
            export_button = gr.Button(t("studio.export_button"), elem_id="studio-export")
            download = gr.File(label=t("studio.export"), elem_id="studio-download", interactive=False)
        with gr.Column(scale=3):
            answers = gr.Dataframe(headers=answer_columns(None), label=t("studio.answers"), wrap=True,
                                   column_widths=["25%", "25%", "25%", "25%"],
                                   elem_id="studio-answers", interactive=False)
            metrics = gr.Dataframe(headers=metric_columns(None), label=t("studio.metrics"), wrap=True,
                                   column_widths=["25%", "25%", "25%", "25%"],  # headers wrap at spaces, not cut
                                   elem_id="studio-metrics", interactive=False)
    create_export_panel(ask["run_id"], owner)  # the run as an adapter, a merged model, GGUF or a training script
    ask["model_id"], ask["dataset"] = form["model_id"], form["dataset"]
    settings = [name for name in form.widgets if name not in DATA_NAMES]

    # .input: a user's choice only (a language switch redraws the radio's labels, and must not reset the settings)
    preset.input(lambda name: [preset_settings(name)[key] for key in ["dataset", *settings]], preset,
                  form.inputs(["dataset", *settings]), api_name=False)
    form["source"].change(
        lambda choice: (gr.update(visible=choice == "builtin"), gr.update(visible=choice == "upload"),
                        gr.update(visible=choice == "paste")),
        form["source"], form.inputs(["dataset", "upload", "pasted"]), api_name=False,
    )
    gr.on([widget.change for widget in form.inputs()], form.handler(estimate_markdown), form.inputs(), estimate,
          api_name="finetune_estimate", trigger_mode="always_last")
    demo.load(form.handler(estimate_markdown), form.inputs(), estimate, api_name=False)
    gr.on([widget.change for widget in form.inputs()], form.handler(code_for), form.inputs(), code, api_name=False,
          trigger_mode="always_last")
    demo.load(form.handler(code_for), form.inputs(), code, api_name=False)
    # the preset picker marks presets too long for this server's work cap (for the model chosen)
    demo.load(preset_picker, form["model_id"], preset, api_name=False, show_progress="hidden")
    form["model_id"].change(preset_picker, form["model_id"], preset, api_name=False, show_progress="hidden")
    paper_size.change(paper_markdown, paper_size, paper, api_name=False)
    # after a language switch: the marks and the paper's table in the new language (one refresh, two outputs:
    # language._unless_english answers a list, which a single output would not take)
    language.on_change(lambda model_id, size: (preset_picker(model_id), paper_markdown(size)),
                       [form["model_id"], paper_size], [preset, paper])
    for name, button in example_buttons.items():
        button.click(functools.partial(example_settings, name), None, form.inputs(EXAMPLE_FIELDS), api_name=False)
    demo.load(open_session, owner, [owner, ask["run_id"], progress, loss_plot, summary, answers, metrics],
              api_name="open_session").then(
        follow_run, owner, [progress, loss_plot, summary, ask["run_id"]], api_name="follow_run")
    start.click(None, None, None, js=SCROLL_TO_PROGRESS)
    start.click(form.handler(finetune), [*form.inputs(), owner], [progress, loss_plot, summary, ask["run_id"]],
                api_name="finetune", concurrency_id="finetune",
                concurrency_limit=LIMITS.concurrent_finetunes + LIMITS.queue_size)
    stop_button.click(stop, owner, progress, api_name="finetune_stop")
    asked = ["prompt", "run_id", "held_out", "temperature", "seed", "max_new_tokens", "model_id", "dataset"]
    compare_button.click(ask.handler(compare, asked), [*ask.inputs(asked), owner], [answers, metrics], api_name="compare",
                         concurrency_id="compare", concurrency_limit=2)
    export_button.click(export_adapter, [ask["run_id"], owner], download, api_name="export_adapter")
    if not _REAPER:
        _REAPER.append(STUDIO.start_reaper())
    shared = Form()
    shared["preset"] = preset
    for name, widget in form.widgets.items():
        if name != "upload":
            shared[name] = widget
    for name, widget in ask.widgets.items():  # the compare view's own settings, as compare_<name>
        if name not in ("run_id", "model_id", "dataset"):
            shared[f"compare_{name}"] = widget
    return shared

"""Runs tab: every run of the session side by side, experiment presets that fill the comparison, resume.

    runs table         a row per run (playground.studio.runs.runs_rows), redrawn on tab select, page load and
                       whenever a run of this tab finishes
    comparison         the ticked runs (default: the latest experiment's, else the last 3): loss curves overlaid
                       (log-scale toggle), only the settings that differ, measures side by side (`runs_compare`)
    experiment presets a small grid that changes one setting of the Studio's quick preset (`experiment`): its runs
                       one after another in the session's slot, the comparison filled as each finishes;
                       `experiment_stop` stops it (the Studio's stop)
    resume             a run trained further from where it stopped, kept as a new run (`resume`)

State lives in the Studio (playground.ui.studio_tab.STUDIO), keyed by the owner token the browser keeps.
"""

from __future__ import annotations

import json
import time

import gradio as gr
import pandas as pd

from playground import datasets, models
from playground.checks import parse_whole_number
from playground.finetune import PRESETS, FinetuneConfig, preset
from playground.finetune.experiments import EXPERIMENTS
from playground.settings import LIMITS
from playground.studio import runs as runs_view
from playground.ui import language
from playground.ui.common import model_dropdown, progress_html, user_errors
from playground.ui.strings import t
from playground.ui.studio_tab import REFRESH_S, STUDIO, _account, _owner


DEFAULT_EXTRA_STEPS = 10
# the runs table's columns (runs_view.RUN_COLUMNS): the key settings and the status take the room
TABLE_WIDTHS = ["5%", "11%", "13%", "20%", "8%", "8%", "12%", "8%", "8%", "7%"]
VIEW_SIZE = 7  # outputs of a full redraw: table, selection, resume picker, figure, diff note, diff table, metrics


def _page_owner(owner: str | None) -> str | None:
    """The browser's owner token for page-only redraws; None before the Studio has issued one (no runs yet)."""
    if not owner:
        return None
    STUDIO.session(owner)  # an ended session: the message asks for a reload
    return owner


# --------------------------------------------------------------------------- the comparison

def _table(columns: list[str], rows: list[list]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def _comparison(owner: str | None, selected, log_y: bool, least: int = 2) -> tuple:
    """(figure, note, settings that differ, measures) for the selected runs; a selection that cannot be compared
    says why in the note."""
    runs = STUDIO.runs(owner) if owner else []
    empty_diff, empty_metrics = _table([t("runs.col.setting")], []), _table([t("runs.col.measure")], [])
    if not runs:
        return None, t("runs.no_runs"), empty_diff, empty_metrics
    try:
        chosen = runs_view.pick(runs, selected or [], STUDIO.max_runs, least=least)
    except ValueError as err:
        return None, f"⚠️ {err}", empty_diff, empty_metrics
    columns, rows = runs_view.settings_diff(chosen)
    ids = ", ".join(run.run_id for run in chosen)
    note = t("runs.diff.differ", count=len(rows), runs=ids) if rows else t("runs.diff.same")
    return (runs_view.overlay_figure(chosen, bool(log_y)), note, _table(columns, rows),
            _table(*runs_view.metrics_rows(chosen)))


@user_errors
def compare_runs(selected: list[str], log_y: bool, owner: str | None = None, request: gr.Request = None):
    """The selected runs compared: loss curves overlaid, the settings that differ, the measures side by side."""
    return _comparison(_owner(owner, request), selected, log_y)


@user_errors
def runs_compare(selected: list[str], log_y: bool = False, owner: str | None = None,
                 request: gr.Request = None) -> dict:
    """The `/runs_compare` endpoint: the runs `selected` (two or more of the session's run ids) compared, as plain
    data: their ids, the settings that differ and the measures ({"columns", "rows"} each), and the overlaid loss
    curves as plotly JSON. A selection that cannot be compared is an error with the reason."""
    if not isinstance(selected, (list, tuple)) or not all(isinstance(run_id, str) for run_id in selected):
        raise ValueError(t("runs.err.selected"))
    chosen = runs_view.pick(STUDIO.runs(_owner(owner, request)), selected, STUDIO.max_runs)
    columns, rows = runs_view.settings_diff(chosen)
    measure_columns, measure_rows = runs_view.metrics_rows(chosen)
    return {"runs": [run.run_id for run in chosen],
            "settings_differ": {"columns": [str(c) for c in columns], "rows": rows},
            "measures": {"columns": [str(c) for c in measure_columns], "rows": measure_rows},
            "figure": json.loads(runs_view.overlay_figure(chosen, bool(log_y)).to_json())}


def _view(owner: str | None, selected: list[str] | None, log_y: bool, least: int = 2) -> tuple:
    """Everything the tab shows of the session: runs table, selection, resume picker and the comparison."""
    runs = STUDIO.runs(owner) if owner else []
    choices = [(runs_view.choice_label(run), run.run_id) for run in runs]
    known = {run.run_id for run in runs}
    selected = [run_id for run_id in (selected or []) if run_id in known][:STUDIO.max_runs]
    picker = gr.update(choices=choices, value=runs[-1].run_id if runs else None)
    return (_table(runs_view.runs_columns(), runs_view.runs_rows(runs)), gr.update(choices=choices, value=selected),
            picker, *_comparison(owner, selected, log_y, least))


@user_errors
def refresh(selected: list[str], picked: bool, log_y: bool, owner: str | None = None):
    """The tab redrawn (tab select, page load, language switch): a selection the user made stays while its runs
    exist; otherwise the latest experiment's runs, else the last 3."""
    owner = _page_owner(owner)
    runs = STUDIO.runs(owner) if owner else []
    known = {run.run_id for run in runs}
    kept = [run_id for run_id in (selected or []) if run_id in known]
    if not (picked and len(kept) >= 2):
        kept = runs_view.default_selection(runs)
    return _view(owner, kept, log_y)


# --------------------------------------------------------------------------- experiment presets

def _experiment(name: str):
    if name not in EXPERIMENTS:
        raise ValueError(t("runs.err.experiment", name=repr(name), names=sorted(EXPERIMENTS)))
    return EXPERIMENTS[name]


def base_config(model_id: str | None, dataset: str, steps) -> FinetuneConfig:
    """The grid's base: the Studio's quick preset with this model, built-in dataset and number of steps."""
    steps = parse_whole_number(steps, t("studio.field.steps"))
    model_id = (model_id or "").strip() or models.default_model_id()
    return preset("quick", model_id=model_id, dataset=dataset, steps=steps,
                  warmup_steps=max(0, min(PRESETS["quick"]["warmup_steps"], steps)))


@user_errors
def experiment_info(name: str, model_id: str | None, dataset: str, steps) -> str:
    """What to look for in the experiment, and its runs."""
    if not name:
        return ""
    experiment = _experiment(name)
    text = t("runs.look_for", text=t(experiment.look_for))
    try:
        variants = [label for label, _ in experiment.configs(base_config(model_id, dataset, steps))]
    except ValueError as err:
        return f"{text}\n\n⚠️ {err}"
    return f"{text}\n\n" + t("runs.grid", variants=", ".join(variants), steps=steps)


def _new_runs(owner: str, before: set[str]) -> list[str]:
    return [run.run_id for run in STUDIO.runs(owner) if run.run_id not in before]


@user_errors
def run_experiment(name: str, model_id: str | None, dataset: str, steps, log_y: bool = False,
                   owner: str | None = None, request: gr.Request = None):
    """Stream an experiment's grid: a progress line (which run, which step), and after each run the runs table
    and the comparison of the experiment's runs so far."""
    owner = _owner(owner, request)
    experiment = _experiment(name)
    base = base_config(model_id, dataset, steps)
    variants = [label for label, _ in experiment.configs(base)]
    count, before = len(variants), {run.run_id for run in STUDIO.runs(owner)}
    events = STUDIO.experiment(owner, name, base)
    index, started, shown, last = 0, {}, 0.0, None
    for event in events:
        last = event.kind
        if event.kind == "start":
            index += 1
        current = min(count, index + 1 if event.kind == "waiting" else max(index, 1))
        started, line = _account(event, [], started)
        if event.kind == "step" and event.step < event.total_steps and time.monotonic() - shown < REFRESH_S:
            continue  # the page redraws at most every REFRESH_S
        shown = time.monotonic()
        fraction = (current - 1 + (event.step / event.total_steps if event.total_steps else 0)) / count
        if event.kind in ("step", "eval"):  # the other events' messages name their variant already
            line = t("runs.line.variant", index=current, count=count, variant=variants[current - 1], line=line)
        if event.kind in ("done", "stopped"):
            yield (progress_html(current / count if event.kind == "done" else fraction, line, "runs-progress"),
                   *_view(owner, _new_runs(owner, before), log_y, least=1))
        else:
            yield progress_html(fraction, line, "runs-progress"), *[gr.skip()] * VIEW_SIZE
    kept = _new_runs(owner, before)
    names = ", ".join(kept) or t("runs.line.nothing_kept")
    stopped = last == "stopped" or len(kept) < count
    text = t("runs.line.stopped", runs=names) if stopped else t("runs.line.finished", runs=names)
    yield progress_html(len(kept) / count if count else 1, text, "runs-progress"), *_view(owner, kept, log_y, least=1)


@user_errors
def stop_experiment(owner: str | None = None, request: gr.Request = None) -> str:
    """Stop the session's grid (or run) after its current step."""
    stopped = STUDIO.stop(_owner(owner, request))
    return progress_html(0, t("runs.line.stopping" if stopped else "runs.line.nothing_running"), "runs-progress")


# --------------------------------------------------------------------------- resume

def extra_steps(value) -> int:
    """The resume's extra steps: a whole number from 1 to the server's most steps per run."""
    steps = parse_whole_number(value, t("runs.field.extra_steps"))
    if not 1 <= steps <= LIMITS.max_steps:
        raise ValueError(t("common.check.whole_range", label=t("runs.field.extra_steps"), low=1,
                           high=LIMITS.max_steps, value=repr(steps)))
    return steps


@user_errors
def resume_run(run_id: str, steps, log_y: bool = False, owner: str | None = None, request: gr.Request = None):
    """Stream a run trained further from where it stopped; the new run is compared with the one it continued."""
    owner = _owner(owner, request)
    if not run_id:
        raise ValueError(t("runs.err.pick_resume"))
    STUDIO.run(owner, run_id)  # an unknown run is refused before anything starts
    steps = extra_steps(steps)
    before = {run.run_id for run in STUDIO.runs(owner)}
    started, shown = {}, 0.0
    for event in STUDIO.resume(owner, run_id, steps):
        started, line = _account(event, [], started)
        if event.kind == "step" and event.step < event.total_steps and time.monotonic() - shown < REFRESH_S:
            continue
        shown = time.monotonic()
        fraction = event.step / event.total_steps if event.total_steps else 0
        if event.kind in ("done", "stopped"):
            yield (progress_html(1, line, "runs-resume-progress"),
                   *_view(owner, [run_id, *_new_runs(owner, before)], log_y, least=1))
        else:
            yield progress_html(fraction, line, "runs-resume-progress"), *[gr.skip()] * VIEW_SIZE


# --------------------------------------------------------------------------- the tab

def create_runs_tab(demo: gr.Blocks, owner: gr.BrowserState, tab: gr.Tab) -> None:
    """Builds the tab inside `tab`; `owner` is the Studio's owner token (see studio_tab)."""
    gr.Markdown(t("runs.intro"))
    table = gr.Dataframe(headers=runs_view.runs_columns(), label=t("runs.table"), interactive=False, wrap=True,
                         column_widths=TABLE_WIDTHS, elem_id="runs-table")
    picked = gr.State(False)  # whether the user ticked the selection (a redraw keeps it) or it is the default
    with gr.Row():
        with gr.Column(scale=2):
            selection = gr.CheckboxGroup([], value=[], label=t("runs.select"),
                                         info=t("runs.select_info", most=STUDIO.max_runs), elem_id="runs-select")
            log_y = gr.Checkbox(False, label=t("runs.log_y"), elem_id="runs-log")
            diff_note = gr.Markdown(t("runs.no_runs"), elem_id="runs-diff-note")
        with gr.Column(scale=3):
            figure = gr.Plot(label=t("runs.plot"), elem_id="runs-plot")
    # full width: a column per run (up to the session's most runs) must not be cut off
    diff = gr.Dataframe(headers=[t("runs.col.setting")], label=t("runs.diff"), interactive=False, wrap=True,
                        elem_id="runs-diff")
    metrics = gr.Dataframe(headers=[t("runs.col.measure")], label=t("runs.metrics"), interactive=False, wrap=True,
                           max_height=420, elem_id="runs-metrics")
    with gr.Row():
        with gr.Column():
            gr.Markdown(t("runs.experiments"))
            gr.Markdown(t("runs.experiments_info"))
            names = list(EXPERIMENTS)
            experiment = gr.Dropdown([(t(EXPERIMENTS[name].title), name) for name in names],
                                     value=names[0] if names else None, label=t("runs.experiment"),
                                     elem_id="runs-experiment")
            info = gr.Markdown(elem_id="runs-experiment-info")
            model_id = model_dropdown(label=t("runs.model"), elem_id="runs-model")
            with gr.Row():
                dataset = gr.Dropdown(list(datasets.BUILT_INS), value=PRESETS["quick"]["dataset"],
                                      label=t("runs.dataset"), elem_id="runs-dataset")
                steps = gr.Number(value=PRESETS["quick"]["steps"], label=t("runs.steps"), precision=0, minimum=1,
                                  maximum=LIMITS.max_steps, elem_id="runs-steps")
            with gr.Row():
                run_grid = gr.Button(t("runs.run_grid"), variant="primary", elem_id="runs-run-grid")
                stop_button = gr.Button(t("runs.stop"), variant="stop", elem_id="runs-stop")
            progress = gr.HTML(progress_html(0, t("runs.idle"), "runs-progress"), elem_id="runs-progress")
        with gr.Column():
            gr.Markdown(t("runs.resume"))
            gr.Markdown(t("runs.resume_info"))
            resume_pick = gr.Dropdown([], value=None, allow_custom_value=True, label=t("runs.resume_run"), elem_id="runs-resume-run")
            resume_steps = gr.Number(value=DEFAULT_EXTRA_STEPS, label=t("runs.resume_steps"), precision=0, minimum=1,
                                     maximum=LIMITS.max_steps, elem_id="runs-resume-steps")
            resume_button = gr.Button(t("runs.resume_button"), variant="primary", elem_id="runs-resume")
            resume_progress = gr.HTML(progress_html(0, t("runs.resume_idle"), "runs-resume-progress"),
                                      elem_id="runs-resume-progress")

    view = [table, selection, resume_pick, figure, diff_note, diff, metrics]
    comparison = [figure, diff_note, diff, metrics]
    tab.select(refresh, [selection, picked, log_y, owner], view, api_visibility="private")
    demo.load(refresh, [selection, picked, log_y, owner], view, api_visibility="private")
    language.on_change(refresh, [selection, picked, log_y, owner], view)
    selection.input(lambda: True, None, picked, api_visibility="private", queue=False)
    gr.on([selection.input, log_y.input], compare_runs, [selection, log_y, owner], comparison,
          api_visibility="private", trigger_mode="always_last")
    gr.api(runs_compare, api_name="runs_compare")
    settings = [experiment, model_id, dataset, steps]
    gr.on([widget.change for widget in settings], experiment_info, settings, info, api_visibility="private",
          trigger_mode="always_last")
    demo.load(experiment_info, settings, info, api_visibility="private")
    language.on_change(experiment_info, settings, [info])
    run_grid.click(run_experiment, [*settings, log_y, owner], [progress, *view], api_name="experiment",
                          concurrency_id="finetune",
                          concurrency_limit=LIMITS.concurrent_finetunes + LIMITS.queue_size)
    stop_button.click(stop_experiment, owner, progress, api_name="experiment_stop")
    resume_button.click(resume_run, [resume_pick, resume_steps, log_y, owner], [resume_progress, *view],
                        api_name="resume", concurrency_id="finetune",
                        concurrency_limit=LIMITS.concurrent_finetunes + LIMITS.queue_size)

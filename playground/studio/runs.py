"""The owner's runs side by side: a row per run, the settings that differ, loss curves overlaid, measures by run.

    runs_rows(runs)          a row per run: id, dataset, status, key settings, final losses, metric before → after,
                             tokens/s, peak memory, wall time (columns: `runs_columns`)
    pick(runs, ids, most)    the runs to compare: at least two, at most `most` (the session's run cap)
    settings_diff(runs)      only the config fields whose values differ across the runs, one row per field
    overlay_figure(runs)     per run one color: train loss solid, held-out loss dashed with markers
    metrics_rows(runs)       a row per measure, a column per run

Everything reads a run's `summary` (FinetuneResult.summary(): history, metric, speed and memory) and its config;
no Gradio here.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Sequence

from playground import datasets
from playground.finetune import ALL_PROJECTIONS, FinetuneConfig
from playground.i18n import t
from playground.studio.sessions import Run
from playground.studio.labels import quant_label

LAST_FEW = 5  # train losses averaged for the "mean of the last few" measure (one step's loss is noisy)
MIB = 2**20
# one color per run (plotly's default qualitative palette), in selection order
COLORS = ("#636efa", "#ef553b", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3", "#ff6692", "#b6e880", "#ff97ff",
          "#fecb52")
CONFIG_FIELDS = tuple(field.name for field in dataclasses.fields(FinetuneConfig))


# --------------------------------------------------------------------------- one run's figures

def train_losses(run: Run) -> list[tuple[int, float]]:
    return [(entry["step"], entry["loss"]) for entry in run.summary["history"] if "loss" in entry]


def held_out_losses(run: Run) -> list[tuple[int, float]]:
    return [(entry["step"], entry["eval_loss"]) for entry in run.summary["history"] if "eval_loss" in entry]


def final_train_loss(run: Run) -> float | None:
    """The last train loss of the run's history (None before its first step)."""
    losses = train_losses(run)
    return losses[-1][1] if losses else None


def mean_train_loss(run: Run, last: int = LAST_FEW) -> float | None:
    """The mean of the run's last `last` train losses (one batch's loss is noisy)."""
    losses = [loss for _, loss in train_losses(run)[-last:]]
    return sum(losses) / len(losses) if losses else None


def final_held_out_loss(run: Run) -> float | None:
    losses = held_out_losses(run)
    return losses[-1][1] if losses else None


def peak_mib(run: Run) -> float | None:
    peak = run.summary.get("peak_memory_bytes")
    return None if peak is None else round(peak / MIB, 1)


def experiment_of(run: Run) -> dict | None:
    """The experiment a run belongs to ({"id", "name", "variant", "index", "count"}), None for a single run."""
    return run.summary.get("experiment") or None


def resumed_from(run: Run) -> str | None:
    """The run this one continued, None for a run that started fresh."""
    source = run.summary.get("resumed_from")
    if isinstance(source, dict):
        source = source.get("run_id")
    return source or None


def status(run: Run) -> str:
    """done / stopped at k, then what the run is part of: resumed from runX, an experiment's variant."""
    summary = run.summary
    parts = [t("studio.run.stopped_at", step=summary["steps_done"]) if summary["stopped"] else t("runs.status.done")]
    source = resumed_from(run)
    if source:
        parts.append(t("runs.status.resumed", run_id=source))
    experiment = experiment_of(run)
    if experiment:
        parts.append(t("runs.status.variant", id=experiment.get("id", ""), variant=experiment.get("variant", ""),
                       index=int(experiment.get("index", 0)) + 1, count=experiment.get("count", "")))
    return " · ".join(parts)


def targets_label(target_modules: Sequence[str]) -> str:
    """"all" for every projection, else the short names ("q, v")."""
    if tuple(target_modules) == tuple(ALL_PROJECTIONS):
        return t("runs.value.all_projections")
    return ", ".join(name.removesuffix("_proj") for name in target_modules)


def key_settings(run: Run) -> str:
    config = run.config
    return t("runs.key_settings", quant=quant_label(config.quant_type, config.double_quant), rank=config.rank,
             alpha=f"{config.alpha:g}", targets=targets_label(config.target_modules), lr=f"{config.learning_rate:g}",
             steps=config.steps)


def _score(metric: dict | None) -> float | None:
    return None if not metric else metric.get("score")


def metric_change(run: Run) -> str:
    """"0.25 → 0.50" on the held-out metric (4-bit base → 4-bit + LoRA), with the full-precision model's figure
    when the run has it; "—" for a run without the metric."""
    before, after = _score(run.summary.get("metric_before")), _score(run.summary.get("metric_after"))
    if before is None and after is None:
        return "—"
    text = f"{_number(before)} → {_number(after)}"
    full = _score(run.summary.get("metric_full_precision"))
    if full is not None:
        text += " " + t("runs.metric.full_precision", value=_number(full))
    return text


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _rounded(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


# --------------------------------------------------------------------------- the runs table

RUN_COLUMNS = ("run", "dataset", "status", "settings", "train_loss", "held_out_loss", "metric", "tokens_per_s",
               "peak_mib", "wall_s")


def runs_columns() -> list[str]:
    """The runs table's column titles, in the current language."""
    return [t(f"runs.col.{name}") for name in RUN_COLUMNS]


def runs_rows(runs: Iterable[Run]) -> list[list]:
    """A row per run, in `runs_columns` order; losses rounded to 4 digits, peak memory in MiB."""
    rows = []
    for run in runs:
        summary = run.summary
        rows.append([run.run_id, datasets.dataset_label(summary["dataset"]), status(run), key_settings(run),
                     _rounded(final_train_loss(run)), _rounded(final_held_out_loss(run)), metric_change(run),
                     summary.get("tokens_per_s"), peak_mib(run), summary.get("wall_s")])
    return rows


# --------------------------------------------------------------------------- choosing runs to compare

def choice_label(run: Run) -> str:
    """How the run pickers name a run: the Studio's label, with its experiment variant when it has one."""
    experiment, label = experiment_of(run), run.label
    variant = (experiment or {}).get("variant")
    return f"{label} · {variant}" if variant and variant not in label.split(" · ") else label


def pick(runs: Sequence[Run], run_ids: Iterable[str], most: int, least: int = 2) -> list[Run]:
    """The runs named by `run_ids`, in the session's order: at least `least` (two to compare; an experiment
    shows its first run alone), at most `most`, each one of `runs`."""
    wanted = list(dict.fromkeys(run_id for run_id in (run_ids or []) if run_id))
    known = {run.run_id: run for run in runs}
    unknown = [run_id for run_id in wanted if run_id not in known]
    if unknown:
        raise ValueError(t("studio.err.no_run", run_id=repr(unknown[0]),
                           runs=sorted(known) or t("studio.err.no_runs_yet")))
    if len(wanted) < least:
        raise ValueError(t("runs.err.pick_least", least=least, count=len(wanted), runs=len(known)))
    if len(wanted) > most:
        raise ValueError(t("runs.err.pick_most", count=len(wanted), most=most))
    return [run for run in runs if run.run_id in wanted]


def default_selection(runs: Sequence[Run], last: int = 3) -> list[str]:
    """What the comparison shows unasked: the latest experiment's runs, else the last `last` runs."""
    latest = next((experiment_of(run)["id"] for run in reversed(runs) if experiment_of(run)), None)
    if latest is not None:
        return [run.run_id for run in runs if (experiment_of(run) or {}).get("id") == latest]
    return [run.run_id for run in runs[-last:]]


# --------------------------------------------------------------------------- settings that differ

def _setting_value(run: Run, name: str):
    if name == "dataset":  # the data it trained on (a user's upload is not the config's built-in name)
        return run.summary["dataset"]
    return getattr(run.config, name)


def format_value(name: str, value) -> str:
    """A config value as the settings table shows it: projections joined, floats short, flags on/off."""
    if value is None:
        return t("runs.value.auto")
    if isinstance(value, bool):
        return t("runs.value.on") if value else t("runs.value.off")
    if isinstance(value, (tuple, list)):
        return ", ".join(str(item) for item in value)
    if isinstance(value, float):
        return f"{value:g}"
    if name == "dataset":
        return datasets.dataset_label(value)
    return str(value)


def setting_label(name: str) -> str:
    return t(f"runs.setting.{name}")


def settings_diff(runs: Sequence[Run]) -> tuple[list[str], list[list[str]]]:
    """(columns, rows): a row per config field whose value is not the same in every run, a column per run.
    No rows when every setting is the same."""
    columns = [t("runs.col.setting"), *(run.run_id for run in runs)]
    rows = []
    for name in CONFIG_FIELDS:
        values = [_setting_value(run, name) for run in runs]
        if any(value != values[0] for value in values[1:]):
            rows.append([setting_label(name), *(format_value(name, value) for value in values)])
    return columns, rows


# --------------------------------------------------------------------------- loss curves overlaid

def legend_tag(run: Run) -> str:
    """What names a run in the legend: its id and rank ("run2 · r=8"), or its experiment variant."""
    experiment = experiment_of(run)
    if experiment and experiment.get("name") != "rank" and experiment.get("variant"):
        return f"{run.run_id} · {experiment['variant']}"
    return f"{run.run_id} · r={run.config.rank}"


def overlay_figure(runs: Sequence[Run], log_y: bool = False):
    """Each run's train loss (a line) and held-out loss (dashed, with markers) in the run's own color."""
    import plotly.graph_objects as go

    figure = go.Figure()
    for index, run in enumerate(runs):
        color, tag = COLORS[index % len(COLORS)], legend_tag(run)
        train, held_out = train_losses(run), held_out_losses(run)
        figure.add_scatter(x=[step for step, _ in train], y=[loss for _, loss in train], mode="lines",
                           name=t("runs.plot.train", tag=tag), legendgroup=run.run_id, line=dict(color=color))
        figure.add_scatter(x=[step for step, _ in held_out], y=[loss for _, loss in held_out], mode="lines+markers",
                           name=t("runs.plot.held_out", tag=tag), legendgroup=run.run_id,
                           line=dict(color=color, dash="dash"), marker=dict(size=7))
    figure.update_layout(title=t("runs.plot.title"), xaxis_title=t("studio.plot.step"),
                         yaxis_title=t("runs.plot.loss_log") if log_y else t("studio.plot.loss"), height=420,
                         margin=dict(l=60, r=20, t=50, b=40), legend=dict(orientation="v"))
    figure.update_yaxes(type="log" if log_y else "linear")
    return figure


# --------------------------------------------------------------------------- measures side by side

def _metric_names(runs: Sequence[Run]) -> list[tuple[str, str]]:
    """(metric name, dataset that names it) for every metric figure any run has, in first-seen order."""
    names: dict[str, str] = {}
    for run in runs:
        for key in ("metric_before", "metric_after", "metric_full_precision"):
            for name in run.summary.get(key) or {}:
                names.setdefault(name, run.summary["dataset"])
    return list(names.items())


def metrics_rows(runs: Sequence[Run]) -> tuple[list[str], list[list]]:
    """(columns, rows): a row per measure (losses, each metric before / after / full precision, speed, memory,
    time), a column per run."""
    columns = [t("runs.col.measure"), *(run.run_id for run in runs)]

    def row(label: str, value) -> list:
        return [label, *(value(run) for run in runs)]

    rows = [
        row(t("runs.measure.train_loss"), lambda run: _rounded(final_train_loss(run))),
        row(t("runs.measure.train_loss_mean", last=LAST_FEW), lambda run: _rounded(mean_train_loss(run))),
        row(t("runs.measure.held_out_start"), lambda run: _rounded((held_out_losses(run) or [(0, None)])[0][1])),
        row(t("runs.measure.held_out_loss"), lambda run: _rounded(final_held_out_loss(run))),
    ]
    for name, dataset in _metric_names(runs):
        label = datasets.metric_label(dataset, name)
        for key in ("metric_before", "metric_after", "metric_full_precision"):
            if any(name in (run.summary.get(key) or {}) for run in runs):
                rows.append(row(t(f"runs.measure.{key}", metric=label),
                                lambda run, key=key: _rounded((run.summary.get(key) or {}).get(name))))
    rows += [
        row(t("runs.measure.tokens_per_s"), lambda run: run.summary.get("tokens_per_s")),
        row(t("runs.measure.peak_mib"), peak_mib),
        row(t("runs.measure.wall_s"), lambda run: run.summary.get("wall_s")),
        row(t("runs.measure.trainable"), lambda run: run.summary.get("trainable_params")),
        row(t("runs.measure.steps_done"), lambda run: run.summary.get("steps_done")),
    ]
    return columns, rows

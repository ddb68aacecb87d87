"""The model card (README.md) every export carries: base model and what its weights are, dataset, settings,
metrics before and after, and how to load the export. Hub front matter (base_model, library_name, tags) on top."""

from __future__ import annotations

from playground import datasets, models
from playground.export.run_folder import RunFolder
from playground.i18n import t

LIBRARY = {"adapter": "peft", "merged": "transformers"}  # every gguf-* format: "gguf"
SETTINGS = ("quant_type", "double_quant", "rank", "alpha", "dropout", "target_modules", "steps", "learning_rate",
            "batch_size", "grad_accum", "max_length", "warmup_steps", "seed")


def hub_base(model_id: str) -> str | None:
    """The base's Hub id for the card's front matter: the bundled copy's original; none for the tiny model."""
    if model_id == models.BUNDLED_ID:
        return models.HUB_ID
    if model_id == models.TINY_ID:
        return None
    return model_id


def _number(value) -> str:
    return "–" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def metrics_rows(summary: dict) -> list[str]:
    before, after = summary.get("metric_before") or {}, summary.get("metric_after") or {}
    full = summary.get("metric_full_precision") or {}
    rows = []
    for name in before or after:
        label = datasets.metric_label(summary["dataset"], name)
        rows.append(f"| {label} | {_number(full.get(name))} | {_number(before.get(name))} | {_number(after.get(name))} |")
    losses = [entry["eval_loss"] for entry in summary.get("history", []) if "eval_loss" in entry]
    if losses:
        rows.append(f"| {t('export.card.held_out_loss')} | – | {losses[0]:.4f} | {losses[-1]:.4f} |")
    return rows


def model_card(run: RunFolder, fmt: str, how_to_run: str) -> str:
    config, summary = run.config, run.summary
    base = hub_base(config.model_id)
    trainable = f"{summary.get('trainable_params') or 0:,}"
    front = ["---", f"library_name: {LIBRARY.get(fmt, 'gguf')}"]
    if base:
        front.append(f"base_model: {base}")
    front += ["tags:", "  - peft", "  - lora", "  - qlora", "  - peft-playground"]
    if fmt.startswith("gguf"):
        front.append("  - gguf")
    front.append("---")
    settings = [f"| {name} | {', '.join(value) if isinstance(value, (list, tuple)) else value} |"
                for name, value in ((name, getattr(config, name)) for name in SETTINGS)]
    lines = [
        *front, "",
        f"# {t('export.card.title', model=config.model_id, dataset=datasets.dataset_label(summary['dataset']))}", "",
        t(f"export.card.what.{fmt}"), "",
        f"## {t('export.card.base')}", "",
        f"- {t('export.card.base_id')}: `{config.model_id}`" + (f" (Hub: `{base}`)" if base and base != config.model_id else ""),
        f"- {t('export.card.weights')}: {models.weights_origin(config.model_id)}",
        f"- {t('export.card.quant')}: {config.quant_type}" + (" + DQ" if config.double_quant else ""), "",
        f"## {t('export.card.dataset')}", "",
        f"- {t('export.card.dataset_name')}: {datasets.dataset_label(summary['dataset'])} (`{summary['dataset']}`)",
        f"- {t('export.card.steps_done', steps=summary.get('steps_done'), total=config.steps)}"
        + (f" ({t('export.card.stopped')})" if summary.get("stopped") else ""),
        f"- {t('export.card.trainable', count=trainable)}", "",
        f"## {t('export.card.settings')}", "",
        f"| {t('export.card.setting')} | {t('export.card.value')} |", "|---|---|", *settings, "",
        f"## {t('export.card.metrics')}", "",
    ]
    rows = metrics_rows(summary)
    if rows:
        lines += [f"| {t('export.card.metric')} | {t('export.card.full')} | {t('export.card.before')} | "
                  f"{t('export.card.after')} |", "|---|---|---|---|", *rows]
    else:
        lines.append(t("export.card.no_metrics"))
    lines += ["", f"## {t('export.card.how')}", "", how_to_run, ""]
    return "\n".join(lines)

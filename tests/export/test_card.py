"""The model card: base model and what its weights are, dataset, settings, metrics before/after, how to load."""

from __future__ import annotations

from playground import models
from playground.export import card


def test_card_fields(bundled_run):
    text = card.model_card(bundled_run, "adapter", "HOW-TO")
    assert text.startswith("---\nlibrary_name: peft\nbase_model: HuggingFaceTB/SmolLM2-135M-Instruct\n")
    assert "`bundled/SmolLM2-135M-Instruct`" in text and "Q4_1" in text  # weights_origin's sentence
    assert "| rank | 8 |" in text and "| alpha | 16.0 |" in text and "nf4 + DQ" in text
    assert "Dataset: pirate-style answers" in text or "(`pirate`)" in text
    summary = bundled_run.summary
    before, after = summary["metric_before"]["score"], summary["metric_after"]["score"]
    assert f"| {before:.4g} | {after:.4g} |" in text
    losses = [entry["eval_loss"] for entry in summary["history"] if "eval_loss" in entry]
    assert f"| {losses[0]:.4f} | {losses[-1]:.4f} |" in text
    assert text.rstrip().endswith("HOW-TO")


def test_tiny_card_has_no_hub_base(tiny_run):
    text = card.model_card(tiny_run, "gguf-q8_0", "")
    assert "base_model" not in text and "library_name: gguf" in text and "  - gguf" in text
    assert card.hub_base(models.TINY_ID) is None and card.hub_base("org/model") == "org/model"

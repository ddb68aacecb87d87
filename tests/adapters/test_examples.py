"""The notes' examples: each one's settings, counted by the tab's real code, show the figures the notes compute,
and peft counts the same where peft has the method (LoRA, prompt tuning)."""

from __future__ import annotations

import pytest
import torch

from playground import adapters as A
from playground import models
from playground.adapters.examples import DEFAULTS, EXAMPLES
from playground.checks import config_from_form


def table(example):
    values = example.values(models.BUNDLED_ID)
    config = A.custom_config_from_form(values) if values["source"] == "custom" else models.model_config(values["model_id"])
    settings = config_from_form(A.MethodSettings, values)
    return values, config, settings, A.parameter_table(config, settings)


def figures(rows) -> dict:
    lora = [row for row in rows if row.method == "LoRA"]
    adapters = [row for row in rows if row.method.startswith("Adapter")]
    return dict(lora_module=lora[0].per_layer, weight_params=lora[0].weight_params,
                lora_share_of_w=lora[0].share_of_weight, lora_module_share_of_base=lora[0].share_of_base,
                lora_total=lora[-1].trainable, adapter_module=adapters[0].per_layer,
                adapter_total=adapters[-1].trainable, prompt_total=rows[-1].trainable)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_example_shows_its_figures(name):
    example = EXAMPLES[name]
    *_, rows = table(example)
    shown = figures(rows)
    for key, value in example.figures.items():
        if key == "lora_module_share_of_base":
            assert round(shown[key], 4) == value, key
        else:
            assert shown[key] == pytest.approx(value, rel=1e-12), key


def test_the_notes_numbers():
    """The figures as the notes write them (seeds 000 and 003)."""
    *_, rows = table(EXAMPLES["bottleneck_6_2_6"])
    adapter = [row for row in rows if row.method.startswith("Adapter")]
    assert adapter[0].per_layer == 32 and adapter[0].formula == "2md+d+m = 2·2·6+6+2"
    *_, rows = table(EXAMPLES["lora_4096_r16"])
    q = rows[0]
    assert (q.module, q.per_layer, q.weight_params) == ("q_proj", 131_072, 16_777_216)
    assert f"{q.share_of_weight:.2f}%" == "0.78%" and f"{q.share_of_base:.4f}%" == "0.0628%"
    *_, rows = table(EXAMPLES["lora_768_r4"])
    assert rows[0].per_layer == 6_144 and f"{rows[0].share_of_weight:.2f}" == "1.04"


def test_every_example_sets_every_setting_of_the_form():
    for example in EXAMPLES.values():
        values = example.values(models.BUNDLED_ID)
        assert list(values) == list(DEFAULTS) and values["model_id"] == models.BUNDLED_ID
        assert set(example.settings) <= set(DEFAULTS), example.name
        assert 0 <= values["dropout"] <= 0.5 and set(values["target_modules"]) <= set(A.LLAMA_TARGETS)


def _meta_model(config):
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_peft_counts_the_same(name):
    import peft

    values, config, settings, rows = table(EXAMPLES[name])
    targets = list(A.resolve_targets(config, settings.target_modules))
    lora = peft.get_peft_model(_meta_model(config), peft.LoraConfig(
        r=settings.r, lora_alpha=settings.alpha, target_modules=targets, task_type="CAUSAL_LM"))
    assert lora.get_nb_trainable_parameters()[0] == next(r for r in rows if r.module == "total").trainable
    prompt = peft.get_peft_model(_meta_model(config), peft.PromptTuningConfig(
        num_virtual_tokens=settings.prompt_tokens, task_type="CAUSAL_LM"))
    assert prompt.get_nb_trainable_parameters()[0] == rows[-1].trainable

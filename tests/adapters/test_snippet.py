"""Show the code: each snippet runs, and what it builds trains exactly the tab's counts (peft's own, for LoRA
and prompt tuning; the plain-torch adapter for the bottleneck adapters)."""

from __future__ import annotations

import copy

import pytest

from playground import adapters as A
from playground import models
from playground.adapters.examples import EXAMPLES
from playground.adapters.snippet import loading_code, methods_code, snippet
from playground.checks import config_from_form
from playground.i18n import using
from tests.browser.test_language import english_sentences

TINY = dict(source="loaded", model_id=models.TINY_ID, r=4, alpha=8, dropout=0.0, use_rslora=False,
            target_modules=["q", "v"], bottleneck=16, placement="houlsby", prompt_tokens=10, layer=0)


def tab_counts(values: dict, config) -> dict[str, int]:
    """What the tab's parameter table says each method trains."""
    rows = A.parameter_table(config, config_from_form(A.MethodSettings, values))
    lora = next(row for row in rows if row.method == "LoRA" and row.module == "total")
    return {"lora_model": lora.trainable, "adapter_model": rows[-2].trainable, "prompt_model": rows[-1].trainable}


def trainable(model) -> int:
    return sum(x.numel() for x in model.parameters() if x.requires_grad)


def run(code: str, namespace: dict | None = None) -> dict:
    namespace = dict(namespace or {})
    exec(compile(code, "<snippet>", "exec"), namespace)  # noqa: S102 - the snippet the page shows
    return namespace


@pytest.mark.parametrize("change", [
    {},
    {"target_modules": ["q", "k", "v", "o", "gate", "up", "down"], "r": 8, "use_rslora": True, "dropout": 0.1},
    {"placement": "pfeiffer", "bottleneck": 4, "prompt_tokens": 3},
])
def test_each_snippet_on_the_tiny_model_trains_the_tabs_counts(tiny, change):
    values = {**TINY, **change}
    expected = tab_counts(values, tiny.model.config)
    body = methods_code(values, tiny.model.config)
    built = run(body, {"peft": __import__("peft"), "torch": __import__("torch"),
                       "load": lambda: copy.deepcopy(tiny.model)})
    assert {name: trainable(built[name]) for name in expected} == expected
    # peft's own count of its trainable parameters agrees
    assert built["lora_model"].get_nb_trainable_parameters()[0] == expected["lora_model"]
    assert built["prompt_model"].get_nb_trainable_parameters()[0] == expected["prompt_model"]
    # the snippet's adapters really run, in series: the output changes from the base's only a little
    ids = tiny.tokenizer("hello there", return_tensors="pt").input_ids
    assert built["adapter_model"](input_ids=ids).logits.shape == tiny.model(input_ids=ids).logits.shape


def test_the_whole_tiny_snippet_runs_as_shown():
    values = dict(TINY)
    config = models.tiny_config()
    built = run(snippet(values, config))
    assert {name: trainable(built[name]) for name in ("lora_model", "adapter_model", "prompt_model")} == \
        tab_counts(values, config)


@pytest.mark.parametrize("name", ["bottleneck_6_2_6", "lora_4096_r16", "lora_768_r4"])
def test_the_custom_shape_examples_run_on_the_meta_device(name):
    values = EXAMPLES[name].values(models.BUNDLED_ID)
    config = A.custom_config_from_form(values)
    code = snippet(values)
    assert 'torch.device("meta")' in code and "from_pretrained" not in code
    built = run(code)
    assert {key: trainable(built[key]) for key in ("lora_model", "adapter_model", "prompt_model")} == \
        tab_counts(values, config)


def test_the_bundled_model_is_loaded_from_its_hub_original_and_settings_are_filled_in():
    values = {**TINY, "model_id": models.BUNDLED_ID, "r": 16, "alpha": 32, "dropout": 0.05,
              "target_modules": ["q", "down"], "use_rslora": True, "prompt_tokens": 20, "bottleneck": 36}
    code = loading_code(values)
    assert f"from_pretrained({models.HUB_ID!r})" in code
    body = methods_code(values, models.model_config(models.BUNDLED_ID))
    assert "r=16, lora_alpha=32, lora_dropout=0.05," in body
    assert "target_modules=['q_proj', 'down_proj'], use_rslora=True" in body
    assert "num_virtual_tokens=20" in body
    assert "decoder_layer.self_attn.o_proj = AfterSublayer(decoder_layer.self_attn.o_proj, 576, 36)" in body
    assert "decoder_layer.mlp = AfterSublayer(decoder_layer.mlp, 576, 36)" in body
    pfeiffer = methods_code({**values, "placement": "pfeiffer"}, models.model_config(models.BUNDLED_ID))
    assert "o_proj" not in pfeiffer


def test_the_korean_snippet_has_korean_comments_and_no_english_sentence():
    values = EXAMPLES["lora_4096_r16"].values(models.BUNDLED_ID)
    with using("ko"):
        code = snippet(values)
    assert "# 매번" not in code and "meta 장치" in code  # the custom shape's comment, in Korean
    assert english_sentences(code) == []
    with using("ko"):
        tiny_code = snippet(dict(TINY), models.tiny_config())
    assert english_sentences(tiny_code) == []


def test_bad_settings_are_a_message():
    with pytest.raises(ValueError, match="bottleneck 600 is larger than d_model = 64"):
        methods_code({**TINY, "bottleneck": 600}, models.tiny_config())

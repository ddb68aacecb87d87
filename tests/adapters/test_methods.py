"""Parameter counts against peft and against the models built here; adapter surgery; the numerical checks."""

from __future__ import annotations

import copy
import re

import pytest
import torch
from peft import LoraConfig, PromptTuningConfig, get_peft_model
from transformers import AutoConfig, AutoModelForCausalLM, GPT2Config, Qwen2Config

from playground import adapters as A
from playground import models
from playground.adapters import LLAMA_TARGETS, MethodSettings
from playground.adapters.lora import LoraLinear

RANKS = (1, 2, 4, 8, 16)


def meta_model(config):
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(config)


def peft_lora_count(model, r, target_modules, **extra) -> int:
    peft_model = get_peft_model(model, LoraConfig(r=r, lora_alpha=2 * r, target_modules=list(target_modules), **extra))
    return peft_model.get_nb_trainable_parameters()[0]


def qwen2_tiny():
    """Qwen2-style: q/k/v carry biases, GQA, untied head."""
    return Qwen2Config(vocab_size=256, hidden_size=64, intermediate_size=160, num_hidden_layers=3,
                       num_attention_heads=8, num_key_value_heads=2, tie_word_embeddings=False)


def gpt2_tiny():
    return GPT2Config(vocab_size=256, n_embd=48, n_layer=2, n_head=4, n_positions=64,
                      bos_token_id=0, eos_token_id=0)


@pytest.fixture(scope="module")
def smollm_config():
    return AutoConfig.from_pretrained(models.model_dir(models.BUNDLED_ID))


def module_names(subset):
    return [f"{short}_proj" for short in subset]


# --------------------------------------------------------------------------- counts

def test_smollm2_reference_counts(smollm_config):
    for r in RANKS:
        assert A.lora_param_count(smollm_config, r, LLAMA_TARGETS) == 305_280 * r
        assert A.lora_param_count(smollm_config, r, ("q", "v")) == 57_600 * r
    assert A.lora_param_count(smollm_config, 8, LLAMA_TARGETS) == 2_442_240
    assert A.base_param_count(smollm_config) == 134_515_008


def test_all_127_subsets_on_a_tiny_llama_equal_peft():
    config = models.tiny_config()
    subsets = A.all_target_subsets()
    assert len(subsets) == 127
    for index, subset in enumerate(subsets):
        r = RANKS[index % len(RANKS)]
        expected = peft_lora_count(meta_model(config), r, module_names(subset))
        assert A.lora_param_count(config, r, subset) == expected, subset


def test_all_127_subsets_on_a_qwen2_config_with_qkv_biases_equal_peft():
    config = qwen2_tiny()
    assert meta_model(config).model.layers[0].self_attn.q_proj.bias is not None
    for index, subset in enumerate(A.all_target_subsets()):
        r = RANKS[(index + 2) % len(RANKS)]
        expected = peft_lora_count(meta_model(config), r, module_names(subset))
        assert A.lora_param_count(config, r, module_names(subset)) == expected, subset


def test_gpt2_conv1d_subsets_equal_peft():
    config = gpt2_tiny()
    for subset in A.all_target_subsets(("c_attn", "c_proj", "c_fc")):
        for r in (1, 8):
            expected = peft_lora_count(meta_model(config), r, subset, fan_in_fan_out=True)
            assert A.lora_param_count(config, r, subset) == expected, subset
    # c_proj is two layers of different shapes: 48→48 (attention) and 192→48 (MLP)
    assert A.lora_param_count(config, 1, ["c_proj"]) == 2 * ((48 + 48) + (192 + 48))


@pytest.mark.parametrize("subset, r", [(LLAMA_TARGETS, 8), (("q", "v"), 4), (("k", "o", "down"), 16), (("gate", "up"), 2)])
def test_smollm2_config_counts_equal_peft_on_the_real_model(smollm, subset, r):
    model = copy.deepcopy(smollm.model)
    expected = peft_lora_count(model, r, module_names(subset))
    assert A.lora_param_count(smollm.model.config, r, subset) == expected
    assert A.lora_param_count(smollm.model, r, subset) == expected  # from the instantiated model too


@pytest.mark.parametrize("config_factory", [models.tiny_config, qwen2_tiny, gpt2_tiny])
def test_add_lora_builds_what_the_formula_and_peft_count(config_factory):
    config = config_factory()
    subset = ("c_attn", "c_fc") if config.model_type == "gpt2" else ("q", "k", "down")
    model = AutoModelForCausalLM.from_config(config)
    layers = A.add_lora(model, 4, 8.0, subset)
    assert all(isinstance(layer, LoraLinear) for layer in layers)
    extra = {"fan_in_fan_out": True} if config.model_type == "gpt2" else {}
    expected = peft_lora_count(meta_model(config), 4, subset if config.model_type == "gpt2" else module_names(subset), **extra)
    assert A.trainable_param_count(model) == A.lora_param_count(config, 4, subset) == expected


def test_gpt2_lora_on_conv1d_keeps_the_output():
    config = gpt2_tiny()
    model = AutoModelForCausalLM.from_config(config).eval()
    ids = torch.randint(0, 256, (2, 10))
    with torch.no_grad():
        reference = model(input_ids=ids).logits
        lora = copy.deepcopy(model)
        A.add_lora(lora, 4, 8.0, ["c_attn", "c_proj", "c_fc"])
        torch.testing.assert_close(lora(input_ids=ids).logits, reference, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("placement, per_layer", [("houlsby", 2), ("pfeiffer", 1)])
@pytest.mark.parametrize("config_factory", [models.tiny_config, qwen2_tiny, gpt2_tiny])
def test_adapter_count_equals_the_built_model(config_factory, placement, per_layer):
    config = config_factory()
    d = config.hidden_size
    for m in (1, 8, d):
        model = AutoModelForCausalLM.from_config(config)
        added = A.add_adapters(model, m, placement)
        assert len(added) == per_layer * config.num_hidden_layers
        expected = A.adapter_param_count(config, m, placement)
        assert A.trainable_param_count(model) == expected
        assert expected == per_layer * config.num_hidden_layers * (2 * m * d + d + m)


def test_smollm2_adapter_counts_on_a_meta_build(smollm_config):
    model = meta_model(smollm_config)
    A.add_adapters(model, 36, "houlsby")
    assert A.trainable_param_count(model) == A.adapter_param_count(smollm_config, 36, "houlsby")
    assert A.adapter_param_count(smollm_config, 36, "houlsby") == 60 * (2 * 36 * 576 + 576 + 36) == 2_525_040
    assert A.adapter_param_count(smollm_config, 36, "pfeiffer") == 1_262_520


def test_prompt_tuning_count_equals_peft(smollm_config):
    for config in (models.tiny_config(), qwen2_tiny(), smollm_config):
        peft_model = get_peft_model(meta_model(config), PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=20))
        assert A.prompt_tuning_param_count(config, 20) == peft_model.get_nb_trainable_parameters()[0]
    assert A.prompt_tuning_param_count(smollm_config, 20) == 11_520


def test_prompt_tuning_module_prepends_trainable_tokens(tiny):
    model = copy.deepcopy(tiny.model)
    tuned = A.PromptTuning(model, 5)
    assert A.trainable_param_count(tuned) == 5 * 64
    ids = torch.randint(0, 1000, (2, 7))
    out = tuned(ids, attention_mask=torch.ones_like(ids))
    assert out.logits.shape == (2, 12, 49152)
    out.logits.sum().backward()
    assert tuned.prompt.grad is not None and tuned.prompt.grad.abs().sum() > 0


# --------------------------------------------------------------------------- adapter modules

def test_houlsby_wraps_attention_output_and_mlp(tiny):
    model = copy.deepcopy(tiny.model)
    A.add_adapters(model, 8, "houlsby")
    block = model.model.layers[0]
    assert isinstance(block.self_attn.o_proj, A.SerialAdapter)
    assert isinstance(block.mlp, A.SerialAdapter)
    pfeiffer = copy.deepcopy(tiny.model)
    A.add_adapters(pfeiffer, 8, "pfeiffer")
    assert not isinstance(pfeiffer.model.layers[0].self_attn.o_proj, A.SerialAdapter)
    assert isinstance(pfeiffer.model.layers[0].mlp, A.SerialAdapter)
    assert not any(p.requires_grad for n, p in model.named_parameters() if ".adapter." not in n)


def test_adapter_is_serial_with_an_internal_skip():
    adapter = A.BottleneckAdapter(16, 4)
    assert adapter.down.weight.shape == (4, 16) and adapter.up.weight.shape == (16, 4)
    assert torch.count_nonzero(adapter.down.bias) == 0 and torch.count_nonzero(adapter.up.bias) == 0
    assert abs(adapter.down.weight.std().item() - 1e-2) < 4e-3
    x = torch.randn(3, 16)
    torch.testing.assert_close(adapter(x), x + adapter.up(torch.relu(adapter.down(x))))
    torch.nn.init.zeros_(adapter.up.weight)
    assert torch.equal(adapter(x), x)  # with a zero up-projection it is exactly the identity
    sublayer = torch.nn.Linear(16, 16)
    wrapped = A.SerialAdapter(sublayer, adapter)
    torch.testing.assert_close(wrapped(x), adapter(sublayer(x)))


def test_checks_pass_on_the_real_model(smollm):
    ids = smollm.tokenizer("Adapters run in series; LoRA runs beside the frozen weight.", return_tensors="pt").input_ids
    variants, checks = A.build_variants(smollm.model, MethodSettings(r=8, target_modules=LLAMA_TARGETS, bottleneck=36), ids)
    by_name = {c.name.split(" (")[0]: c for c in checks}
    fresh = by_name["fresh LoRA"]
    assert fresh.max_abs_diff == 0.0 and fresh.top1_agreement == 1.0
    merged = by_name["LoRA merged vs unmerged"]
    assert 0 < merged.max_abs_diff < 1e-3
    adapter = by_name["fresh adapters"]
    assert 0 < adapter.mean_abs_diff < 1.0 and adapter.top1_agreement >= 0.8
    assert all(c.passed for c in checks), checks
    assert variants["base"] is smollm.model
    assert not any(isinstance(m, (LoraLinear, A.SerialAdapter)) for m in smollm.model.modules())
    assert sum(isinstance(m, A.SerialAdapter) for m in variants["adapters"].modules()) == 60
    assert all(layer.merged for layer in A.lora_layers(variants["lora_merged"]))


# --------------------------------------------------------------------------- tables and bad input

def test_parameter_table_fills_in_the_formulas(smollm_config):
    rows = {(r.method, r.module): r for r in A.parameter_table(smollm_config, MethodSettings(r=8, bottleneck=36, prompt_tokens=20))}
    q = rows[("LoRA", "q_proj")]
    assert q.formula == "r·(d_in+d_out) = 8·(576+576)" and q.per_layer == 9_216 and q.trainable == 276_480
    assert rows[("LoRA", "v_proj")].per_layer == 8 * (576 + 192)
    total = rows[("LoRA", "total")]
    assert total.trainable == 460_800 and total.bytes_fp32 == 1_843_200
    assert total.share_of_base == pytest.approx(100 * 460_800 / 134_515_008)
    assert rows[("Adapter (houlsby)", "total")].trainable == 2_525_040
    assert rows[("Adapter (houlsby)", "after mlp")].formula == "2md+d+m = 2·36·576+576+36"
    assert rows[("Prompt tuning", "virtual tokens")].trainable == 11_520


def test_sweep_is_linear_in_rank(smollm_config):
    curves = A.sweep(smollm_config, MethodSettings(target_modules=LLAMA_TARGETS))
    lora = dict(curves["LoRA (q+k+v+o+gate+up+down), x = rank r"])
    assert lora[1] == 305_280 and lora[64] == 64 * 305_280
    assert max(lora) == 128  # k/v are 576→192, so r ≤ 192: 256 is left out


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(r=0), "LoRA rank must be a whole number of at least 1, got 0"),
        (dict(r=193, target_modules=("k",)), "r must be at most min(d_in, d_out) = min(576, 192) = 192"),
        (dict(bottleneck=0), "bottleneck size must be a whole number of at least 1, got 0"),
        (dict(bottleneck=577), "bottleneck 577 is larger than d_model = 576"),
        (dict(target_modules=()), "Choose at least one LoRA target module"),
        (dict(alpha=0), "alpha must be greater than 0, got 0"),
        (dict(alpha=-2.0), "alpha must be greater than 0, got -2.0"),
        (dict(placement="middle"), "placement must be one of houlsby, pfeiffer, got 'middle'"),
        (dict(prompt_tokens=0), "virtual tokens must be a whole number from 1 to 1024, got 0"),
        (dict(target_modules=("qq",)), "unknown target module 'qq'"),
    ],
)
def test_bad_input_messages(smollm_config, settings, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        MethodSettings(**settings).check_for(smollm_config)


def test_custom_shape_config_counts():
    config = A.custom_llama_config(d_model=576, d_ff=1536, layers=30, heads=9, kv_heads=3)
    assert A.lora_param_count(config, 1, LLAMA_TARGETS) == 305_280
    assert A.base_param_count(config) == 134_515_008
    with pytest.raises(ValueError, match="divisible"):
        A.custom_llama_config(d_model=100, d_ff=200, layers=2, heads=3)
    with pytest.raises(ValueError, match="layers must be a whole number from 1 to 1024, got 0"):
        A.custom_llama_config(d_model=64, d_ff=128, layers=0, heads=4)


def test_unsupported_architecture_is_named():
    from transformers import BloomConfig

    with pytest.raises(ValueError, match="model type 'bloom' is not supported"):
        A.lora_param_count(BloomConfig(), 8, ["q"])


def test_base_count_by_arithmetic_equals_the_built_model(smollm):
    from transformers import AutoModelForCausalLM, LlamaConfig

    untied_gqa = LlamaConfig(hidden_size=256, intermediate_size=512, num_hidden_layers=3, num_attention_heads=8,
                             num_key_value_heads=2, head_dim=48, vocab_size=1000, tie_word_embeddings=False)
    for config in (smollm.model.config, untied_gqa, A.custom_llama_config(576, 1536, 30, 9, 3)):
        with torch.device("meta"):
            built = AutoModelForCausalLM.from_config(config)
        assert A.base_param_count(config) == sum(p.numel() for p in built.parameters())
    assert A.base_param_count(smollm.model.config) == 134_515_008


@pytest.mark.parametrize(
    "shape, message",
    [
        ((576, 1536, 20_000, 9, 3), "layers must be a whole number from 1 to 1024, got 20000"),
        ((10**12, 1536, 30, 9, 3), "d_model must be a whole number from 1 to 131072, got 1000000000000"),
        ((576, 1 << 21, 30, 9, 3), "d_ff must be a whole number from 1 to 1048576, got 2097152"),
        ((576, 1536, 30, 9, 5000), "KV heads must be a whole number from 1 to 4096, got 5000"),
    ],
)
def test_custom_shapes_are_bounded_before_anything_is_counted(shape, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        A.custom_llama_config(*shape)


def test_the_largest_custom_shape_is_counted_by_arithmetic():
    config = A.custom_llama_config(131_072, 1 << 20, 1024, 4096, 4096)
    rows = {(row.method, row.module): row for row in A.parameter_table(config, MethodSettings(r=8))}
    assert rows[("LoRA", "total")].trainable == 1024 * 8 * 2 * (131_072 + 131_072)
    layer = 131_072 * 131_072 * 4 + 3 * 131_072 * (1 << 20) + 2 * 131_072
    assert A.base_param_count(config) == 1024 * layer + 49152 * 131_072 + 131_072

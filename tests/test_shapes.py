"""Block shapes and LoRA counts: one source, checked against the real models' parameters and against peft."""

from __future__ import annotations

import pytest
from transformers import GPT2Config, LlamaConfig

from playground import models, shapes


def test_smollm_shape_from_its_config(smollm):
    shape = shapes.ModelShape.from_config(smollm.model.config)
    assert (shape.hidden, shape.intermediate, shape.layers, shape.heads, shape.kv_heads, shape.head_dim) == (
        576, 1536, 30, 9, 3, 64)
    assert shape.projection_shapes() == {
        "q_proj": (576, 576), "k_proj": (576, 192), "v_proj": (576, 192), "o_proj": (576, 576),
        "gate_proj": (576, 1536), "up_proj": (576, 1536), "down_proj": (1536, 576),
    }
    assert shape.plain_head and shape.tied
    # every projection of the real model has the shape written here (Linear weights are out × in)
    block = smollm.model.model.layers[0]
    for projection in shape.projections():
        module = getattr(block.self_attn, projection.name, None) or getattr(block.mlp, projection.name)
        assert tuple(module.weight.shape) == (projection.d_out, projection.d_in)
    assert shape.quantized_params + shape.unquantized_params == sum(p.numel() for p in smollm.model.parameters())


def test_one_count_for_configs_models_and_shapes(smollm):
    config = smollm.model.config
    shape = shapes.ModelShape.from_config(config)
    for source in (config, smollm.model, shape):
        assert shapes.lora_param_count(source, 8, shapes.LLAMA_PROJECTIONS) == 2_442_240 == 305_280 * 8
        assert shapes.lora_param_count(source, 4, ("q", "v")) == 57_600 * 4
        assert shapes.lora_param_count(source, 4, ("q_proj", "v")) == 57_600 * 4  # short and module names mix


def test_gpt2_has_two_c_proj_of_different_shapes():
    config = GPT2Config(n_embd=48, n_layer=2, n_head=4)
    assert [(p.name, p.d_in, p.d_out) for p in shapes.block_projections(config)] == [
        ("c_attn", 48, 144), ("c_proj", 48, 48), ("c_fc", 48, 192), ("c_proj", 192, 48)]
    assert shapes.lora_param_count(config, 1, ["c_proj"]) == 2 * ((48 + 48) + (192 + 48))
    with pytest.raises(ValueError, match="model type 'gpt2' is not supported"):
        shapes.ModelShape.from_config(config)  # the fine-tune's estimates cover the Llama family only


def test_grouped_query_attention_and_explicit_head_dim():
    config = LlamaConfig(hidden_size=256, intermediate_size=512, num_hidden_layers=3, num_attention_heads=8,
                         num_key_value_heads=2, head_dim=48, vocab_size=1000)
    shape = shapes.ModelShape.from_config(config)
    assert shape.projection_shapes()["q_proj"] == (256, 8 * 48)
    assert shape.projection_shapes()["k_proj"] == (256, 2 * 48)
    assert shape.projection_shapes()["o_proj"] == (8 * 48, 256)
    assert not shape.tied and shape.unquantized_params == 2 * 1000 * 256 + 3 * 2 * 256 + 256


def test_bad_targets_and_architectures_are_named():
    config = models.load_model(models.TINY_ID).model.config
    with pytest.raises(ValueError, match="unknown target module 'qq'; this model has q_proj, k_proj"):
        shapes.resolve_targets(config, ["qq"])
    with pytest.raises(ValueError, match="Choose at least one target module"):
        shapes.resolve_targets(config, [])
    from transformers import BloomConfig

    with pytest.raises(ValueError, match="model type 'bloom' is not supported here; supported: llama, mistral"):
        shapes.block_projections(BloomConfig())

"""The QLoRA paper's memory arithmetic, as the Studio computes it with its own memory model."""

from __future__ import annotations

import pytest

from playground.finetune import ALL_PROJECTIONS, PRESETS, FinetuneConfig
from playground.finetune.examples import GB, PAPER_SHAPES, STUDIO_EXAMPLES, paper_memory


def test_65b_full_finetune_needs_more_than_780_gb_and_qlora_less_than_48():
    figures = paper_memory("65B")
    assert figures.params == 65_285_660_672  # LLaMA-65B: 80 layers of 8192 / 22016, vocabulary 32,000, untied head
    assert figures.full_finetune_bytes == figures.params * 12  # 16-bit weights 2 + gradients 2 + Adam 8
    assert figures.full_finetune_bytes / GB == pytest.approx(783.43, abs=0.01) and figures.full_finetune_bytes > 780 * GB
    assert figures.bits_plain == 4.5 and figures.bits_double_quant == 4.126953125
    assert figures.lora_params == 80 * 16 * 2 * (8192 + 8192) == 41_943_040  # r = 16 on q and v
    assert figures.qlora_bytes / GB == pytest.approx(36.18, abs=0.01) and figures.qlora_bytes < 48 * GB
    # double quantization saves 0.373 bits on each of the 64.7 B quantized weights: ≈3 GB, as the paper says
    quantized = PAPER_SHAPES["65B"].quantized_params
    assert figures.double_quant_saving_bytes == pytest.approx(quantized * (4.5 - 4.126953125) / 8, rel=1e-6)
    assert figures.double_quant_saving_bytes / GB == pytest.approx(3.02, abs=0.01)


def test_7b_arithmetic():
    figures = paper_memory("7B")
    assert figures.params == 6_738_415_616
    assert figures.full_finetune_bytes / GB == pytest.approx(80.86, abs=0.01)
    assert figures.lora_params == 32 * 2 * 16 * (4096 + 4096) == 8_388_608  # the notes' 131,072 per W, twice a layer
    assert figures.weights_bytes / GB == pytest.approx(4.39, abs=0.01)
    assert figures.weights_plain_bytes / GB == pytest.approx(4.69, abs=0.01)
    assert figures.qlora_bytes / GB == pytest.approx(4.52, abs=0.01)


def test_the_paper_recipe_with_float32_lora_state_is_at_the_48_gb_line():
    """r = 64 on every linear layer, with the LoRA weights and the upcast embeddings in float32 as
    prepare_model_for_kbit_training leaves them: 48.3 GB (the paper keeps them in 16 bits)."""
    figures = paper_memory("65B", 64, ALL_PROJECTIONS)
    assert figures.lora_params == 799_539_200
    assert figures.qlora_bytes / GB == pytest.approx(48.30, abs=0.01)


def test_an_unknown_size_is_refused():
    with pytest.raises(ValueError, match="model size must be one of"):
        paper_memory("13B")


@pytest.mark.parametrize("name", sorted(STUDIO_EXAMPLES))
def test_every_studio_example_is_a_valid_run(name):
    config = FinetuneConfig(**{**PRESETS["quick"], **STUDIO_EXAMPLES[name]})
    assert config.rank == STUDIO_EXAMPLES[name]["rank"]

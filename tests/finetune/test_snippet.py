"""The Studio's settings as transformers + peft + bitsandbytes code: executed on the tiny model."""

from __future__ import annotations

from playground import models
from playground.finetune import FinetuneConfig, model_shape
from playground.finetune.snippet import snippet
from playground.shapes import lora_param_count


def test_the_snippet_trains_the_same_lora_as_the_studio(tiny, capsys):
    config = FinetuneConfig(model_id=models.TINY_ID, dataset="sentiment", steps=2, warmup_steps=0, rank=4, alpha=8.0,
                            target_modules=("q_proj", "v_proj", "down_proj"), batch_size=2, learning_rate=0.01)
    code = snippet(config, model_path=str(models.model_dir(models.TINY_ID)))
    namespace: dict = {}
    exec(compile(code, "snippet.py", "exec"), namespace)  # noqa: S102 - the code the tab shows, run as a user would
    trainable = sum(p.numel() for p in namespace["model"].parameters() if p.requires_grad)
    assert trainable == lora_param_count(model_shape(models.TINY_ID), 4, ("q_proj", "v_proj", "down_proj"))
    printed = capsys.readouterr().out
    assert "step 1: loss" in printed and "step 2: loss" in printed
    assert f"trainable params: {trainable:,}" in printed


def test_the_snippet_shows_the_settings():
    code = snippet(FinetuneConfig(model_id=models.BUNDLED_ID, quant_type="fp4", double_quant=False, rank=16, alpha=32.0,
                                  dropout=0.1, target_modules=("q_proj", "v_proj"), learning_rate=2e-4, steps=30))
    assert "load_in_4bit=True" in code and "bnb_4bit_quant_type='fp4'" in code
    assert "bnb_4bit_use_double_quant=False" in code and "bnb_4bit_compute_dtype=torch.float32" in code
    assert "r=16," in code and "lora_alpha=32.0," in code and "lora_dropout=0.1," in code
    assert "target_modules=['q_proj', 'v_proj']," in code and "lr=0.0002" in code and "range(30)" in code
    assert "prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)" in code
    # the bundled copy is not on the Hub: the code loads its bf16 original, and says so
    assert f"model_id = {models.HUB_ID!r}  # the bf16 original" in code
    compile(code, "snippet.py", "exec")

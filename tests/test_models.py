"""Model loading: the real bundled model, the cache's integrity checks, and what is refused."""

from __future__ import annotations

import dataclasses
import json
import threading

import pytest
import torch

from playground import models


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache folder and no per-process memory of verified folders."""
    monkeypatch.setattr(models, "LIMITS", dataclasses.replace(models.LIMITS, cache_dir=tmp_path))
    monkeypatch.setattr(models, "_verified", set())
    return tmp_path


def test_bundled_model_is_smollm2_135m(smollm):
    config = smollm.model.config
    assert (config.hidden_size, config.intermediate_size, config.num_hidden_layers) == (576, 1536, 30)
    assert (config.num_attention_heads, config.num_key_value_heads, config.vocab_size) == (9, 3, 49152)
    assert sum(p.numel() for p in smollm.model.parameters()) == 134_515_008
    assert smollm.model.lm_head.weight.data_ptr() == smollm.model.model.embed_tokens.weight.data_ptr()
    assert not any(p.requires_grad for p in smollm.model.parameters())
    assert len(models.linear_layers(smollm.model)) == 30 * 7


def test_bundled_model_answers_like_an_instruct_model(smollm):
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = smollm.tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    with torch.inference_mode():
        output = smollm.model.generate(**inputs, max_new_tokens=12, do_sample=False)
    answer = smollm.tokenizer.decode(output[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer


def test_each_model_is_loaded_once_per_process(tiny):
    results = []
    threads = [threading.Thread(target=lambda: results.append(models.load_model(models.TINY_ID))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result is tiny for result in results)


def test_cache_has_a_manifest_that_matches(smollm):
    assert models.verify_cache(smollm.path)
    manifest = json.loads((smollm.path / models.MANIFEST).read_text())
    assert manifest["files"]["model.safetensors"]["size"] == (smollm.path / "model.safetensors").stat().st_size


def test_truncated_cache_is_detected_and_rebuilt(fresh_cache):
    folder = models.model_dir(models.TINY_ID)
    weights = folder / "model.safetensors"
    good_size = weights.stat().st_size
    with weights.open("r+b") as handle:  # an interrupted write: the file stops halfway
        handle.truncate(good_size // 2)
    assert not models.verify_cache(folder)
    models._verified.clear()  # a new process would not remember the folder
    messages = []
    rebuilt = models.model_dir(models.TINY_ID, progress=lambda fraction, message: messages.append(message))
    assert rebuilt == folder
    assert weights.stat().st_size == good_size and models.verify_cache(folder)
    assert any("corrupt" in message for message in messages)


def test_flipped_byte_is_detected(fresh_cache):
    folder = models.model_dir(models.TINY_ID)
    weights = folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert not models.verify_cache(folder)


def test_folder_without_manifest_is_not_trusted(fresh_cache):
    folder = models.model_dir(models.TINY_ID)
    (folder / models.MANIFEST).unlink()
    assert not models.verify_cache(folder)
    models._verified.clear()
    models.model_dir(models.TINY_ID)
    assert models.verify_cache(folder)


def test_interrupted_conversion_leaves_no_finished_looking_folder(fresh_cache, monkeypatch):
    def crash(folder):
        (folder / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(models, "_build_tiny", crash)
    with pytest.raises(KeyboardInterrupt):
        models.model_dir(models.TINY_ID)
    assert not (fresh_cache / "tiny-llama").exists()
    assert not list(fresh_cache.glob(".tiny-llama.partial-*"))


def test_remote_code_is_refused(tmp_path):
    config = {"model_type": "llama", "auto_map": {"AutoModelForCausalLM": "modeling_evil.EvilModel"}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(models.ModelLoadError, match="never runs remote code"):
        models.check_causal_lm(tmp_path / "config.json", "someone/evil")


def test_encoder_only_model_is_refused(tmp_path):
    config = {"model_type": "bert", "architectures": ["BertForMaskedLM"]}
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(models.ModelLoadError, match="not a causal language model"):
        models.check_causal_lm(tmp_path / "config.json", "google-bert/bert-base-uncased")


def test_llama_config_is_accepted(smollm):
    models.check_causal_lm(smollm.path / "config.json", models.BUNDLED_ID)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (["config.json", "pytorch_model.bin"], "safetensors"),
        (["config.json", "model.pt"], "safetensors"),
        (["model.safetensors"], "no config.json"),
    ],
)
def test_repositories_without_safe_weights_are_refused(files, message):
    with pytest.raises(models.ModelLoadError, match=message):
        models.check_repo_files("someone/model", files)
    models.check_repo_files("someone/model", ["config.json", "model.safetensors"])


def test_model_ids_outside_the_allow_list_are_refused(monkeypatch):
    monkeypatch.setattr(models, "LIMITS", dataclasses.replace(models.LIMITS, allowed_model_ids=("org/ok",)))
    with pytest.raises(models.ModelLoadError, match="not allowed on this server"):
        models.model_dir("org/other")


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "a b", "org/name/extra"])
def test_malformed_ids_are_refused_before_any_lookup(bad_id):
    with pytest.raises(models.ModelLoadError, match="is not a model id"):
        models.model_dir(bad_id)


def test_unreachable_hub_gives_a_message_not_a_traceback():
    with pytest.raises(models.ModelLoadError, match="Could not find or reach"):
        models.model_dir("someone/does-not-exist")


def test_compute_dtype_follows_the_device():
    assert models.compute_dtype_for("cpu") is torch.float32
    if torch.cuda.is_available():
        expected = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        assert models.compute_dtype_for("cuda") is expected


def test_load_4bit_gives_bitsandbytes_layers(tiny):
    import bitsandbytes as bnb

    model = models.load_4bit(models.TINY_ID, quant_type="fp4", double_quant=False)
    layer = model.model.layers[0].self_attn.q_proj
    assert isinstance(layer, bnb.nn.Linear4bit)
    assert layer.weight.quant_state.quant_type == "fp4"
    assert layer.weight.quant_state.nested is False
    assert layer.compute_dtype is torch.float32
    with pytest.raises(ValueError, match="'nf4' or 'fp4'"):
        models.load_4bit(models.TINY_ID, quant_type="int4")

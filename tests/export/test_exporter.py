"""export_run: each format's files, its size bounded before any work, a refused format with a clear message."""

from __future__ import annotations

import pytest
import torch
from peft import PeftModel
from safetensors.torch import load_file

from playground import models
from playground.export import FORMATS, estimate_bytes, export_run


def test_formats_and_their_files(tiny_exports, tiny_run):
    assert FORMATS == ("adapter", "merged", "gguf-f16", "gguf-q8_0", "gguf-q4_0")
    names = {fmt: sorted(path.name for path in result.files) for fmt, result in tiny_exports.items()}
    assert names["adapter"] == ["README.md", "adapter_config.json", "adapter_model.safetensors", "metrics.json"]
    assert {"model.safetensors", "config.json", "tokenizer.json", "chat_template.jinja", "README.md"} <= set(names["merged"])
    assert names["gguf-q8_0"] == ["Modelfile", "README.md", "llama-pirate-lora.Q8_0.gguf"]
    for fmt, result in tiny_exports.items():
        assert result.files[-1].name == "README.md" and result.size_bytes > 0 and result.seconds > 0
        assert result.size_bytes <= estimate_bytes(tiny_run, fmt), fmt
        assert result.summary_markdown().startswith(f"**{fmt}**")
    assert 'PeftModel.from_pretrained(base, "' in tiny_exports["adapter"].how_to_run
    gguf_how = tiny_exports["gguf-q8_0"].how_to_run
    assert "llama-cli -m" in gguf_how and "ollama create pirate-lora -f Modelfile" in gguf_how
    assert 'gguf_file="llama-pirate-lora.Q8_0.gguf"' in gguf_how


def test_the_adapter_loads_with_peft_and_is_the_runs(tiny_exports, tiny_run):
    folder = tiny_exports["adapter"].folder
    assert load_file(folder / "adapter_model.safetensors").keys() == load_file(
        tiny_run.path / "adapter_model.safetensors").keys()
    base = models.load_4bit(models.TINY_ID, device="cpu", compute_dtype=torch.float32)
    model = PeftModel.from_pretrained(base, folder)
    assert model.peft_config["default"].r == tiny_run.config.rank


def test_refusals(tiny_run, tmp_path):
    with pytest.raises(ValueError, match="Unknown export format 'onnx'"):
        export_run(tiny_run, "onnx", tmp_path / "x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "file").write_text("x")
    with pytest.raises(ValueError, match="already exists and is not an empty folder"):
        export_run(tiny_run, "adapter", tmp_path / "full")
    with pytest.raises(ValueError, match="exceeds this session's disk limit of 1.0 MiB"):
        export_run(tiny_run, "merged", tmp_path / "big", limit_bytes=1 << 20)
    assert not (tmp_path / "big").exists() and not list(tmp_path.glob(".big*"))  # refused before any work


def test_estimates_for_the_bundled_model(bundled_run):
    """Before any work, from the config: merged float32 ≈ 4 bytes × 134.5 M parameters, GGUF types in between."""
    sizes = {fmt: estimate_bytes(bundled_run, fmt) for fmt in FORMATS}
    assert sizes["merged"] == models.BUNDLED_PARAMS * 4 + (8 << 20)
    assert sizes["adapter"] < sizes["gguf-q4_0"] < sizes["gguf-q8_0"] < sizes["gguf-f16"] < sizes["merged"]

"""A Hugging Face Space runs the repository as it is: the README's front matter (read with huggingface_hub's own
card loader) names the SDK, the pinned Gradio, the app file, the Python and the model; on a Space the defaults
are the public-hosting ones; `make gpu-check` is harmless without a GPU."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from huggingface_hub import metadata_load

from playground import models
from playground.settings import SPACE_MODEL_ID, Limits, on_space, on_zerogpu

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
COLORS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}  # what Spaces accepts


def pinned(package: str) -> str:
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        match = re.fullmatch(rf"{package}==([\w.]+)", line.split("#")[0].strip())
        if match:
            return match.group(1)
    raise AssertionError(f"{package} is not pinned in requirements.txt")


@pytest.fixture(scope="module")
def card() -> dict:
    assert README.read_text().startswith("---\n"), "the front matter must be the README's very first lines"
    data = metadata_load(README)
    assert data, "README.md has no YAML front matter"
    return data


def test_the_front_matter_is_what_spaces_reads(card):
    assert card["sdk"] == "gradio"
    assert card["sdk_version"] == pinned("gradio") == "6.31.0"
    assert (ROOT / card["app_file"]).is_file() and card["app_file"] == "app.py"
    assert str(card["python_version"]) == "3.11"
    assert isinstance(card["title"], str) and 0 < len(card["title"]) <= 30
    assert isinstance(card["emoji"], str) and card["emoji"].strip()
    assert card["colorFrom"] in COLORS and card["colorTo"] in COLORS
    assert isinstance(card["short_description"], str) and 0 < len(card["short_description"]) <= 60
    assert card["suggested_hardware"] == "cpu-basic"
    assert isinstance(card["tags"], list) and card["tags"] and all(isinstance(tag, str) for tag in card["tags"])


def test_the_model_is_the_hub_original_of_the_bundled_copy(card):
    assert card["models"] == [models.HUB_ID] == ["HuggingFaceTB/SmolLM2-135M-Instruct"]
    assert SPACE_MODEL_ID == models.HUB_ID


def test_the_python_is_the_one_the_project_runs():
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == "3.11"


def test_the_first_screen_says_how_to_open_it_as_a_space_in_both_languages():
    text = README.read_text()
    body = text.split("\n---\n", 1)[1]
    first_screen = body[:4000]
    assert "README.ko.md" in first_screen and (ROOT / "README.ko.md").is_file()
    for needle in ("Space", "Gradio", "cpu-basic", "make run", "make test"):
        assert needle in first_screen
    assert re.search("[가-힣]", first_screen), "the first screen has a Korean part"
    korean = (ROOT / "README.ko.md").read_text()
    for needle in ("make run", "make test", "Space", "cpu-basic", "양자화", "LoRA", "QLoRA", "SPACE_ID"):
        assert needle in korean


def test_off_a_space_the_defaults_stay(monkeypatch):
    for name in ("SPACE_ID", "SPACES_ZERO_GPU", "PLAYGROUND_ALLOWED_MODELS", "PLAYGROUND_FINETUNE_PROCESS"):
        monkeypatch.delenv(name, raising=False)
    assert not on_space() and not on_zerogpu()
    limits = Limits()
    assert limits.allowed_model_ids == ("*",) and limits.model_allowed("any/model")
    assert limits.finetune_process == 1


def test_on_a_space_anonymous_visitors_load_only_the_default_model(monkeypatch):
    monkeypatch.setenv("SPACE_ID", "someone/peft-playground")
    for name in ("SPACES_ZERO_GPU", "PLAYGROUND_ALLOWED_MODELS", "PLAYGROUND_FINETUNE_PROCESS", "PLAYGROUND_MODEL"):
        monkeypatch.delenv(name, raising=False)
    assert on_space() and not on_zerogpu()
    limits = Limits()
    assert limits.allowed_model_ids == (models.HUB_ID,)
    assert limits.model_allowed(models.HUB_ID) and not limits.model_allowed("any/model")
    assert limits.finetune_process == 1  # a CPU or GPU Space keeps each fine-tune in its own process
    monkeypatch.setenv("PLAYGROUND_MODEL", "org/other-model")  # a host's own default model is allowed too
    assert Limits().allowed_model_ids == (models.HUB_ID, "org/other-model")
    monkeypatch.setenv("PLAYGROUND_ALLOWED_MODELS", "*")  # and the host can open it up
    assert Limits().model_allowed("any/model")


def test_on_zerogpu_the_fine_tune_trains_in_the_servers_process(monkeypatch, tmp_path):
    (tmp_path / "spaces").mkdir()
    (tmp_path / "spaces" / "__init__.py").write_text("def GPU(task=None, **kwargs):\n    return task\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "spaces", raising=False)
    monkeypatch.setenv("SPACE_ID", "someone/peft-playground")
    monkeypatch.delenv("PLAYGROUND_FINETUNE_PROCESS", raising=False)
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    assert not on_zerogpu() and Limits().finetune_process == 1  # `spaces` alone: not ZeroGPU hardware
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    assert on_zerogpu() and Limits().finetune_process == 0
    monkeypatch.setenv("PLAYGROUND_FINETUNE_PROCESS", "1")  # still the host's choice
    assert Limits().finetune_process == 1


def test_gpu_check_without_cuda_says_so_and_succeeds(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA machine: `make gpu-check` runs the real check here")
    from bench import gpu_check

    assert gpu_check.main([]) == 0
    assert "no CUDA device" in capsys.readouterr().out


def test_gpu_check_on_a_cuda_machine_prints_one_table(monkeypatch, capsys):
    """The CUDA branch, with the device and the two commands stood in for (the real run needs a GPU)."""
    import json

    import torch

    from bench import gpu_check

    run = {"tokens_per_s": 1000.0, "wall_s": 2.0, "peak_memory_bytes": 300 * 2**20, "final_loss": 1.5}
    measured = {"recipe": run, "ours": {**run, "tokens_per_s": 2500.0}, "ours-keeping": run}
    outputs = {"pytest": (0, "3 passed, 200 deselected in 9.0s\n", ""),
               "bench.finetune": (0, json.dumps(measured, indent=1) + "\n", "a warning {with braces}\n")}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda index=0: "NVIDIA Test GPU")
    monkeypatch.setattr(models, "compute_dtype_for", lambda device: torch.bfloat16)
    monkeypatch.setattr(gpu_check, "_run", lambda command: (*next(v for k, v in outputs.items() if k in command), 1.0))
    assert gpu_check.main(["--steps", "5"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert len({len(line) for line in lines}) == 1  # one aligned table
    assert "NVIDIA Test GPU" in out and "bfloat16" in out and "3 passed" in out
    assert "fine-tune ours (5 steps)" in out and "2500 tokens/s (×2.50 the recipe)" in out
    outputs["pytest"] = (1, "1 failed, 2 passed\n", "")
    assert gpu_check.main([]) == 1
    assert "FAILED: 1 failed, 2 passed" in capsys.readouterr().out

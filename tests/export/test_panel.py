"""The export panel's handlers, called as Gradio calls them (no browser): files and how to run them, errors as
messages, the push offline."""

from __future__ import annotations

import shutil

import gradio as gr
import pytest

from playground.studio.sessions import Run
from playground.ui import export_panel
from playground.ui.studio_tab import STUDIO

TOKEN = "hf_abcdefghijklmnopqrstuvwxyz0123456789"


@pytest.fixture()
def owner(tiny_run):
    owner = STUDIO.open()
    held = STUDIO.session(owner)
    adapter_dir = held.folder / "run1"
    shutil.copytree(tiny_run.path, adapter_dir)
    held.runs["run1"] = Run("run1", tiny_run.config, tiny_run.summary, adapter_dir)
    yield owner
    STUDIO.close(owner)


def test_export_gives_files_and_how_to_run(owner):
    files, markdown = export_panel.export_files("run1", "gguf-q8_0", owner, progress=lambda *a, **k: None)
    assert [path.rsplit("/", 1)[-1] for path in files] == ["llama-pirate-lora.Q8_0.gguf", "Modelfile", "README.md"]
    assert markdown.startswith("**gguf-q8_0**: ") and "MiB" in markdown and "ollama create" in markdown


def test_errors_are_messages(owner):
    with pytest.raises(gr.Error, match="Pick a run to export first"):
        export_panel.export_files("", "adapter", owner)
    with pytest.raises(gr.Error, match="No run 'run9'|run9"):
        export_panel.export_files("run9", "adapter", owner)
    with pytest.raises(gr.Error, match="Unknown export format"):
        export_panel.export_files("run1", "onnx", owner)


def test_push_offline_is_explained_and_the_token_not_shown(owner, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(gr.Error) as caught:
        export_panel.push_to_hub("run1", "adapter", "me/pirate-lora", TOKEN, True, owner)
    assert "Cannot reach the Hugging Face Hub" in caught.value.message and TOKEN not in caught.value.message
    assert not (STUDIO.session(owner).folder / "exports").exists()  # refused before any export work


def test_panel_renders_in_a_blocks():
    with gr.Blocks() as demo:
        owner = gr.BrowserState("")
        picker = gr.Dropdown([("none", "")], value="")
        export_panel.create_export_panel(picker, owner)
    names = {fn.api_name for fn in demo.fns.values()}
    assert {"export_run", "export_push"} <= names

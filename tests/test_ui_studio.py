"""The Studio tab's handlers, called as Gradio calls them (with a request carrying the session hash)."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest

from playground import models
from playground.ui import studio_tab
from playground.ui.strings import t

SETTINGS = ["nf4", True, 4, 8, 0.0, ["q_proj", "v_proj"], 3, 0.05, 2, 1, 96, 1, 0, 0]


def request(session: str):
    return SimpleNamespace(session_hash=session)


def test_every_studio_string_is_used_or_looked_up():
    source = open(studio_tab.__file__).read()
    assert t("studio.start") == "Start fine-tune"
    for key in ("studio.intro", "studio.stop", "studio.compare_button", "studio.export"):
        assert f'"{key}"' in source


def test_preset_values_fill_every_setting():
    values = studio_tab.preset_values("quick")
    assert values[0] == "pirate" and len(values) == 1 + len(studio_tab.SETTING_NAMES)
    assert values[studio_tab.SETTING_NAMES.index("steps") + 1] == 20


def test_estimate_shows_memory_parts_and_time():
    text = studio_tab.estimate_markdown(models.BUNDLED_ID, "builtin", None, "", "pirate", *studio_tab.preset_values("quick")[1:])
    assert "2,442,240 trainable LoRA parameters" in text and "| AdamW state | 18.6 |" in text
    assert "training time about" in text and "the run fits" in text


def test_estimate_says_whether_activations_are_recomputed_or_kept():
    quick = studio_tab.preset_values("quick")[1:]
    assert quick[-1] == "on"  # the default: recompute, the standard recipe's memory regime
    recompute = studio_tab.estimate_markdown(models.BUNDLED_ID, "builtin", None, "", "pirate", *quick)
    keep = studio_tab.estimate_markdown(models.BUNDLED_ID, "builtin", None, "", "pirate", *quick[:-1], "auto")
    assert "activations recomputed in backward (gradient checkpointing)" in recompute
    assert "activations kept for backward (fastest)" in keep

    def activations_mib(text: str) -> float:
        return float(next(line for line in text.splitlines() if line.startswith("| activations |")).split("|")[2])

    assert activations_mib(keep) > 3 * activations_mib(recompute)  # 499.6 vs 133.8 MiB for the quick preset
    assert studio_tab.estimate_markdown(models.TINY_ID, "builtin", None, "", "pirate", *SETTINGS, "sometimes").startswith(
        "⚠️ gradient_checkpointing must be 'auto', 'on' or 'off', got 'sometimes'")


def test_estimate_shows_bad_settings_inline():
    bad = list(SETTINGS)
    bad[6] = 0  # steps
    assert studio_tab.estimate_markdown(models.TINY_ID, "builtin", None, "", "pirate", *bad).startswith(
        "⚠️ steps must be a whole number from 1 to")


def test_pasted_and_uploaded_data(tmp_path):
    assert [e.response for e in studio_tab._examples("paste", None, "a ||| b\nc ||| d")] == ["b", "d"]
    upload = tmp_path / "mine.csv"
    upload.write_text("instruction,response\nq,a\nq2,a2\n")
    assert len(studio_tab._examples("upload", str(upload), "")) == 2
    with pytest.raises(ValueError, match="upload a .jsonl or .csv"):
        studio_tab._examples("upload", None, "")
    binary = tmp_path / "x.jsonl"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(ValueError, match="binary"):
        studio_tab._examples("upload", str(binary), "")


def test_finetune_handler_streams_and_lists_the_run_for_its_session_only(tiny):
    outputs = list(studio_tab.finetune(models.TINY_ID, "builtin", None, "", "sentiment", *SETTINGS,
                                       request=request("ui-alice")))
    progress, figure, summary, picker = outputs[-1]
    assert "finished 3 steps; saved as run1" in progress
    assert '"steps_done": 3' in summary
    assert picker["value"] == "run1" and ("run1 · sentiment · 3 steps · r=4", "run1") in picker["choices"]
    assert [trace.name for trace in figure.data] == ["train", "held-out"]
    answers, metrics = studio_tab.compare("hello", "run1", 1, 0.0, 0, 8, models.TINY_ID, "sentiment",
                                          request=request("ui-alice"))
    assert list(answers.columns) == ["prompt", "full precision", "4-bit base", "4-bit + LoRA"] and len(answers) == 2
    assert metrics.iloc[0, 0] == "exact-answer rate"
    assert studio_tab.export_adapter("run1", request=request("ui-alice")).endswith("run1-adapter.zip")
    with pytest.raises(gr.Error, match="no run 'run1' in this session"):
        studio_tab.compare("hello", "run1", 0, 0.0, 0, 8, models.TINY_ID, "sentiment", request=request("ui-bob"))
    studio_tab.close_session(request("ui-alice"))
    assert studio_tab.STUDIO.runs("ui-alice") == []


def test_bad_input_becomes_a_message_not_a_traceback():
    bad = list(SETTINGS)
    bad[6] = 10_000
    with pytest.raises(gr.Error, match="steps must be a whole number from 1 to"):
        list(studio_tab.finetune(models.TINY_ID, "builtin", None, "", "sentiment", *bad, request=request("x")))
    with pytest.raises(gr.Error, match="not a model id"):
        list(studio_tab.finetune("bad id!", "builtin", None, "", "sentiment", *SETTINGS, request=request("x")))
    with pytest.raises(gr.Error, match="at least 2"):
        list(studio_tab.finetune(models.TINY_ID, "paste", None, "only ||| one", "sentiment", *SETTINGS,
                                 request=request("x")))
    with pytest.raises(gr.Error, match="pick a run"):
        studio_tab.export_adapter("", request=request("x"))
    with pytest.raises(gr.Error, match="temperature"):
        studio_tab.compare("hi", "", 0, 5.0, 0, 8, models.TINY_ID, "sentiment", request=request("x"))


def test_the_app_exposes_the_studio_endpoints():
    from playground.ui.interface import build_demo

    demo = build_demo()
    names = {dependency.get("api_name") for dependency in demo.config["dependencies"]}
    assert {"finetune", "compare", "finetune_stop", "export_adapter", "finetune_estimate"} <= names

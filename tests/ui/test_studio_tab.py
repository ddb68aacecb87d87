"""The Studio tab's handlers, called as Gradio calls them (with a request carrying the session hash)."""

from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest

from playground import models
from playground.ui import studio_tab
from playground.ui.strings import t

SETTINGS = dict(quant_type="nf4", double_quant=True, rank=4, alpha=8, dropout=0.0, target_modules=["q_proj", "v_proj"],
                steps=3, learning_rate=0.05, batch_size=2, grad_accum=1, max_length=96, warmup_steps=1, seed=0,
                eval_every=0, gradient_checkpointing="on")


def form(model_id=models.TINY_ID, dataset="sentiment", source="builtin", pasted="", **changes) -> dict:
    """The Studio form's values, as the browser sends them."""
    return {"model_id": model_id, "source": source, "upload": None, "pasted": pasted, "dataset": dataset,
            **SETTINGS, **changes}


def quick_form(**changes) -> dict:
    return {"model_id": models.BUNDLED_ID, "source": "builtin", "upload": None, "pasted": "",
            **studio_tab.preset_settings("quick"), **changes}


def ask(run_id="", prompt="hello", held_out=1, temperature=0.0, seed=0, max_new_tokens=8, **changes) -> dict:
    """The compare form's values."""
    return dict(prompt=prompt, run_id=run_id, held_out=held_out, temperature=temperature, seed=seed,
                max_new_tokens=max_new_tokens, model_id=models.TINY_ID, dataset="sentiment", **changes)


def request(session: str):
    return SimpleNamespace(session_hash=session)


def test_every_studio_string_is_used_or_looked_up():
    source = open(studio_tab.__file__).read()
    assert t("studio.start") == "Start fine-tune"
    for key in ("studio.intro", "studio.stop", "studio.compare_button", "studio.export"):
        assert f'"{key}"' in source


def test_preset_settings_fill_every_setting():
    values = studio_tab.preset_settings("quick")
    assert values["dataset"] == "pirate" and values["steps"] == 20
    assert set(SETTINGS) <= set(values)


def test_estimate_shows_memory_parts_and_time():
    text = studio_tab.estimate_markdown(quick_form())
    assert "2,442,240 trainable LoRA parameters" in text and "| AdamW state | 18.6 |" in text
    assert "training time about" in text and "the run fits" in text


def test_estimate_says_whether_activations_are_recomputed_or_kept():
    assert studio_tab.preset_settings("quick")["gradient_checkpointing"] == "on"  # recompute: the recipe's regime
    recompute = studio_tab.estimate_markdown(quick_form())
    keep = studio_tab.estimate_markdown(quick_form(gradient_checkpointing="auto"))
    assert "activations recomputed in backward (gradient checkpointing)" in recompute
    assert "activations kept for backward (fastest)" in keep

    def activations_mib(text: str) -> float:
        return float(next(line for line in text.splitlines() if line.startswith("| activations |")).split("|")[2])

    assert activations_mib(keep) > 3 * activations_mib(recompute)  # 499.6 vs 133.8 MiB for the quick preset
    assert studio_tab.estimate_markdown(form(dataset="pirate", gradient_checkpointing="sometimes")).startswith(
        "⚠️ gradient_checkpointing must be 'auto', 'on' or 'off', got 'sometimes'")


def test_estimate_shows_bad_settings_inline():
    assert studio_tab.estimate_markdown(form(dataset="pirate", steps=0)).startswith(
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
    outputs = list(studio_tab.finetune(form(), request=request("ui-alice")))
    progress, figure, summary, picker = outputs[-1]
    assert "finished 3 steps; saved as run1" in progress
    assert '"steps_done": 3' in summary
    assert picker["value"] == "run1" and ("run1 · sentiment · 3 steps · r=4", "run1") in picker["choices"]
    assert [trace.name for trace in figure.data] == ["train", "held-out"]
    answers, metrics = studio_tab.compare(ask("run1"), request=request("ui-alice"))
    # each column named by what it is: the tiny model's random fp32 weights, the run's quantization (NF4 + DQ)
    assert list(answers.columns) == ["prompt", "random fp32 (tiny)", "4-bit base (NF4 + DQ)",
                                     "4-bit + LoRA (NF4 + DQ)"] and len(answers) == 2
    assert metrics.iloc[0, 0] == "exact-answer rate"
    assert studio_tab.export_adapter("run1", request=request("ui-alice")).endswith("run1-adapter.zip")
    with pytest.raises(gr.Error, match="no run 'run1' in this session"):
        studio_tab.compare(ask("run1", held_out=0), request=request("ui-bob"))
    studio_tab.STUDIO.close("api:ui-alice")  # what the reaper does once the session is idle past the TTL
    with pytest.raises(ValueError, match="this session has ended"):
        studio_tab.STUDIO.runs("api:ui-alice")


def test_bad_input_becomes_a_message_not_a_traceback():
    with pytest.raises(gr.Error, match="steps must be a whole number from 1 to"):
        list(studio_tab.finetune(form(steps=10_000), request=request("x")))
    with pytest.raises(gr.Error, match="not a model id"):
        list(studio_tab.finetune(form(model_id="bad id!"), request=request("x")))
    with pytest.raises(gr.Error, match="at least 2"):
        list(studio_tab.finetune(form(source="paste", pasted="only ||| one"), request=request("x")))
    with pytest.raises(gr.Error, match="pick a run"):
        studio_tab.export_adapter("", request=request("x"))
    with pytest.raises(gr.Error, match="temperature"):
        studio_tab.compare(ask(prompt="hi", held_out=0, temperature=5.0), request=request("x"))


def test_the_app_exposes_the_studio_endpoints():
    from playground.ui.interface import build_demo

    demo = build_demo()
    names = {dependency.get("api_name") for dependency in demo.config["dependencies"]}
    assert {"finetune", "compare", "finetune_stop", "export_adapter", "finetune_estimate"} <= names


def test_a_browser_owner_token_survives_a_reload(tiny):
    owner, picker, progress, figure, summary, answers, metrics = studio_tab.open_session("")
    assert len(owner) >= 40 and picker["value"] == "" and summary == ""
    assert answers == gr.skip() and metrics == gr.skip()  # nothing compared yet: the empty tables stay
    outputs = list(studio_tab.finetune(form(), owner=owner, request=request("tab-1")))
    assert "saved as run1" in outputs[-1][0]
    # a reload: a new Gradio session (hash), the same token from the browser's storage
    again, picker, progress, figure, summary, _, _ = studio_tab.open_session(owner)
    assert again == owner and picker["value"] == "run1" and ("run1 · sentiment · 3 steps · r=4", "run1") in picker["choices"]
    assert "1 run(s)" in progress and [trace.name for trace in figure.data] == ["train", "held-out"]
    assert '"steps_done": 3' in summary
    # the run ended before follow_run looked (open_session may have seen it running): the page shows its end
    (followed,) = list(studio_tab.follow_run(owner, request("tab-2")))
    assert "1 run(s)" in followed[0] and followed[2] == summary and followed[3]["value"] == "run1"
    assert [trace.name for trace in followed[1].data] == ["train", "held-out"]
    assert list(studio_tab.follow_run(studio_tab.STUDIO.open(None), request("tab-3"))) == [(gr.skip(),) * 4]
    answers, metrics = studio_tab.compare(ask("run1"), owner=owner, request=request("tab-2"))
    assert len(answers) == 2
    # another reload: the last compare's answers and metric table come back as they were, columns and all
    *_, restored_answers, restored_metrics = studio_tab.open_session(owner)
    assert restored_answers.equals(answers) and restored_metrics.equals(metrics)
    assert list(restored_metrics.columns) == ["metric", "random fp32 (tiny)", "4-bit base (NF4 + DQ)",
                                              "4-bit + LoRA (NF4 + DQ)"]
    assert studio_tab.export_adapter("run1", owner=owner, request=request("tab-2")).endswith("run1-adapter.zip")
    # another connection without the token sees none of it
    with pytest.raises(gr.Error, match="no run 'run1' in this session"):
        studio_tab.export_adapter("run1", request=request("tab-3"))
    studio_tab.STUDIO.close(owner)
    with pytest.raises(gr.Error, match="this session has ended"):
        studio_tab.export_adapter("run1", owner=owner, request=request("tab-2"))
    assert studio_tab.open_session(owner)[0] != owner  # an ended session's token gets a new session


def test_pasted_text_is_bounded_like_an_upload_and_parsed_once(monkeypatch):
    from playground.settings import Limits

    monkeypatch.setattr(studio_tab, "LIMITS", Limits(max_upload_bytes=100))
    with pytest.raises(ValueError, match="the pasted text is 101 bytes or more; the limit is 100 bytes"):
        studio_tab._examples("paste", None, "a ||| b\n" * 12 + "12345")
    with pytest.raises(ValueError, match="the pasted text is 102 bytes"):
        studio_tab._examples("paste", None, "ü" * 51)  # 51 characters, 102 bytes
    calls = []
    original = studio_tab.datasets.parse_pasted
    monkeypatch.setattr(studio_tab.datasets, "parse_pasted", lambda text: calls.append(text) or original(text))
    first = studio_tab._examples("paste", None, "q1 ||| a1\nq2 ||| a2")
    second = studio_tab._examples("paste", None, "q1 ||| a1\nq2 ||| a2")
    assert first is second and len(calls) == 1  # a settings change does not parse the same text again
    studio_tab._examples("paste", None, "q1 ||| a1\nq3 ||| a3")
    assert len(calls) == 2


def test_the_estimate_refuses_a_run_over_the_work_cap(monkeypatch):
    from playground.settings import Limits

    monkeypatch.setattr(studio_tab, "LIMITS", Limits(max_run_seconds=30))
    text = studio_tab.estimate_markdown(quick_form(steps=500))
    assert text.startswith("⚠️ this run is estimated at") and "more than the 30 s one run may take" in text


def test_the_studio_speaks_korean_and_its_english_is_unchanged(tmp_path, tiny):
    from playground.finetune import FinetuneConfig, FinetuneEvent
    from playground.i18n import CATALOG, in_language, using
    from playground.studio import Run, Studio, loss_figure

    history = [{"step": 0, "eval_loss": 3.0}, {"step": 1, "loss": 2.5}, {"step": 1, "eval_loss": 2.2}]
    step = FinetuneEvent("step", 3, 20, loss=1.25, eta_s=4.0, tokens_per_s=120.0, peak_memory_bytes=300 * 2**20)
    studio = Studio(tmp_path)
    owner = studio.open()
    summary = {"dataset": "sentiment", "stopped": False, "steps_done": 3, "history": history,
               "metric_before": {"score": 0.1, "format": 0.5}, "metric_after": {"score": 0.4, "format": 0.9}}
    config = FinetuneConfig(dataset="sentiment", steps=3, warmup_steps=1, rank=4)
    studio.session(owner).runs["run1"] = Run("run1", config, summary, tmp_path)
    for language in ("ko", "en"):
        text = lambda key, **values: in_language(key, language, **values)  # noqa: E731
        with using(language):
            figure = loss_figure(history)
            assert [trace.name for trace in figure.data] == [text("studio.plot.train"), text("studio.plot.held_out")]
            assert figure.layout.xaxis.title.text == text("studio.plot.step")
            assert figure.layout.yaxis.title.text == text("studio.plot.loss")
            _, line = studio_tab._account(step, [], {"trainable": 1234, "estimated": 280 * 2**20})
            assert line == text("studio.line.step", step=3, total=20, loss="1.250", eta="4", tokens_per_s="120",
                                peak="300", estimated="280", trainable="1,234")
            assert studio.runs(owner)[0].label == text("studio.run.label", run_id="run1", dataset="sentiment",
                                                       status=text("studio.run.steps", steps=3), rank=4)
            assert [row[0] for row in studio.metrics_table(owner, "run1")] == [
                text("studio.metric.sentiment"), text("studio.metric.format"), text("studio.metric.held_out_loss")]
            estimate = studio_tab.estimate_markdown(quick_form())
            assert text("studio.est.fits") in estimate and text("studio.est.recompute") in estimate
            assert f"| {text('studio.mem.adamw')} | 18.6 |" in estimate
            assert CATALOG[language]["studio.field.steps"] in studio_tab.estimate_markdown(form(dataset="pirate", steps=0))
            with pytest.raises(ValueError) as refused:
                studio_tab._examples("upload", None, "")
            assert str(refused.value) == CATALOG[language]["studio.err.upload_missing"]
            assert text("studio.line.nothing_running") in studio_tab.stop(request=request(f"{language}-stop"))
            answers, metrics = studio_tab.compare(ask(held_out=0), request=request(f"{language}-compare"))
            assert list(answers.columns) == [text("studio.col.prompt"), text("studio.col.full.tiny"),
                                             text("studio.col.base.quant", quant="NF4 + DQ"),
                                             text("studio.col.lora.quant", quant="NF4 + DQ")]
            assert list(metrics.columns) == [text("studio.col.metric"), *list(answers.columns)[1:]]
    assert line.startswith("step 3/20 · loss 1.250") and estimate.count("the run fits") == 1  # English as before
    assert "measured peak of this run 300 MiB (estimated 280 MiB)" in line
    assert list(answers.columns) == ["prompt", "random fp32 (tiny)", "4-bit base (NF4 + DQ)", "4-bit + LoRA (NF4 + DQ)"]


def test_the_estimate_names_the_runs_own_peak_apart_from_the_runtime_overhead():
    text = studio_tab.estimate_markdown(quick_form())
    # weights 160.4 + LoRA 18.6 + AdamW 18.6 + activations 133.8 MiB: what the progress line's measured peak counts
    assert "estimated peak of this run: 331 MiB" in text
    assert "| estimated peak of this run | 331.4 |" in text
    assert "| runtime overhead (interpreter and libraries, not part of the run) | 1,100.0 |" in text
    assert "| total for the fit check | 1,431.4 |" in text


def test_compare_columns_name_the_bundled_and_the_hub_weights_for_what_they_are():
    assert studio_tab.model_columns(models.BUNDLED_ID) == ["fp32 from Q4_1 GGUF", "4-bit base (NF4 + DQ)",
                                                           "4-bit + LoRA (NF4 + DQ)"]
    assert studio_tab.model_columns(models.HUB_ID, "fp4", False) == ["Hub original (bf16→fp32)", "4-bit base (FP4)",
                                                                     "4-bit + LoRA (FP4)"]
    from playground.i18n import using

    with using("ko"):
        assert studio_tab.model_columns(models.BUNDLED_ID)[0] == "Q4_1 GGUF에서 복원한 fp32"


def test_presets_over_the_work_cap_are_marked_and_refused(monkeypatch):
    from playground.settings import Limits

    monkeypatch.setattr(studio_tab, "LIMITS", Limits(max_run_seconds=600))
    seconds = studio_tab.preset_seconds("thorough", models.BUNDLED_ID)
    assert seconds > 600  # 400 steps of batch 8 × 2 at rank 32 on this CPU
    choices = dict((value, label) for label, value in studio_tab.preset_choices(models.BUNDLED_ID))
    assert choices["quick"] == "quick"
    assert choices["thorough"] == f"thorough — too long for this server (≈{seconds:,.0f} s > 600 s)"
    text = studio_tab.estimate_markdown(quick_form(**{k: v for k, v in studio_tab.preset_settings("thorough").items()
                                                      if k != "eval_examples"}))
    assert text.startswith(f"⚠️ this run is estimated at {seconds:,.0f} s") and "more than the 600 s" in text


def test_the_start_button_scrolls_the_progress_into_view_and_the_lora_settings_are_open():
    from playground.ui.interface import build_demo

    demo = build_demo()
    blocks = {getattr(block, "elem_id", None): block for block in demo.blocks.values()}
    assert blocks["studio-quant"].open is True
    start = blocks["studio-start"]._id
    scrolls = [d for d in demo.config["dependencies"]
               if any(target[0] == start for target in d["targets"]) and d.get("js")]
    assert len(scrolls) == 1 and "studio-progress" in scrolls[0]["js"] and "scrollIntoView" in scrolls[0]["js"]


def test_an_example_sets_the_notes_settings_and_the_code_follows():
    assert studio_tab.example_settings("notes-qv-r16") == ["nf4", True, 16, 32.0, 0.05, ["q_proj", "v_proj"]]
    values = quick_form(**dict(zip(studio_tab.EXAMPLE_FIELDS, studio_tab.example_settings("notes-qv-r16"))))
    code = studio_tab.code_for(values)
    assert "r=16," in code and "target_modules=['q_proj', 'v_proj']," in code and "bnb_4bit_quant_type='nf4'" in code
    assert "57,600 × 16" not in code and "921,600 trainable LoRA parameters" in studio_tab.estimate_markdown(values)
    assert studio_tab.code_for(quick_form(steps=0)).startswith("# steps must be a whole number")


def test_the_paper_accordion_shows_the_65b_arithmetic():
    text = studio_tab.paper_markdown("65B")
    assert "| **783 GB** |" in text and "4 + 32/64 = 4.500 bits" in text and "4.127 bits" in text
    assert "| saved by double quantization | 3.02 GB |" in text and "**36.2 GB**" in text

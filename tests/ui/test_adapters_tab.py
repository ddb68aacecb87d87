"""The tab's handlers and its API endpoints: numbers out, messages (not stack traces) for bad input."""

from __future__ import annotations

import itertools
import re
import time
import types

import gradio as gr
import pandas as pd
import pytest

from playground import models
from playground.i18n import CATALOG, in_language, using
from playground.ui import adapters_tab as T

SMOLLM_SHAPE = dict(source="loaded", model_id=models.BUNDLED_ID, d_model=576, d_ff=1536, layers=30, heads=9, kv_heads=3)
TINY_SHAPE = {**SMOLLM_SHAPE, "model_id": models.TINY_ID}
METHODS = dict(r=8, alpha=16, dropout=0.05, use_rslora=False, target_modules=["q", "v"], bottleneck=36,
               placement="houlsby", prompt_tokens=20)
TINY_METHODS = {**METHODS, "r": 4, "alpha": 8, "dropout": 0.0, "bottleneck": 16, "prompt_tokens": 10}


def test_compare_on_the_bundled_model():
    adapter_path, lora_path, params, share, sweep, code = T.compare_methods({**SMOLLM_SHAPE, **METHODS, "layer": 0})
    assert len(params) == 7
    lora_total = params[(params.method == "LoRA") & (params.module == "total")].iloc[0]
    assert lora_total["trainable"] == 57_600 * 8
    assert lora_total["fp32 bytes"] == 4 * 460_800
    # the share of one W beside the share of the model: q_proj 8·(576 + 576) = 9,216 of 576 × 576 = 2.78%
    assert params["% of one W"].tolist()[:3] == ["2.78%", "5.56%", "3.47%"]
    assert params["% of one W"].tolist()[3:] == ["—"] * 4 and lora_total["% of base"] == 0.3426
    assert "**2.78% of one W**, 0.21% of the whole model" in share
    assert "460,800 trainable = 3.47% of those weights, **0.34% of the whole model** (134,515,008" in share
    assert "2md + d + m = 42,084 per adapter, 2,525,040 in all = **1.88% of the whole model**" in share
    adapter_total = params[params.module == "total"].iloc[1]
    assert adapter_total["trainable"] == 60 * (2 * 36 * 576 + 576 + 36)
    assert any("A  (8, 576)" in a.text for a in lora_path.layout.annotations)
    assert any("down  W: (36, 576) + b: (36)" in a.text for a in adapter_path.layout.annotations)
    assert any(tr.name.startswith("LoRA (q+v)") for tr in sweep.data)
    assert f"from_pretrained({models.HUB_ID!r})" in code and "r=8, lora_alpha=16, lora_dropout=0.05," in code


def test_the_notes_lora_example_shows_0_78_percent_of_one_w():
    from playground.adapters.examples import EXAMPLES

    values = EXAMPLES["lora_4096_r16"].values(models.BUNDLED_ID)
    _, lora_path, params, share, _, code = T.compare_methods(values)
    q = params.iloc[0]
    assert (q["module"], q["per layer"], q["% of one W"], q["% of base"]) == ("q_proj", 131_072, "0.78%", 0.0628)
    assert ("16·(4096 + 4096) = **131,072** parameters beside a 4096 × 4096 W of 16,777,216: **0.78% of one W**, "
            "0.0628% of the whole model") in share
    assert 'torch.device("meta")' in code


def test_an_example_sets_every_setting():
    from playground.adapters.examples import DEFAULTS

    note, *settings, custom = T.apply_example("bottleneck_6_2_6")
    assert "2md + d + m = 2·2·6 + 6 + 2 = **32**" in note
    values = dict(zip(T.FORM_ORDER, settings))
    assert list(values) == list(DEFAULTS)
    assert (values["source"], values["d_model"], values["bottleneck"], values["placement"]) == ("custom", 6, 2,
                                                                                                 "pfeiffer")
    assert custom["visible"] is True
    _, _, params, _, _, _ = T.compare_methods(values)
    adapter = params[params.method == "Adapter (pfeiffer)"]
    assert adapter["per layer"].tolist() == [32, 32] and adapter["trainable"].tolist() == [32, 32]
    assert T.apply_example(None) == (gr.skip(),) * (2 + len(T.FORM_ORDER))


@pytest.mark.parametrize("change, message", [
    ({"source": "custom", "d_model": None}, "d_model is empty"),
    ({"source": "custom", "heads": 7}, "d_model 576 must be divisible by the number of heads 7"),
    ({"r": 2.5}, "LoRA rank must be a whole number, got 2.5"),
    ({"r": 0}, "LoRA rank must be a whole number of at least 1, got 0"),
])
def test_a_half_typed_setting_is_one_line_and_the_views_keep_their_state(change, message):
    notice, *views = T.quick_counts({**SMOLLM_SHAPE, **METHODS, "layer": 0, **change})
    assert notice.startswith("⚠️ **") and message in notice
    assert "The figures below still show the last settings that could be counted." in notice
    assert views == [gr.skip()] * T.QUICK_OUTPUTS
    notice, *views = T.quick_counts({**SMOLLM_SHAPE, **METHODS, "layer": 0})
    assert notice == "" and len(views) == T.QUICK_OUTPUTS and isinstance(views[2], pd.DataFrame)


def test_custom_shape_counts_from_config_only():
    _, _, params, _, _, _ = T.compare_methods({**SMOLLM_SHAPE, "source": "custom", **METHODS, "dropout": 0.0, "layer": 0,
                                      "target_modules": list("qkvo") + ["gate", "up", "down"], "placement": "pfeiffer"})
    lora_total = params[(params.method == "LoRA") & (params.module == "total")].iloc[0]
    assert lora_total["trainable"] == 2_442_240
    assert params[params.method == "Adapter (pfeiffer)"].iloc[-1]["trainable"] == 30 * (2 * 36 * 576 + 576 + 36)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"r": 0}, "LoRA rank must be a whole number of at least 1, got 0"),
        ({"r": 999}, "r must be at most min(d_in, d_out) = min(576, 576) = 576"),
        ({"bottleneck": 0}, "bottleneck size must be a whole number of at least 1, got 0"),
        ({"bottleneck": 600}, "bottleneck 600 is larger than d_model = 576"),
        ({"target_modules": []}, "Choose at least one LoRA target module"),
        ({"alpha": 0}, "LoRA alpha must be greater than 0"),
        ({"alpha": None}, "LoRA alpha is empty"),
        ({"r": 2.5}, "LoRA rank must be a whole number, got 2.5"),
    ],
)
def test_bad_input_becomes_a_message(change, message):
    with pytest.raises(gr.Error) as caught:
        T.compare_methods({**SMOLLM_SHAPE, **METHODS, "layer": 0, **change})
    assert message in caught.value.message


def test_measure_on_the_tiny_model():
    outputs = list(T.measure_methods({**TINY_SHAPE, **TINY_METHODS, "budget": 5}))
    status, checks, latency, figure, params, verdict = outputs[-1]
    assert "Done in" in status
    assert list(checks["passed"]) == ["yes", "yes", "yes"]
    assert checks.iloc[0]["max |Δ logit|"] == "0"
    assert len(latency) == 8 and set(latency["batch"]) == {1} and set(latency["seq"]) == {16, 64}
    assert (latency["median ms"] > 0).all()
    assert len(figure.data) > 4
    assert params[params.module == "total"].iloc[0]["trainable"] == 2 * 4 * ((64 + 64) + (64 + 32))
    # every variant's verdict against the base, in the table and in words per setting
    assert set(latency.loc[latency.variant == "base", "verdict"]) == {"reference"}
    kinds = {"no measurable difference", "too few repeats to tell"}
    assert all(v.startswith(("slower by", "faster by")) or any(v.startswith(k) for k in kinds)
               for v in latency.loc[latency.variant != "base", "verdict"])
    assert verdict.startswith("### What this run can tell") and "**batch 1 × 16 tokens**: base + adapters: " in verdict
    assert "sign test, p < 0.01" in verdict


def phase(status: str) -> str:
    """The machine-readable phase the status line starts with (what the browser tests wait on)."""
    found = re.match(r'<strong class="adapters-phase phase-(\w+)">', status)
    assert found, status
    return found.group(1)


def percent(status: str) -> int | None:
    found = re.search(r"` (\d+)% ", status)
    return None if found is None else int(found.group(1))


def test_measure_shows_each_phase_in_order_and_100_percent_only_at_the_end():
    statuses = [outputs[0] for outputs in T.measure_methods({**TINY_SHAPE, **TINY_METHODS, "budget": 5})]
    phases = [phase(status) for status in statuses]
    assert [name for name, _ in itertools.groupby(phases)] == ["loading", "building", "measuring", "done"]
    assert statuses[0].startswith('<strong class="adapters-phase phase-loading">Step 1 of 3: loading the model')
    assert f"Loading {models.TINY_ID}" in statuses[0]
    measuring = [percent(s) for s, p in zip(statuses, phases) if p == "measuring"]
    assert measuring[0] == 0 and all(0 <= value < 100 for value in measuring)
    assert measuring == sorted(measuring)  # work done never goes back
    assert max(measuring) >= 75  # the last setting's passes, not the time budget, drive it
    assert all(percent(s) < 100 for s, p in zip(statuses, phases) if p == "loading")
    assert percent(statuses[-1]) == 100 and "Done in" in statuses[-1] and len(statuses) - phases.index("done") == 1


def test_loading_reports_the_model_load_while_it_runs(monkeypatch):
    """A slow first load (the GGUF conversion) shows its own messages and a status that keeps refreshing."""
    real_load = T.models.load_model

    def slow_load(model_id, progress=None):
        progress(0.05, "First use: converting the bundled GGUF")
        time.sleep(0.5)  # quiet: the status refreshes on its own
        progress(0.8, f"Loading {model_id}")
        progress(1.0, f"{model_id} ready")
        return real_load(model_id)

    monkeypatch.setattr(T.models, "load_model", slow_load)
    monkeypatch.setattr(T, "REFRESH_S", 0.05)
    run = T.measure_methods({**TINY_SHAPE, **TINY_METHODS, "budget": 5})
    statuses = [outputs[0] for outputs in itertools.takewhile(lambda out: phase(out[0]) == "loading", run)]
    run.close()
    converting = [s for s in statuses if "First use: converting the bundled GGUF" in s]
    assert len(converting) >= 3  # the report, then refreshes while the load is quiet
    assert {percent(s) for s in converting} == {5}
    assert percent(statuses[-1]) == 99  # "ready" is reported before load_model returns: not 100% yet
    assert [percent(s) for s in statuses] == sorted(percent(s) for s in statuses)


def test_stop_while_measuring_is_the_runs_own_last_update():
    """Stop sets the session's flag; the run answers it with "stopped" as its last update and ends."""
    request = types.SimpleNamespace(session_hash="stop-while-measuring")
    T.arm_stop(request)
    run = T.measure_methods({**TINY_SHAPE, **TINY_METHODS, "budget": 30}, request)
    phases = [phase(next(run)[0])]
    while phases[-1] != "measuring":
        phases.append(phase(next(run)[0]))
    assert T.stop_latency(request) is not None  # a gr.skip(): the status is the run's to change
    rest = [outputs[0] for outputs in run]  # the generator ends by itself
    assert [phase(status) for status in rest][-1] == "stopped" and "Done in" not in rest[-1]
    assert all(phase(status) in ("measuring", "stopped") for status in rest)
    assert sum(phase(status) == "measuring" for status in rest) <= 1  # the step under way, at most
    assert len(T.STOP_FLAGS) == 0 or "stop-while-measuring" not in T.STOP_FLAGS._flags  # released


def test_stop_while_queued_ends_the_run_as_it_starts():
    request = types.SimpleNamespace(session_hash="stop-while-queued")
    T.arm_stop(request)
    T.stop_latency(request)
    statuses = [outputs[0] for outputs in T.measure_methods({**TINY_SHAPE, **TINY_METHODS, "budget": 5}, request)]
    assert [phase(status) for status in statuses] == ["loading", "stopped"]
    # the next click arms a fresh flag: that run is not stopped by the earlier Stop
    T.arm_stop(request)
    statuses = [outputs[0] for outputs in T.measure_methods({**TINY_SHAPE, **TINY_METHODS, "budget": 5}, request)]
    assert phase(statuses[-1]) == "done"


def test_stop_flags_are_bounded_and_a_stop_without_a_run_does_nothing():
    flags = T.StopFlags(limit=3)
    armed = [flags.arm(f"session-{i}") for i in range(5)]
    assert len(flags) == 3 and not flags.stop("session-0") and flags.stop("session-4")
    assert armed[4].is_set() and not armed[3].is_set()
    flags.release("session-4", armed[4])
    assert len(flags) == 2 and not flags.stop("session-4")


def test_a_failure_after_the_first_status_shows_failed_then_the_message():
    seen = []
    with pytest.raises(gr.Error, match="r must be at most"):
        for outputs in T.measure_methods({**TINY_SHAPE, **TINY_METHODS, "r": 999, "budget": 5}):
            seen.append(outputs[0])
    assert phase(seen[0]) == "loading"
    assert phase(seen[-1]) == "failed" and "r must be at most" in seen[-1]


def test_measure_refuses_a_custom_shape_with_a_message():
    with pytest.raises(gr.Error, match="Latency needs real weights"):
        next(T.measure_methods({**SMOLLM_SHAPE, "source": "custom", **METHODS, "budget": 5}))


def test_api_endpoints():
    from gradio_client import Client

    from playground.ui.interface import build_demo
    from bench.server import free_port

    demo = build_demo()
    demo.launch(prevent_thread_lock=True, quiet=True, server_port=free_port())
    try:
        client = Client(demo.local_url, verbose=False)
        adapter_path, lora_path, params, share, sweep, code = client.predict(
            *TINY_SHAPE.values(), *{**METHODS, "bottleneck": 16}.values(), 0, api_name="/adapter_counts")
        assert params["headers"][:2] == ["method", "module"] and "of one W" in share and "get_peft_model" in code
        assert params["data"][2][:2] == ["LoRA", "total"] and params["data"][2][5] == 2 * 8 * ((64 + 64) + (64 + 32))
        with pytest.raises(Exception, match="bottleneck 600 is larger than d_model = 64"):  # the API: an error
            client.predict(**TINY_SHAPE, **{**METHODS, "bottleneck": 600}, api_name="/adapter_counts")
        status, checks, latency, figure, params, verdict = client.predict(
            **TINY_SHAPE, **{**TINY_METHODS, "placement": "pfeiffer"}, budget=5, api_name="/adapter_vs_lora")
        assert "Done in" in status
        assert [row[-1] for row in checks["data"]] == ["yes", "yes", "yes"]
        assert len(latency["data"]) == 8 and latency["headers"][3] == "median ms"
        assert params["data"][-2][1] == "total"
    finally:
        demo.close()


# --------------------------------------------------------------------------- languages

def test_counts_in_korean_and_english():
    ko = CATALOG["ko"]
    values = {**SMOLLM_SHAPE, **METHODS, "layer": 0}
    with using("ko"):
        adapter_path, lora_path, params, share, sweep, code = T.compare_methods(values)
    assert list(params.columns) == [ko[f"adapters.col.{key}"] for key in T.PARAM_COLUMN_KEYS]
    methods, modules = params.iloc[:, 0].tolist(), params.iloc[:, 1].tolist()
    assert modules.count(ko["adapters.row.total"]) == 2 and ko["adapters.row.virtual_tokens"] in modules
    assert in_language("adapters.row.after", "ko", position="mlp") in modules
    assert in_language("adapters.row.adapter", "ko", placement="houlsby") in methods
    assert ko["adapters.row.prompt"] in methods
    assert params.iloc[0, 2] == "r·(d_in+d_out) = 8·(576+576)"  # formulas stay as they are
    assert sweep.layout.xaxis.title.text == ko["adapters.plot.sweep_x"]
    assert sweep.layout.yaxis.title.text == ko["adapters.plot.sweep_y"]
    names = {trace.name for trace in sweep.data}
    assert in_language("adapters.sweep.lora", "ko", targets="q+v") in names
    chosen = in_language("adapters.current.adapter", "ko", m=36)
    assert in_language("adapters.plot.chosen", "ko", name=chosen) in names
    texts = [annotation.text for annotation in adapter_path.layout.annotations + lora_path.layout.annotations]
    assert lora_path.layout.title.text == in_language("adapters.plot.lora_title", "ko", target="q_proj", layer=0)
    assert "W 하나의 2.78%" in share and "매번 새 모델" in code
    assert "A  (8, 576)" in texts and "down  W: (36, 576) + b: (36)" in texts  # shapes stay as they are

    with using("ko"), pytest.raises(gr.Error) as caught:
        T.compare_methods({**values, "bottleneck": 600})
    assert caught.value.message == in_language("adapters.err.bottleneck_too_large", "ko", bottleneck=600, d_model=576)
    with using("ko"), pytest.raises(gr.Error) as caught:
        T.compare_methods({**values, "r": 0})
    assert ko["adapters.label.rank"] in caught.value.message  # the validator names the field in Korean

    with using("en"):
        adapter_path, lora_path, params, share, sweep, code = T.compare_methods(values)
    assert list(params.columns) == ["method", "module", "formula", "per layer", "layers", "trainable", "% of base",
                                    "% of one W", "fp32 bytes", "bf16 bytes"]
    assert params.iloc[-1, :2].tolist() == ["Prompt tuning", "virtual tokens"]
    assert sweep.layout.xaxis.title.text == "rank r / bottleneck m / virtual tokens n"
    assert any(trace.name == "chosen: adapter m=36" for trace in sweep.data)
    assert "merged: W = W0 + (α/r)·B·A  (576, 576)<br>same shape as W0: no extra step" in [
        annotation.text for annotation in lora_path.layout.annotations]


def test_a_latency_run_in_korean_on_the_tiny_model():
    """The run's status, tables and figure in the language of whoever started it, the background steps included."""
    ko = CATALOG["ko"]
    with using("ko"):
        outputs = list(T.measure_methods({**TINY_SHAPE, **TINY_METHODS, "budget": 5}))
    statuses = [output[0] for output in outputs]
    assert statuses[0].startswith(f'<strong class="adapters-phase phase-loading">{ko["adapters.phase_loading"]}')
    assert in_language("adapters.loading", "ko", model_id=models.TINY_ID) in statuses[0]
    assert any(ko["adapters.building"] in status for status in statuses)
    status, checks, latency, figure, _, verdict = outputs[-1]
    assert phase(status) == "done" and ko["adapters.phase_done"] in status and "Done in" not in status
    assert ko["adapters.lat.done"].split("}")[-1] in status  # the words after the number of seconds
    assert list(checks.columns) == [ko[f"adapters.col.{key}"] for key in T.CHECK_COLUMN_KEYS]
    assert checks.iloc[:, 0].tolist()[0] == ko["adapters.check.fresh_lora"]  # built on the background thread
    assert checks.iloc[:, -1].tolist() == [ko["adapters.yes"]] * 3
    assert list(latency.columns) == [ko[f"adapters.col.{key}"] for key in T.LATENCY_COLUMN_KEYS]
    assert set(latency.iloc[:, 0]) == {ko[f"adapters.variant.{variant}"] for variant in
                                       ("base", "adapters", "lora_unmerged", "lora_merged")}
    titles = [annotation.text for annotation in figure.layout.annotations]
    assert ko["adapters.plot.latency_title"] in titles and ko["adapters.plot.overhead_title"] in titles


def test_a_language_switch_redraws_the_idle_status_and_the_empty_tables():
    ko = CATALOG["ko"]
    with using("en"):
        idle = T._status("idle", T.t("adapters.status_idle"))
    assert idle == '<strong class="adapters-phase phase-idle">Ready</strong> · Not measured yet in this session.'
    with using("ko"):
        status, checks, latency = T.redraw_idle(idle, pd.DataFrame(columns=T.check_columns()), None)
    assert status == (f'<strong class="adapters-phase phase-idle">{ko["adapters.phase_idle"]}</strong> · '
                      f'{ko["adapters.status_idle"]}')
    assert list(checks.columns) == [ko[f"adapters.col.{key}"] for key in T.CHECK_COLUMN_KEYS] and checks.empty
    assert list(latency.columns) == [ko[f"adapters.col.{key}"] for key in T.LATENCY_COLUMN_KEYS]
    ran = T._status("done", "Done in 3.0 s", 3.0, 1.0)
    with using("ko"):  # once a run has shown something, its outputs stay as they are
        assert T.redraw_idle(ran, None, None) == (gr.skip(), gr.skip(), gr.skip())
